package io.ringkv.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.ringkv.wire.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The listener's per-connection pipeline (decoder and connection handler) on an EmbeddedChannel,
 * with an in-memory backend whose writes can be held back like writes waiting for an fsync.
 */
class RespConnectionTest {
    private static final RespLimits LIMITS = RespLimits.of(32, 100, 512);

    private final FakeBackend backend = new FakeBackend();
    private final Clients clients = new Clients(4, 0);
    private final List<String> metrics = new ArrayList<>();
    private final RespCommands commands = new RespCommands(new DataCommands(backend, LIMITS),
            new ServerCommands(backend, clients, 6379, "test", () -> 0L), clients);
    private final EmbeddedChannel channel = channel();

    private EmbeddedChannel channel() {
        RespMetrics recording = new RespMetrics() {
            @Override
            public void completed(RespCommand command, boolean error, long startNanos) {
                metrics.add((command == null ? "unknown" : command.lowerName()) + (error ? ":error" : ":ok"));
            }

            @Override
            public void rejected(String reason) {
                metrics.add("rejected:" + reason);
            }
        };
        return new EmbeddedChannel(new RespDecoder(new RespParser(LIMITS.parser())),
                new RespConnection(commands, clients, recording, () -> 0L));
    }

    private void send(String wire) {
        channel.writeInbound(Unpooled.copiedBuffer(wire, StandardCharsets.ISO_8859_1));
        channel.runPendingTasks();
    }

    private String replies() {
        StringBuilder out = new StringBuilder();
        for (ByteBuf buf = channel.readOutbound(); buf != null; buf = channel.readOutbound()) {
            out.append(buf.toString(StandardCharsets.ISO_8859_1));
            buf.release();
        }
        return out.toString();
    }

    @Test
    void repliesFollowCommandOrderWhenWritesCompleteLater() {
        backend.holdWrites = true;
        send("SET a 1\r\nGET a\r\nPING\r\nSET b 2\r\nECHO x\r\n");
        assertThat(replies()).as("nothing may overtake the held SET").isEmpty();
        backend.heldWrites.poll().run();
        channel.runPendingTasks();
        assertThat(replies()).isEqualTo("+OK\r\n$1\r\n1\r\n+PONG\r\n");
        backend.releaseWrites();
        channel.runPendingTasks();
        assertThat(replies()).isEqualTo("+OK\r\n$1\r\nx\r\n");
        // GET waits for the SET before it; the second SET waits behind the GET.
        assertThat(metrics).as("completion order").containsExactly("ping:ok", "echo:ok", "set:ok", "get:ok", "set:ok");
    }

    @Test
    void readsWaitForTheConnectionsEarlierWrites() {
        backend.holdWrites = true;
        backend.applyOnRelease = true;
        send("SET a 1\r\nSET a 2\r\nGET a\r\nSET a 3 XX\r\nSET b 4\r\nPING\r\nEXISTS a b\r\nQUIT\r\n");
        assertThat(backend.heldWrites).as("the two SETs are issued at once, the rest waits").hasSize(2);
        backend.heldWrites.poll().run();
        backend.heldWrites.poll().run();
        channel.runPendingTasks();
        assertThat(backend.heldWrites).as("GET has run; SET XX and SET b are issued").hasSize(2);
        assertThat(replies()).isEqualTo("+OK\r\n+OK\r\n$1\r\n2\r\n");
        backend.releaseWrites();
        channel.runPendingTasks();
        assertThat(replies()).isEqualTo("+OK\r\n+OK\r\n+PONG\r\n:2\r\n+OK\r\n");
        assertThat(channel.isOpen()).isFalse();
    }

