package io.ringkv.transport;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ringkv.common.StreamCuts;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzzes the TCP frame decoder with arbitrary byte streams, delivered whole, one byte at a time, and
 * in irregular chunks. Whatever arrives, the decoder either emits frames or fails with a
 * {@link DecoderException} (which closes the connection); it never throws anything else, never
 * emits a frame over its limit, never emits bytes that were not sent (the frames, with their headers,
 * are a prefix of the input), and emits nothing more once it has failed. How the stream is cut into
 * reads must not change the outcome.
 *
 * <p>Regression inputs live under
 * {@code src/test/resources/io/ringkv/transport/VarintFrameDecoderFuzzTestInputs/decode/}.
 */
class VarintFrameDecoderFuzzTest {
    /** The production limit: the largest UDP payload, also the default ringkv.limits.frame-bytes-max. */
    private static final int FRAME_BYTES_MAX = 65_507;
    /** A small limit as well, because fuzzed inputs are rarely long enough to reach the real one. */
    private static final int SMALL_FRAME_BYTES_MAX = 64;

    @FuzzTest(maxDuration = "60s")
    void decode(byte[] stream) {
        Outcome whole = feed(stream, FRAME_BYTES_MAX, new int[] {Math.max(1, stream.length)});
        Outcome bytewise = feed(stream, FRAME_BYTES_MAX, new int[] {1});
        Outcome irregular = feed(stream, FRAME_BYTES_MAX, StreamCuts.chunkSizes(stream));
        assertThat(bytewise).as("one byte per read").isEqualTo(whole);
        assertThat(irregular).as("irregular reads").isEqualTo(whole);

        feed(stream, SMALL_FRAME_BYTES_MAX, StreamCuts.chunkSizes(stream));
    }

    /** What came out of one delivery: the frames, and whether the decoder gave up on the stream. */
    private record Outcome(List<String> framesHex, boolean failed) {}

    /**
     * Writes {@code stream} into a fresh channel in chunks whose sizes cycle through
     * {@code chunkSizes}, then closes it, and checks every invariant on what came out.
     */
    private static Outcome feed(byte[] stream, int frameBytesMax, int[] chunkSizes) {
        EmbeddedChannel channel = new EmbeddedChannel(new VarintFrameDecoder(frameBytesMax));
        boolean failed = false;
        int offset = 0;
        try {
            for (int i = 0; offset < stream.length; i++) {
                int length = Math.min(chunkSizes[i % chunkSizes.length], stream.length - offset);
                channel.writeInbound(Unpooled.wrappedBuffer(stream, offset, length));
                offset += length;
            }
        } catch (DecoderException e) {
            // The server closes the connection here; nothing after the bad header may be used.
            expectOwnRefusal(e);
            failed = true;
        }
        int framesBeforeClose = channel.inboundMessages().size();
        try {
            // Closing runs decodeLast over whatever is still buffered.
            channel.finish();
        } catch (DecoderException e) {
            expectOwnRefusal(e);
            failed = true;
        }

        List<byte[]> emitted = new ArrayList<>();
        for (Object message = channel.readInbound(); message != null; message = channel.readInbound()) {
            ByteBuf frame = (ByteBuf) message;
            try {
                emitted.add(ByteBufUtil.getBytes(frame));
            } finally {
                frame.release();
            }
        }
        if (failed) {
            // Frames decoded after the failure would reach the request handler while the connection
            // closes, and be executed although they come from a stream we declared untrustworthy.
            assertThat(emitted.size()).as("frames emitted, counting those decoded while closing after a framing error")
                    .isEqualTo(framesBeforeClose);
        }
        List<String> frames = new ArrayList<>();
        int position = 0;
        for (byte[] bytes : emitted) {
            assertThat(bytes.length).as("frame length").isLessThanOrEqualTo(frameBytesMax);
            position = expectFrameAt(stream, position, bytes);
            frames.add(ByteBufUtil.hexDump(bytes));
        }
        return new Outcome(frames, failed);
    }

    /**
     * Netty wraps anything else a decoder throws (an IndexOutOfBoundsException, say) in a plain
     * DecoderException; only the decoder's own refusals, thrown as they are, are expected.
     */
    private static void expectOwnRefusal(DecoderException e) {
        if (e.getClass() == DecoderException.class && e.getCause() != null) {
            throw new AssertionError("the decoder threw something other than a framing error", e.getCause());
        }
    }

    /**
     * Checks that {@code frame} is what the input holds at {@code position}: a varint header (at most
     * five bytes, possibly not minimal) giving its length, then its bytes. Returns the next position.
     */
    private static int expectFrameAt(byte[] stream, int position, byte[] frame) {
        long length = 0;
        int header = 0;
        while (true) {
            assertThat(header).as("header bytes of a frame emitted at %d", position).isLessThan(5);
            assertThat(position + header).as("frame header inside the input").isLessThan(stream.length);
            byte b = stream[position + header];
            length |= (long) (b & 0x7f) << (7 * header);
            header++;
            if (b >= 0) {
                break;
            }
        }
        assertThat(length).as("length announced at %d", position).isEqualTo(frame.length);
        int start = position + header;
        assertThat(start + frame.length).as("frame end inside the input").isLessThanOrEqualTo(stream.length);
        assertThat(Arrays.equals(stream, start, start + frame.length, frame, 0, frame.length))
                .as("frame bytes are the input's bytes at %d", start)
                .isTrue();
        return start + frame.length;
    }
}
