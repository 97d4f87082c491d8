package io.ringkv.wire;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import com.google.protobuf.WireFormat;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import io.ringkv.wire.proto.Msg;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Opens request envelopes and seals reply envelopes. Pure functions over bytes: no sockets, no
 * state, safe from any thread.
 */
public final class Envelope {
    /** Longest messageID we accept; the reference clients send 16 bytes. */
    public static final int MESSAGE_ID_BYTES_MAX = 64;

    private Envelope() {}

    /** What a received datagram or frame turned out to be. */
    public sealed interface Opened {
        /** A well-formed request. */
        record Request(ByteString messageId, KVRequest request) implements Opened {}

        /** The checksum did not match: dropped and counted, never answered. */
        record BadChecksum() implements Opened {}

        /** Not a usable envelope (no messageID, unparseable); there is nobody to answer. */
        record Malformed(String reason) implements Opened {}

        /**
         * The envelope is valid but its payload is not a request: answered UNKNOWN_COMMAND so the
         * client learns why instead of retrying into silence.
         */
        record BadPayload(ByteString messageId, String reason) implements Opened {}
    }

    private static final Opened BAD_CHECKSUM = new Opened.BadChecksum();

    /**
     * Parses one datagram or frame. Never throws for any input. The bytes are copied once into an
     * array of their own, which the messageID, the payload and the request's key and value then
     * share instead of each getting a copy; nothing else holds that array, so sharing it is safe.
     */
    public static Opened open(ByteBuffer bytes) {
        byte[] envelope = new byte[bytes.remaining()];
        bytes.get(bytes.position(), envelope);
        Msg msg;
        try {
            msg = Msg.parseFrom(aliasing(CodedInputStream.newInstance(envelope)));
        } catch (IOException | RuntimeException e) {
            return new Opened.Malformed("envelope does not parse: " + e.getMessage());
        }
        if (!msg.hasMessageID() || msg.getMessageID().isEmpty()) {
            return new Opened.Malformed("no messageID");
        }
        if (msg.getMessageID().size() > MESSAGE_ID_BYTES_MAX) {
            return new Opened.Malformed("messageID longer than " + MESSAGE_ID_BYTES_MAX + " bytes");
        }
        if (!msg.hasCheckSum() || msg.getCheckSum() != Checksum.of(msg.getMessageID(), msg.getPayload())) {
            return BAD_CHECKSUM;
        }
        try {
            KVRequest request = KVRequest.parseFrom(aliasing(msg.getPayload().newCodedInput()));
            return new Opened.Request(msg.getMessageID(), request);
        } catch (IOException | RuntimeException e) {
            return new Opened.BadPayload(msg.getMessageID(), "payload is not a KVRequest: " + e.getMessage());
        }
    }

    /** Seals any payload into a checksummed envelope. */
    public static Msg seal(ByteString messageId, ByteString payload) {
        return Msg.newBuilder()
                .setMessageID(messageId)
                .setPayload(payload)
                .setCheckSum(Checksum.of(messageId, payload))
                .build();
    }

    private static CodedInputStream aliasing(CodedInputStream input) {
        input.enableAliasing(true);
        return input;
    }

    /** The serialized reply envelope for a request's messageID. */
    public static byte[] sealReply(ByteString messageId, KVResponse response) {
        return sealed(messageId, response);
    }

    /**
     * {@code seal(messageId, payload.toByteString()).toByteArray()} in one pass: the payload is
     * serialized straight into the envelope's array, and the checksum is taken over the bytes
     * there. Byte for byte what the generated code writes (fields in number order).
     */
    private static byte[] sealed(ByteString messageId, MessageLite payload) {
        int payloadLength = payload.getSerializedSize();
        int idOffset = CodedOutputStream.computeTagSize(1) + CodedOutputStream.computeUInt32SizeNoTag(messageId.size());
        int payloadOffset = idOffset + messageId.size()
                + CodedOutputStream.computeTagSize(2) + CodedOutputStream.computeUInt32SizeNoTag(payloadLength);
        byte[] envelope = new byte[payloadOffset + payloadLength + CodedOutputStream.computeFixed64Size(3, 0)];
        CodedOutputStream out = CodedOutputStream.newInstance(envelope);
        try {
            out.writeBytes(1, messageId);
            out.writeTag(2, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt32NoTag(payloadLength);
            payload.writeTo(out);
            out.writeFixed64(3, Checksum.of(envelope, idOffset, messageId.size(), payloadOffset, payloadLength));
            out.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new IllegalStateException("an envelope did not fit the array sized for it", e);
        }
        return envelope;
    }

    /**
     * The same reply under another messageID: a reply cached for a client's own messageID, handed
     * to a node that forwarded the client's retry under a messageID of its own.
     */
    public static byte[] resealReply(byte[] sealed, ByteString messageId) {
        try {
            return seal(messageId, Msg.parseFrom(sealed).getPayload()).toByteArray();
        } catch (IOException e) {
            throw new IllegalArgumentException("not a sealed reply", e);
        }
    }

    /** The serialized request envelope, as clients send it. */
    public static byte[] sealRequest(ByteString messageId, KVRequest request) {
        return sealed(messageId, request);
    }

    /**
     * Opens a reply envelope on the client side. Returns null when the bytes are not a valid reply
     * (bad checksum or unparseable), which clients treat like a lost datagram.
     */
    public static Reply openReply(ByteBuffer bytes) {
        try {
            Msg msg = Msg.parseFrom(bytes);
            if (!msg.hasCheckSum() || msg.getCheckSum() != Checksum.of(msg.getMessageID(), msg.getPayload())) {
                return null;
            }
            return new Reply(msg.getMessageID(), KVResponse.parseFrom(msg.getPayload()));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A reply as a client sees it. */
    public record Reply(ByteString messageId, KVResponse response) {}
}