    /** The replies of one read batch leave in chunks of about 64 KiB, whole, in order. */
    @Test
    void aLongBatchOfRepliesLeavesInOrderedChunks() {
        String value = "v".repeat(100);
        send("SET big " + value + "\r\n");
        assertThat(replies()).isEqualTo("+OK\r\n");
        int gets = 2_000; // about 214 KB of replies
        send("GET big\r\n".repeat(gets) + "PING\r\n");
        List<Integer> chunks = new ArrayList<>();
        StringBuilder all = new StringBuilder();
        for (ByteBuf buf = channel.readOutbound(); buf != null; buf = channel.readOutbound()) {
            chunks.add(buf.readableBytes());
            all.append(buf.toString(StandardCharsets.ISO_8859_1));
            buf.release();
        }
        assertThat(all.toString()).isEqualTo(("$100\r\n" + value + "\r\n").repeat(gets) + "+PONG\r\n");
        assertThat(chunks).hasSizeBetween(3, 5).allSatisfy(bytes -> assertThat(bytes)
                .isLessThan(RespConnection.OUT_CHUNK_BYTES + 200));
    }

    @Test
    void thousandsOfReadsHeldBehindAWriteResumeWithoutDeepNesting() {
        backend.holdWrites = true;
        int gets = RespConnection.PENDING_MAX - 1;
        send("SET deep 1\r\n" + "GET deep\r\n".repeat(gets));
        backend.releaseWrites();
        channel.runPendingTasks();
        assertThat(replies()).isEqualTo("+OK\r\n" + "$1\r\n1\r\n".repeat(gets));
    }

    @Test
    void concurrentSetNxOnOneKeyHasOneWinner() {
        backend.holdWrites = true;
        backend.applyOnRelease = true;
        EmbeddedChannel other = channel();
        send("SET lock me NX\r\n");
        other.writeInbound(Unpooled.copiedBuffer("SET lock you NX\r\n", StandardCharsets.ISO_8859_1));
        assertThat(backend.heldWrites).as("the second waits for the first one's PUT").hasSize(1);
        backend.releaseWrites();
        channel.runPendingTasks();
        other.runPendingTasks();
        assertThat(backend.heldWrites).isEmpty();
        assertThat(replies()).isEqualTo("+OK\r\n");
        ByteBuf reply = other.readOutbound();
        assertThat(reply.toString(StandardCharsets.ISO_8859_1)).isEqualTo("$-1\r\n");
        reply.release();
    }

    @Test
    void malformedStreamIsAnsweredAfterEarlierCommandsThenClosed() {
        send("PING\r\n*1\r\n$9999\r\n");
        assertThat(replies()).isEqualTo("+PONG\r\n-ERR Protocol error: invalid bulk length 9999 (max 512 bytes,"
                + " see ringkv.limits.frame-bytes-max)\r\n");
        assertThat(channel.isOpen()).isFalse();
        assertThat(metrics).contains("rejected:malformed");
    }

    @Test
    void quitAnswersOkClosesAndIgnoresWhatFollows() {
        send("SET q 1\r\nQUIT\r\nSET r 2\r\n");
        assertThat(replies()).isEqualTo("+OK\r\n+OK\r\n");
        assertThat(channel.isOpen()).isFalse();
        assertThat(backend.data).hasSize(1);
    }

