package io.ringkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ringkv.common.TestSeeds;
import io.ringkv.wire.Envelope;
import io.ringkv.wire.proto.KVRequest;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(10)
class RequestEncoderTest {
    private static byte[] expected(long salt, int slot, int seq, int command, long key, byte[] value) {
        ByteBuffer id = ByteBuffer.allocate(16).putLong(salt).putInt(slot).putInt(seq);
        KVRequest.Builder request = KVRequest.newBuilder().setCommand(command).setKey(ByteString.copyFromUtf8("k" + key));
        if (command == RequestEncoder.COMMAND_PUT) {
            request.setValue(ByteString.copyFrom(value));
        }
        return Envelope.sealRequest(ByteString.copyFrom(id.array()), request.build());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 100, 127, 128, 10_000})
    void encodesExactlyWhatProtobufWrites(int valueBytes) {
        long seed = TestSeeds.seed();
        SplittableRandom random = new SplittableRandom(seed);
        byte[] value = new byte[valueBytes];
        random.nextBytes(value);
        long salt = random.nextLong();
        RequestEncoder encoder = new RequestEncoder(salt, value);
        for (long key : new long[] {0, 9, 10, 99_999, 1_000_000_000_000L - 1}) {
            for (int command : new int[] {RequestEncoder.COMMAND_GET, RequestEncoder.COMMAND_PUT}) {
                int slot = random.nextInt(1 << 16);
                int seq = random.nextInt();
                int length = encoder.encode(command, slot, seq, key);
                assertThat(Arrays.copyOf(encoder.buffer(), length))
                        .as("seed %d, command %d, key %d", seed, command, key)
                        .isEqualTo(expected(salt, slot, seq, command, key, value));
                assertThat(length).isLessThanOrEqualTo(encoder.envelopeBytesMax());
            }
        }
    }

    @Test
    void theNodeOpensWhatTheEncoderWrites() {
        RequestEncoder encoder = new RequestEncoder(42, new byte[] {1, 2, 3});
        int length = encoder.encode(RequestEncoder.COMMAND_PUT, 7, 9, 12345);
        var opened = Envelope.open(ByteBuffer.wrap(encoder.buffer(), 0, length));
        assertThat(opened).isInstanceOf(Envelope.Opened.Request.class);
        KVRequest request = ((Envelope.Opened.Request) opened).request();
        assertThat(request.getKey().toStringUtf8()).isEqualTo("k12345");
        assertThat(request.getValue().toByteArray()).containsExactly(1, 2, 3);
    }
}
