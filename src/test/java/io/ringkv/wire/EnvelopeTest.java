package io.ringkv.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import io.ringkv.wire.proto.Msg;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EnvelopeTest {
    private static final ByteString ID = ByteString.copyFromUtf8("0123456789abcdef");

    @Test
    void checksumIsCrc32OfIdThenPayload() {
        ByteString payload = ByteString.copyFromUtf8("payload bytes");
        CRC32 crc = new CRC32();
        crc.update(ID.toByteArray());
        crc.update(payload.toByteArray());
        assertThat(Checksum.of(ID, payload)).isEqualTo(crc.getValue());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 100, 16 * 1024, 16 * 1024 + 1, 40_000})
    void checksumOfLargeAndSlicedByteStringsIsCrc32OfTheirBytes(int payloadBytes) {
        byte[] bytes = new byte[payloadBytes + 7];
        new Random(payloadBytes).nextBytes(bytes);
        // A slice (BoundedByteString) as the parser hands out when it shares the envelope's array.
        ByteString payload = ByteString.copyFrom(bytes).substring(7);
        CRC32 crc = new CRC32();
        crc.update(ID.toByteArray());
        crc.update(bytes, 7, payloadBytes);
        assertThat(Checksum.of(ID, payload)).isEqualTo(crc.getValue());
    }

    @Test
    void sealedEnvelopesAreByteForByteWhatTheGeneratedCodeWrites() {
        Random random = new Random(431);
        for (int i = 0; i < 200; i++) {
            ByteString id = randomBytes(random, 1 + random.nextInt(Envelope.MESSAGE_ID_BYTES_MAX));
            KVResponse response = KVResponse.newBuilder()
                    .setErrCode(random.nextInt(40))
                    .setValue(randomBytes(random, random.nextInt(i < 190 ? 300 : 20_000)))
                    .setVersion(random.nextInt())
                    .build();
            KVRequest request = KVRequest.newBuilder()
                    .setCommand(random.nextInt(0x30))
                    .setKey(randomBytes(random, random.nextInt(33)))
                    .setValue(randomBytes(random, random.nextInt(i < 190 ? 300 : 20_000)))
                    .build();
            assertThat(Envelope.sealReply(id, response))
                    .isEqualTo(Envelope.seal(id, response.toByteString()).toByteArray());
            assertThat(Envelope.sealRequest(id, request))
                    .isEqualTo(Envelope.seal(id, request.toByteString()).toByteArray());
        }
    }

    @Test
    void anOpenedRequestDoesNotChangeWhenTheReceiveBufferIsReused() {
        KVRequest request = KVRequest.newBuilder()
                .setCommand(Command.PUT.code())
                .setKey(ByteString.copyFromUtf8("key"))
                .setValue(ByteString.copyFromUtf8("value"))
                .build();
        ByteBuffer received = ByteBuffer.allocateDirect(512);
        received.put(Envelope.sealRequest(ID, request)).flip();
        var opened = Envelope.open(received);
        received.clear();
        while (received.hasRemaining()) {
            received.put((byte) 0x5a);
        }
        assertThat(opened).isEqualTo(new Envelope.Opened.Request(ID, request));
    }

    private static ByteString randomBytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return ByteString.copyFrom(bytes);
    }

    @Test
    void requestRoundTrips() {
        KVRequest request = KVRequest.newBuilder()
                .setCommand(Command.PUT.code())
                .setKey(ByteString.copyFromUtf8("k"))
                .setValue(ByteString.copyFromUtf8("v"))
                .setVersion(-7)
                .build();
        var opened = Envelope.open(ByteBuffer.wrap(Envelope.sealRequest(ID, request)));
        assertThat(opened).isEqualTo(new Envelope.Opened.Request(ID, request));
    }

    @Test
    void zeroValuedFieldsAreStillWritten() {
        // The reference clients check presence, so proto3 `optional` must put zeros on the wire.
        KVResponse response = KVResponse.newBuilder().setErrCode(0).setVersion(0).build();
        assertThat(response.toByteArray()).isNotEmpty();
        var reply = Envelope.openReply(ByteBuffer.wrap(Envelope.sealReply(ID, response)));
        assertThat(reply).isNotNull();
        assertThat(reply.response().hasErrCode()).isTrue();
        assertThat(reply.response().hasVersion()).isTrue();
    }

    @Test
    void badChecksumIsReportedNotThrown() {
        Msg msg = Envelope.seal(ID, ByteString.copyFromUtf8("x")).toBuilder().setCheckSum(12345).build();
        assertThat(Envelope.open(ByteBuffer.wrap(msg.toByteArray()))).isInstanceOf(Envelope.Opened.BadChecksum.class);
        assertThat(Envelope.openReply(ByteBuffer.wrap(msg.toByteArray()))).isNull();
    }

    @Test
    void missingChecksumIsABadChecksum() {
        Msg msg = Msg.newBuilder().setMessageID(ID).setPayload(ByteString.EMPTY).build();
        assertThat(Envelope.open(ByteBuffer.wrap(msg.toByteArray()))).isInstanceOf(Envelope.Opened.BadChecksum.class);
    }

    @Test
    void emptyDatagramIsMalformedBecauseItHasNoMessageId() {
        assertThat(Envelope.open(ByteBuffer.allocate(0))).isInstanceOf(Envelope.Opened.Malformed.class);
    }

    @Test
    void wrongWireTypeForMessageIdIsMalformed() {
        // Field 1 as a varint (tag 0x08) instead of length-delimited bytes.
        byte[] datagram = {0x08, 0x05};
        assertThat(Envelope.open(ByteBuffer.wrap(datagram))).isInstanceOf(Envelope.Opened.Malformed.class);
    }

    @Test
    void truncatedEnvelopeIsMalformed() {
        byte[] whole = Envelope.sealRequest(ID, KVRequest.newBuilder().setCommand(2).build());
        byte[] half = java.util.Arrays.copyOf(whole, whole.length / 2);
        assertThat(Envelope.open(ByteBuffer.wrap(half))).isInstanceOf(Envelope.Opened.Malformed.class);
    }

    @Test
    void payloadThatIsNotARequestIsAnsweredWithItsMessageId() {
        Msg msg = Envelope.seal(ID, ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}));
        var opened = Envelope.open(ByteBuffer.wrap(msg.toByteArray()));
        assertThat(opened).isInstanceOf(Envelope.Opened.BadPayload.class);
        assertThat(((Envelope.Opened.BadPayload) opened).messageId()).isEqualTo(ID);
    }

    @Test
    void overlongMessageIdIsMalformed() {
        ByteString longId = ByteString.copyFrom(new byte[Envelope.MESSAGE_ID_BYTES_MAX + 1]);
        Msg msg = Envelope.seal(longId, ByteString.EMPTY);
        assertThat(Envelope.open(ByteBuffer.wrap(msg.toByteArray()))).isInstanceOf(Envelope.Opened.Malformed.class);
    }

    @Test
    void commandAndErrorCodesAreTheProtocols() {
        assertThat(Command.of(0x01)).isEqualTo(Command.PUT);
        assertThat(Command.of(0x08)).isEqualTo(Command.GET_MEMBERSHIP_COUNT);
        assertThat(Command.of(99)).isNull();
        assertThat(Command.of(-1)).isNull();
        assertThat(ErrorCode.of(0x07)).isEqualTo(ErrorCode.INVALID_VALUE);
        assertThat(ErrorCode.OVERLOAD.code()).isEqualTo(3);
    }
}
