package io.ringkv.resp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ringkv.common.StreamCuts;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes the RESP parser with arbitrary byte streams delivered whole, one byte at a time, and in
 * irregular chunks, as a connection's reads would bring them. Whatever arrives, the parser only
 * returns commands, NeedMore or Malformed (it never throws), never returns an argument over the
 * bulk limit or a command over the command limit, never buffers more than the command limit (plus
 * a header) without deciding, and finds the same commands and the same verdict however the stream
 * was cut.
 *
 * <p>Regression inputs live under
 * {@code src/test/resources/io/ringkv/resp/RespParserFuzzTestInputs/parse/}.
 */
class RespParserFuzzTest {
    /** Small limits, so that fuzzed inputs reach them. */
    private static final RespParser.Limits LIMITS = new RespParser.Limits(64, 256);
    /** The most a connection may hold undecided: a command, and the next argument's header. */
    private static final int UNDECIDED_BYTES_MAX = LIMITS.commandBytesMax() + 64;
    private final RespParser parser = new RespParser(LIMITS);

    @FuzzTest(maxDuration = "60s")
    void parse(byte[] stream) {
        Outcome whole = feed(stream, new int[] {Math.max(1, stream.length)});
        Outcome bytewise = feed(stream, new int[] {1});
        Outcome irregular = feed(stream, StreamCuts.chunkSizes(stream));
        assertThat(bytewise).as("one byte per read").isEqualTo(whole);
        assertThat(irregular).as("irregular reads").isEqualTo(whole);
    }

    private record Outcome(List<RespParser.Command> commands, String malformed) {}

    private Outcome feed(byte[] stream, int[] chunkSizes) {
        ByteBuf cumulation = Unpooled.buffer();
        List<RespParser.Command> commands = new ArrayList<>();
        int offset = 0;
        for (int i = 0; offset < stream.length; i++) {
            int length = Math.min(chunkSizes[i % chunkSizes.length], stream.length - offset);
            cumulation.writeBytes(stream, offset, length);
            offset += length;
            while (true) {
                RespParser.Result result = parser.next(cumulation);
                switch (result) {
                    case RespParser.Command command -> {
                        int total = 0;
                        for (byte[] arg : command.args()) {
                            assertThat(arg.length).as("argument length").isLessThanOrEqualTo(LIMITS.bulkBytesMax());
                            total += arg.length;
                        }
                        assertThat(command.args()).isNotEmpty();
                        assertThat(total).as("command bytes").isLessThanOrEqualTo(LIMITS.commandBytesMax());
                        commands.add(command);
                        continue;
                    }
                    case RespParser.Malformed malformed -> {
                        assertThat(malformed.message()).doesNotContain("\r", "\n");
                        return new Outcome(commands, malformed.message());
                    }
                    case RespParser.NeedMore needMore -> {
                        if (cumulation.readableBytes() > UNDECIDED_BYTES_MAX) {
                            throw new AssertionError("undecided about " + cumulation.readableBytes() + " bytes");
                        }
                    }
                }
                break;
            }
            cumulation.discardReadBytes();
        }
        return new Outcome(commands, null);
    }
}