    @Test
    void readingPausesWhileTooManyRepliesWait() {
        backend.holdWrites = true;
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < RespConnection.PENDING_MAX; i++) {
            many.append("SET k").append(i % 10).append(" v\r\n");
        }
        send(many.toString());
        assertThat(channel.config().isAutoRead()).isFalse();
        backend.releaseWrites();
        channel.runPendingTasks();
        assertThat(channel.config().isAutoRead()).isTrue();
        assertThat(replies()).isEqualTo("+OK\r\n".repeat(RespConnection.PENDING_MAX));
    }

    @Test
    void connectionLimitRefusesWithAnError() {
        List<EmbeddedChannel> more = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            more.add(channel());
        }
        EmbeddedChannel refused = channel();
        ByteBuf reply = refused.readOutbound();
        assertThat(reply.toString(StandardCharsets.ISO_8859_1)).isEqualTo("-ERR max number of clients reached\r\n");
        reply.release();
        assertThat(refused.isOpen()).isFalse();
        assertThat(clients.rejected()).isEqualTo(1);
        more.forEach(EmbeddedChannel::close);
        channel.close();
        assertThat(clients.connected()).isZero();
    }

    @Test
    void dataCommands() {
        send("SET k v\r\nSET k w NX\r\nSET n v XX\r\nSET k w XX\r\nGET k\r\nGET n\r\n");
        assertThat(replies()).isEqualTo("+OK\r\n$-1\r\n$-1\r\n+OK\r\n$1\r\nw\r\n$-1\r\n");
        send("MSET a 1 b 2\r\nMGET a b c\r\nEXISTS a a c\r\nDEL a c b\r\nDBSIZE\r\n");
        assertThat(replies()).isEqualTo("+OK\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n:2\r\n:2\r\n:1\r\n");
    }

    @Test
    void limitsAndOptionsAreRefusedWithClearErrors() {
        send("SET " + "k".repeat(33) + " v\r\n");
        assertThat(replies()).isEqualTo("-ERR key too long: 33 bytes (max 32 bytes, see ringkv.limits.key-bytes-max)\r\n");
        send("SET k " + "v".repeat(101) + "\r\n");
        assertThat(replies()).isEqualTo(
                "-ERR value too long: 101 bytes (max 100 bytes, see ringkv.limits.value-bytes-max)\r\n");
        send("SET \"\" v\r\n");
        assertThat(replies()).startsWith("-ERR empty keys are not supported");
        send("SET k v EX 10\r\nSET k v NX XX\r\nSET k v BOGUS\r\nMSET a\r\nMSET a 1 b\r\n");
        assertThat(replies()).isEqualTo("-ERR SET EX is not supported: ringkv keys do not expire (yet)\r\n"
                + "-ERR syntax error\r\n-ERR syntax error\r\n"
                + "-ERR wrong number of arguments for 'mset' command\r\n"
                + "-ERR wrong number of arguments for 'mset' command\r\n");
        assertThat(backend.requests).as("nothing invalid reaches the node").isZero();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void unknownCommandsAndArityInRedisWords() {
        send("FLUSHALL now please\r\nGET\r\nGET a b\r\nSELECT 0\r\nSELECT 1\r\nSELECT x\r\n");
        assertThat(replies()).isEqualTo(
                "-ERR unknown command 'FLUSHALL', with args beginning with: 'now' 'please' \r\n"
                        + "-ERR wrong number of arguments for 'get' command\r\n"
                        + "-ERR wrong number of arguments for 'get' command\r\n"
                        + "+OK\r\n-ERR DB index is out of range\r\n"
                        + "-ERR value is not an integer or out of range\r\n");
        assertThat(metrics).contains("unknown:error");
    }

    @Test
    void nodeErrorsBecomeRespErrors() {
        backend.failWith = ErrorCode.OVERLOAD;
        send("GET a\r\n");
        assertThat(replies()).isEqualTo("-TRYAGAIN the node is overloaded, retry in 50 ms\r\n");
        backend.failWith = ErrorCode.OUT_OF_SPACE;
        send("SET a b\r\n");
        assertThat(replies()).startsWith("-OOM out of space");
        backend.failWith = ErrorCode.INTERNAL_FAILURE;
        send("DEL a b\r\n");
        assertThat(replies()).isEqualTo("-ERR internal failure (INTERNAL_FAILURE)\r\n");
    }

    @Test
    void handshakeCommands() {
        send("HELLO 3\r\nHELLO 2 SETNAME app\r\nCLIENT GETNAME\r\nCLIENT SETNAME \"a b\"\r\n"
                + "CLIENT SETINFO LIB-NAME jedis\r\nCLIENT ID\r\nCLIENT NOPE\r\nAUTH default x\r\nAUTH bob x\r\n");
        String out = replies();
        assertThat(out).startsWith("-NOPROTO unsupported protocol version\r\n*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n");
        assertThat(out).contains("$7\r\nmodules\r\n*0\r\n$3\r\napp\r\n"
                + "-ERR Client names cannot contain spaces, newlines or special characters.\r\n+OK\r\n:1\r\n"
                + "-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n+OK\r\n"
                + "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
        send("COMMAND COUNT\r\nCONFIG GET save\r\nINFO keyspace\r\n");
        assertThat(replies()).isEqualTo(":" + RespCommand.values().length + "\r\n*2\r\n$4\r\nsave\r\n$0\r\n\r\n"
                + "$12\r\n# Keyspace\r\n\r\n");
    }
}
