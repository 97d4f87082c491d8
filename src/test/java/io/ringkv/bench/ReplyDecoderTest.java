package io.ringkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.ringkv.common.TestSeeds;
import io.ringkv.wire.Checksum;
import io.ringkv.wire.Envelope;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ReplyDecoderTest {
    private static final ByteString ID = ByteString.copyFromUtf8("0123456789abcdef");
    private final ReplyDecoder decoder = new ReplyDecoder();

    private static ByteBuf direct(byte[] bytes) {
        return Unpooled.directBuffer(bytes.length).writeBytes(bytes);
    }

    @Test
    void readsCodeWaitAndIdOfAReply() {
        byte[] reply = Envelope.sealReply(ID, KVResponse.newBuilder().setErrCode(ErrorCode.OVERLOAD.code())
                .setOverloadWaitTime(250).setValue(ByteString.copyFrom(new byte[300])).setVersion(-1).build());
        ByteBuf buf = direct(reply);
        assertThat(decoder.decode(buf, true)).isTrue();
        assertThat(decoder.errCode()).isEqualTo(ErrorCode.OVERLOAD.code());
        assertThat(decoder.overloadWaitMs()).isEqualTo(250);
        assertThat(decoder.idBytes()).isEqualTo(16);
        assertThat(buf.getCharSequence(decoder.idAt(), 16, java.nio.charset.StandardCharsets.US_ASCII).toString())
                .isEqualTo("0123456789abcdef");
        assertThat(buf.readerIndex()).isZero();
        buf.release();
    }

    @Test
    void negativeInt32sAreReadAsInts() {
        byte[] reply = Envelope.sealReply(ID, KVResponse.newBuilder().setErrCode(0).setOverloadWaitTime(-5).build());
        assertThat(decoder.decode(Unpooled.wrappedBuffer(reply), true)).isTrue();
        assertThat(decoder.overloadWaitMs()).isEqualTo(-5);
    }

    @Test
    void acceptsFieldsInAnyOrderAndSkipsUnknownOnes() throws IOException {
        ByteString payload = KVResponse.newBuilder().setErrCode(ErrorCode.NO_SUCH_KEY.code()).build().toByteString();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeFixed64(3, Checksum.of(ID, payload));
        out.writeUInt32(15, 99);
        out.writeBytes(2, payload);
        out.writeFixed32(14, 7);
        out.writeBytes(1, ID);
        out.flush();
        assertThat(decoder.decode(Unpooled.wrappedBuffer(bytes.toByteArray()), true)).isTrue();
        assertThat(decoder.errCode()).isEqualTo(ErrorCode.NO_SUCH_KEY.code());
    }

    @Test
    void rejectsBadChecksumsAndTruncatedOrRandomBytes() {
        byte[] reply = Envelope.sealReply(ID, KVResponse.newBuilder().setErrCode(0).build());
        byte[] corrupt = reply.clone();
        corrupt[5] ^= 1;
        assertThat(decoder.decode(Unpooled.wrappedBuffer(corrupt), true)).isFalse();
        for (int length = 0; length < reply.length; length++) {
            assertThat(decoder.decode(Unpooled.wrappedBuffer(reply, 0, length), true)).as("prefix %d", length).isFalse();
        }
        long seed = TestSeeds.seed();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 10_000; i++) {
            byte[] garbage = new byte[random.nextInt(64)];
            random.nextBytes(garbage);
            // Must not throw, whatever the bytes; valid-by-chance envelopes are vanishingly unlikely.
            decoder.decode(Unpooled.wrappedBuffer(garbage), true);
        }
    }

    @Test
    void anEchoedRequestPassesInEchoMode() {
        RequestEncoder encoder = new RequestEncoder(1, new byte[10]);
        int length = encoder.encode(RequestEncoder.COMMAND_PUT, 3, 4, 5);
        ByteBuf echoed = Unpooled.wrappedBuffer(encoder.buffer(), 0, length);
        assertThat(decoder.decode(echoed, false)).isTrue();
        assertThat(decoder.errCode()).isZero();
        assertThat(echoed.getInt(decoder.idAt() + 8)).isEqualTo(3);
        assertThat(echoed.getInt(decoder.idAt() + 12)).isEqualTo(4);
    }
}
