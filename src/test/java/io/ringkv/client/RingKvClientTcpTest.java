package io.ringkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ringkv.common.TestSeeds;
import io.ringkv.wire.Envelope;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVResponse;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class RingKvClientTcpTest {
    private final long seed = TestSeeds.seed();

    /**
     * A TCP fake that reads requests in batches of {@code batch} frames and answers each batch in
     * reverse order (pipelined replies out of order), answering with the pid = the request's place
     * in the stream. With {@code replies} false it reads but never answers; after {@code closeAfter}
     * frames it drops the connection.
     */
    private static final class FakeTcpNode implements AutoCloseable {
        final ServerSocket server;
        final AtomicInteger frames = new AtomicInteger();
        final AtomicInteger connections = new AtomicInteger();
        final Thread thread;

        FakeTcpNode(int batch, boolean replies, int closeAfter) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            thread = Thread.ofPlatform().daemon().start(() -> {
                while (!server.isClosed()) {
                    try (Socket socket = server.accept()) {
                        connections.incrementAndGet();
                        serve(socket, batch, replies, closeAfter);
                    } catch (IOException e) {
                        // Next connection, or the fake was closed.
                    }
                }
            });
        }

        private void serve(Socket socket, int batch, boolean replies, int closeAfter) throws IOException {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            List<byte[]> pending = new ArrayList<>();
            while (true) {
                int length = TcpLink.readVarint(in);
                byte[] frame = in.readNBytes(length);
                int n = frames.incrementAndGet();
                if (n == closeAfter) {
                    return;
                }
                var request = (Envelope.Opened.Request) Envelope.open(ByteBuffer.wrap(frame));
                pending.add(Envelope.sealReply(request.messageId(),
                        KVResponse.newBuilder().setErrCode(ErrorCode.SUCCESS.code()).setPid(n).build()));
                if (pending.size() == batch && replies) {
                    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                    for (int i = pending.size() - 1; i >= 0; i--) {
                        TcpLink.writeFrame(bytes, pending.get(i));
                    }
                    out.write(bytes.toByteArray());
                    out.flush();
                    pending.clear();
                }
            }
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    private RingKvClient client(FakeTcpNode node, long initialTimeoutMs) {
        return RingKvClient.builder().protocol(Protocol.TCP).port(node.port()).initialTimeoutMs(initialTimeoutMs)
                .seed(seed).build();
    }

    @Test
    void pipelinedRepliesAreMatchedByIdInAnyOrder() throws Exception {
        try (FakeTcpNode node = new FakeTcpNode(4, true, -1);
                RingKvClient client = client(node, 1_000)) {
            List<CompletableFuture<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                futures.add(client.pidAsync());
            }
            List<Integer> pids = new ArrayList<>();
            for (CompletableFuture<Integer> f : futures) {
                pids.add(f.get(5, TimeUnit.SECONDS));
            }
            // Each request got the reply to its own frame, although replies came back reversed.
            assertThat(pids).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        }
    }

    @Test
    void aRequestIsSentOnceAndWaitsTheWholeBudget() throws Exception {
        try (FakeTcpNode node = new FakeTcpNode(1, false, -1);
                RingKvClient client = client(node, 20)) {
            long start = System.nanoTime();
            OutcomeUnknownException e = catchThrowableOfType(OutcomeUnknownException.class, client::pid);
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(e.reason()).isEqualTo(OutcomeUnknownException.Reason.TIMED_OUT);
            assertThat(elapsedMs).isGreaterThanOrEqualTo(20 + 40 + 80 + 160 - 5);
            assertThat(node.frames.get()).isEqualTo(1);
        }
    }

    @Test
    void aLostConnectionEndsItsRequestsAsUnknownAndTheNextOneReconnects() throws Exception {
        try (FakeTcpNode node = new FakeTcpNode(1, true, 2);
                RingKvClient client = client(node, 1_000)) {
            assertThat(client.pid()).isEqualTo(1);
            OutcomeUnknownException e = catchThrowableOfType(OutcomeUnknownException.class, client::pid);
            assertThat(e.reason()).isEqualTo(OutcomeUnknownException.Reason.CONNECTION_LOST);
            assertThat(client.pid()).isEqualTo(3);
            assertThat(node.connections.get()).isEqualTo(2);
        }
    }

    @Test
    void nothingListeningFailsAtBuildTime() throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        int closedPort = port;
        UncheckedIOException e = catchThrowableOfType(UncheckedIOException.class,
                () -> RingKvClient.builder().protocol(Protocol.TCP).port(closedPort).build());
        assertThat(e.getMessage()).contains("cannot open a TCP socket to 127.0.0.1:" + closedPort);
    }
}
