package io.ringkv.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.ringkv.common.TestSeeds;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RespParserTest {
    private static final RespParser.Limits LIMITS = new RespParser.Limits(100, 1000);
    private final RespParser parser = new RespParser(LIMITS);

    static Stream<Arguments> wellFormed() {
        return Stream.of(
                Arguments.of("*1\r\n$4\r\nPING\r\n", List.of("PING")),
                Arguments.of("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", List.of("SET", "k", "")),
                Arguments.of("*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n", List.of("ECHO", "a\r\nb")),
                Arguments.of("PING\r\n", List.of("PING")),
                Arguments.of("PING\n", List.of("PING")),
                Arguments.of("  set  k   v \r\n", List.of("set", "k", "v")),
                Arguments.of("set k \"hello world\"\r\n", List.of("set", "k", "hello world")),
                Arguments.of("set k \"a\\x41\\n\\\"\"\r\n", List.of("set", "k", "aA\n\"")),
                Arguments.of("set k 'it\\'s'\r\n", List.of("set", "k", "it's")),
                Arguments.of("\r\n\r\n*0\r\n*-1\r\nPING\r\n", List.of("PING")),
                Arguments.of("*1\r\n$100\r\n" + "x".repeat(100) + "\r\n", List.of("x".repeat(100))));
    }

    @ParameterizedTest
    @MethodSource("wellFormed")
    void parsesWholeCommands(String wire, List<String> expected) {
        ByteBuf in = buffer(wire);
        assertThat(parser.next(in)).isEqualTo(command(expected));
        assertThat(in.isReadable()).isFalse();
        assertThat(parser.next(in)).isEqualTo(RespParser.NeedMore.INSTANCE);
    }

    @ParameterizedTest
    @MethodSource("wellFormed")
    void everyPrefixNeedsMoreAndMovesNothingBeyondSkippedBlanks(String wire, List<String> expected) {
        byte[] bytes = wire.getBytes(StandardCharsets.ISO_8859_1);
        for (int cut = 0; cut < bytes.length; cut++) {
            ByteBuf in = Unpooled.wrappedBuffer(bytes, 0, cut);
            RespParser.Result result = parser.next(in);
            assertThat(result).as("prefix of %d bytes", cut).isIn(RespParser.NeedMore.INSTANCE, command(expected));
        }
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("*x\r\n", "Protocol error: invalid multibulk length"),
                Arguments.of("*2000000\r\n", "Protocol error: invalid multibulk length"),
                Arguments.of("*1\r\n+PING\r\n", "Protocol error: expected '$', got '+'"),
                Arguments.of("*1\r\n$-1\r\n", "Protocol error: invalid bulk length"),
                Arguments.of("*1\r\n$abc\r\n", "Protocol error: invalid bulk length"),
                Arguments.of("*1\r\n$101\r\n",
                        "Protocol error: invalid bulk length 101 (max 100 bytes, see ringkv.limits.frame-bytes-max)"),
                Arguments.of("*1\r\n$999999999999\r\n",
                        "Protocol error: invalid bulk length 999999999999 (max 100 bytes, see ringkv.limits.frame-bytes-max)"),
                Arguments.of("*1\r\n$1\r\nab\r\n", "Protocol error: expected CRLF after a bulk string of 1 bytes"),
                Arguments.of("*1" + "1".repeat(40), "Protocol error: too big mbulk count string"),
                Arguments.of("*1\r\n$" + "1".repeat(40), "Protocol error: too big bulk count string"),
                Arguments.of("*1\rx\r\n", "Protocol error: invalid multibulk length"),
                Arguments.of("set k \"abc\r\n", "Protocol error: unbalanced quotes in request"),
                Arguments.of("set k \"a\"b\r\n", "Protocol error: unbalanced quotes in request"),
                Arguments.of("x".repeat(101), "Protocol error: too big inline request"),
                Arguments.of("*20\r\n" + ("$90\r\n" + "y".repeat(90) + "\r\n").repeat(10) + "$90\r\n",
                        "Protocol error: command longer than 1000 bytes"));
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void refusesMalformedStreamsInRedisWords(String wire, String message) {
        assertThat(parser.next(buffer(wire))).isEqualTo(new RespParser.Malformed(message));
    }

    @Test
    void announcedLengthsAreRefusedBeforeTheirBytesArrive() {
        // Only the header has arrived: the claim alone is refused, nothing is waited for.
        assertThat(parser.next(buffer("*1\r\n$1000000\r\n"))).isInstanceOf(RespParser.Malformed.class);
        assertThat(parser.next(buffer("*1048577\r\n"))).isInstanceOf(RespParser.Malformed.class);
    }

    @Test
    void pipelinedCommandsComeOutOneByOneInOrder() {
        ByteBuf in = buffer("*1\r\n$4\r\nPING\r\nGET a\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n*1\r\n$4\r\nPI");
        assertThat(parser.next(in)).isEqualTo(command(List.of("PING")));
        assertThat(parser.next(in)).isEqualTo(command(List.of("GET", "a")));
        assertThat(parser.next(in)).isEqualTo(command(List.of("GET", "b")));
        int before = in.readerIndex();
        assertThat(parser.next(in)).isEqualTo(RespParser.NeedMore.INSTANCE);
        assertThat(in.readerIndex()).isEqualTo(before);
    }

    /**
     * Random binary commands, encoded and then delivered in random cuts, come out unchanged and in
     * order; a failing run prints its seed (replay with -Dringkv.seed=N).
     */
    @Test
    void randomBinaryCommandsSurviveRandomCuts() {
        long seed = TestSeeds.seed();
        Random random = new Random(seed);
        for (int round = 0; round < 200; round++) {
            List<List<byte[]>> commands = new ArrayList<>();
            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            int count = 1 + random.nextInt(20);
            for (int c = 0; c < count; c++) {
                List<byte[]> args = new ArrayList<>();
                int argc = 1 + random.nextInt(6);
                wire.writeBytes(("*" + argc + "\r\n").getBytes(StandardCharsets.US_ASCII));
                for (int a = 0; a < argc; a++) {
                    byte[] arg = new byte[random.nextInt(LIMITS.bulkBytesMax() / 4)];
                    random.nextBytes(arg);
                    args.add(arg);
                    wire.writeBytes(("$" + arg.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    wire.writeBytes(arg);
                    wire.writeBytes(new byte[] {'\r', '\n'});
                }
                commands.add(args);
            }
            List<List<byte[]>> parsed = feedInCuts(wire.toByteArray(), random);
            assertThat(parsed).as("seed %d, round %d", seed, round).hasSameSizeAs(commands);
            for (int c = 0; c < commands.size(); c++) {
                assertThat(parsed.get(c)).as("seed %d, round %d, command %d", seed, round, c)
                        .containsExactlyElementsOf(commands.get(c));
            }
        }
    }

    private List<List<byte[]>> feedInCuts(byte[] wire, Random random) {
        ByteBuf cumulation = Unpooled.buffer();
        List<List<byte[]>> parsed = new ArrayList<>();
        int offset = 0;
        while (offset < wire.length) {
            int length = Math.min(wire.length - offset, 1 + random.nextInt(64));
            cumulation.writeBytes(wire, offset, length);
            offset += length;
            RespParser.Result result;
            while ((result = parser.next(cumulation)) instanceof RespParser.Command command) {
                parsed.add(command.args());
            }
            assertThat(result).isEqualTo(RespParser.NeedMore.INSTANCE);
        }
        return parsed;
    }

    private static ByteBuf buffer(String wire) {
        return Unpooled.wrappedBuffer(wire.getBytes(StandardCharsets.ISO_8859_1));
    }

    static RespParser.Command command(List<String> args) {
        return new RespParser.Command(args.stream().map(a -> a.getBytes(StandardCharsets.ISO_8859_1)).toList());
    }
}
