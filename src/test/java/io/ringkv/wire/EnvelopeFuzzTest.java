package io.ringkv.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;

/**
 * Fuzzes the UDP/TCP envelope parser. Every datagram a node receives goes through
 * {@link Envelope#open(ByteBuffer)}, so it must classify any bytes at all without throwing, and a
 * request it accepts must survive being sealed again unchanged (otherwise a forwarded or replayed
 * request would differ from the one the client sent).
 *
 * <p>In a normal build this runs in regression mode: only the inputs under
 * {@code src/test/resources/io/ringkv/wire/EnvelopeFuzzTestInputs/open/} are tried. With
 * {@code JAZZER_FUZZ=1} Jazzer mutates them for real; see the README's Fuzzing section.
 */
class EnvelopeFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void open(byte[] datagram) {
        Envelope.Opened heap = Envelope.open(ByteBuffer.wrap(datagram));
        // Netty hands the node direct buffers, and protobuf parses those on a different code path.
        Envelope.Opened direct = Envelope.open(direct(datagram));
        assertThat(kind(direct)).as("heap and direct buffers classify alike").isEqualTo(kind(heap));

        if (heap instanceof Envelope.Opened.Request request) {
            assertThat(direct).isEqualTo(request);
            byte[] resealed = Envelope.sealRequest(request.messageId(), request.request());
            assertThat(Envelope.open(ByteBuffer.wrap(resealed)))
                    .as("a re-sealed request opens to the same request")
                    .isEqualTo(request);
        }
        if (heap instanceof Envelope.Opened.BadPayload bad) {
            assertThat(bad.messageId().isEmpty()).as("a payload error can only be answered with a messageID").isFalse();
        }
    }

    private static ByteBuffer direct(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
        buffer.put(bytes).flip();
        return buffer;
    }

    private static Class<?> kind(Envelope.Opened opened) {
        return opened.getClass();
    }
}
