package io.ringkv.membership;

import io.ringkv.membership.Message.Ack;
import io.ringkv.membership.Message.Gossip;
import io.ringkv.membership.Message.Nack;
import io.ringkv.membership.Message.Ping;
import io.ringkv.membership.Message.PingReq;
import io.ringkv.membership.Message.SyncReply;
import io.ringkv.membership.Message.SyncRequest;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The membership protocol's datagram format, version 1. Big-endian throughout.
 *
 * <pre>
 * datagram := header epoch? body tag?
 * header   := [1 version = 1] [1 flags: bit 0 = a tag follows, bit 1 = an epoch follows, other bits 0] [1 type]
 * epoch    := [8 the sender's ring epoch, not negative]
 * tag      := [16 the first 16 bytes of HMAC-SHA256(cluster key, every byte before the tag)]
 * body by type (ONLY APPEND new types: the numbers are part of the protocol):
 *   1 PING         := [4 seq] [str targetId] updates
 *   2 PING_REQ     := [4 seq] endpoint updates
 *   3 ACK          := [4 seq] updates
 *   4 NACK         := [4 seq] updates
 *   5 SYNC_REQUEST := update(self) [str afterId] updates
 *   6 SYNC_REPLY   := updates(members) [str nextAfterId] updates
 *   7 GOSSIP       := updates
 * updates  := [1 count, 0..255] update*
 * update   := [1 kind: 1 ALIVE, 2 SUSPECT, 3 DEAD, 4 LEFT] [8 incarnation, not negative] endpoint [str from]
 * endpoint := [str id, 1..128 bytes] [str host, 1..255 bytes] [2 port, unsigned, 1..65535]
 * str      := [1 length] [length bytes of UTF-8]
 * </pre>
 *
 * <p>The epoch is the envelope's, not the protocol core's: a member of an ECS's cluster stamps the
 * ring epoch it routes by on everything it sends, so that a peer behind it learns of a newer ring
 * from the next probe (see {@code io.ringkv.node.EcsGossip}); the core never sees it.
 *
 * <p>With a cluster key, every datagram carries the tag and one without it, or with a wrong one,
 * is rejected before any of it is parsed; without a key, a tagged datagram is rejected too (it
 * comes from a cluster we cannot verify). The tag authenticates, it does not hide: membership news
 * is not secret, but a forged "dead" from outside the cluster must not take members down. There is
 * no replay protection: a replayed message can only repeat news that incarnation numbers order.
 *
 * <p>Decoding never throws and never allocates more than the datagram's size warrants: every length
 * and count is checked against the bytes that remain before anything is made of it. Thread-safe.
 */
public final class MembershipCodec {
    public static final int VERSION = 1;
    public static final int TAG_BYTES = 16;
    public static final int EPOCH_BYTES = 8;
    /** What a datagram may carry besides its message: the tag and the epoch. The core leaves room for both. */
    public static final int ENVELOPE_BYTES_MAX = TAG_BYTES + EPOCH_BYTES;
    /** What {@link Decoded.Ok#epoch} is when the sender stamped none. */
    public static final long NO_EPOCH = -1;
    static final int HEADER_BYTES = 3;
    private static final int FLAG_TAGGED = 1;
    private static final int FLAG_EPOCH = 2;
    private static final int TYPE_PING = 1;
    private static final int TYPE_PING_REQ = 2;
    private static final int TYPE_ACK = 3;
    private static final int TYPE_NACK = 4;
    private static final int TYPE_SYNC_REQUEST = 5;
    private static final int TYPE_SYNC_REPLY = 6;
    private static final int TYPE_GOSSIP = 7;
    /** kind + incarnation + (length + 1 byte) id, host and from + port. */
    static final int UPDATE_BYTES_MIN = 1 + 8 + 2 + 2 + 2 + 2;
    private static final String HMAC = "HmacSHA256";

    /** Why a datagram was not accepted; each is counted by the runner. */
    public enum Rejection {
        /** No tag where the cluster key requires one, a tag where none is expected, or a wrong one. */
        UNAUTHENTICATED,
        /** Larger than the datagram limit. */
        TOO_LARGE,
        /** Authentic (or unauthenticated by configuration) but not a valid message. */
        MALFORMED
    }

    /** What a datagram turned out to be. */
    public sealed interface Decoded {
        /** @param epoch the sender's ring epoch, or {@link #NO_EPOCH} */
        record Ok(Message message, long epoch) implements Decoded {
            public Ok(Message message) {
                this(message, NO_EPOCH);
            }
        }

        record Rejected(Rejection rejection, String reason) implements Decoded {}
    }

    private final int datagramBytesMax;
    /** Null without a cluster key. Mac instances are not thread-safe, so each thread has its own. */
    private final ThreadLocal<Mac> mac;

    /**
     * @param clusterKey the shared secret that authenticates messages, or null for none; at least
     *     16 bytes
     */
    public MembershipCodec(byte[] clusterKey, int datagramBytesMax) {
        this.datagramBytesMax = datagramBytesMax;
        if (clusterKey == null) {
            mac = null;
            return;
        }
        if (clusterKey.length < 16) {
            throw new IllegalArgumentException("a cluster key needs at least 16 bytes, got " + clusterKey.length);
        }
        SecretKeySpec key = new SecretKeySpec(clusterKey.clone(), HMAC);
        mac = ThreadLocal.withInitial(() -> {
            try {
                Mac m = Mac.getInstance(HMAC);
                m.init(key);
                return m;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("every Java runtime has " + HMAC, e);
            }
        });
        mac.get(); // fail here, not on the first datagram, if the key is unusable
    }

    /** Whether datagrams carry (and must carry) a tag. */
    public boolean authenticated() {
        return mac != null;
    }

    /** Extra bytes a datagram carries besides its message: the tag, when authenticated. */
    public int tagBytes() {
        return mac == null ? 0 : TAG_BYTES;
    }

    // ---- sizes, for the core to fit its messages within the datagram limit ----

    /** The bytes {@code update} takes in a message. */
    static int updateBytes(Update update) {
        return 1 + 8 + endpointBytes(update.member()) + strBytes(update.from());
    }

    /** The bytes {@code message} takes encoded, without a tag. */
    static int messageBytes(Message message) {
        int body = switch (message) {
            case Ping p -> 4 + strBytes(p.targetId());
            case PingReq p -> 4 + endpointBytes(p.target());
            case Ack a -> 4;
            case Nack n -> 4;
            case SyncRequest s -> updateBytes(s.self()) + strBytes(s.afterId());
            case SyncReply s -> updatesBytes(s.members()) + strBytes(s.nextAfterId());
            case Gossip g -> 0;
        };
        return HEADER_BYTES + body + updatesBytes(message.gossip());
    }

    static int updatesBytes(List<Update> updates) {
        int bytes = 1;
        for (Update update : updates) {
            bytes += updateBytes(update);
        }
        return bytes;
    }

    private static int endpointBytes(Endpoint endpoint) {
        return strBytes(endpoint.id()) + strBytes(endpoint.address().host()) + 2;
    }

    private static int strBytes(String s) {
        return 1 + utf8Length(s);
    }

    private static int utf8Length(String s) {
        int bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    // ---- encoding ----

    /**
     * The datagram for {@code message}, tagged when a cluster key is set.
     *
     * @throws IllegalArgumentException if it would exceed the datagram limit (the core never builds
     *     such a message) or holds more than 255 updates in one list
     */
    public byte[] encode(Message message) {
        return encode(message, NO_EPOCH);
    }

    /** As {@link #encode(Message)}, stamped with {@code epoch} unless it is {@link #NO_EPOCH}. */
    public byte[] encode(Message message, long epoch) {
        if (epoch < NO_EPOCH) {
            throw new IllegalArgumentException("a ring epoch is not negative: " + epoch);
        }
        boolean stamped = epoch != NO_EPOCH;
        int length = messageBytes(message) + tagBytes() + (stamped ? EPOCH_BYTES : 0);
        if (length > datagramBytesMax) {
            throw new IllegalArgumentException("message of " + length + " bytes exceeds the datagram limit of "
                    + datagramBytesMax + ": " + message.getClass().getSimpleName());
        }
        ByteBuffer out = ByteBuffer.allocate(length);
        out.put((byte) VERSION).put((byte) ((mac == null ? 0 : FLAG_TAGGED) | (stamped ? FLAG_EPOCH : 0)));
        out.put((byte) switch (message) {
            case Ping p -> TYPE_PING;
            case PingReq p -> TYPE_PING_REQ;
            case Ack a -> TYPE_ACK;
            case Nack n -> TYPE_NACK;
            case SyncRequest r -> TYPE_SYNC_REQUEST;
            case SyncReply r -> TYPE_SYNC_REPLY;
            case Gossip g -> TYPE_GOSSIP;
        });
        if (stamped) {
            out.putLong(epoch);
        }
        switch (message) {
            case Ping p -> {
                out.putInt(p.seq());
                putStr(out, p.targetId());
            }
            case PingReq p -> {
                out.putInt(p.seq());
                putEndpoint(out, p.target());
            }
            case Ack a -> out.putInt(a.seq());
            case Nack n -> out.putInt(n.seq());
            case SyncRequest r -> {
                putUpdate(out, r.self());
                putStr(out, r.afterId());
            }
            case SyncReply r -> {
                putUpdates(out, r.members());
                putStr(out, r.nextAfterId());
            }
            case Gossip g -> {
                // updates alone
            }
        }
        putUpdates(out, message.gossip());
        if (mac != null) {
            byte[] tag = tag(out.array(), 0, out.position());
            out.put(tag, 0, TAG_BYTES);
        }
        return out.array();
    }

    private static void putUpdates(ByteBuffer out, List<Update> updates) {
        if (updates.size() > SwimConfig.UPDATES_PER_MESSAGE_LIMIT) {
            throw new IllegalArgumentException("at most " + SwimConfig.UPDATES_PER_MESSAGE_LIMIT
                    + " updates fit one list, got " + updates.size());
        }
        out.put((byte) updates.size());
        for (Update update : updates) {
            putUpdate(out, update);
        }
    }

    private static void putUpdate(ByteBuffer out, Update update) {
        out.put((byte) update.kind().code).putLong(update.incarnation());
        putEndpoint(out, update.member());
        putStr(out, update.from());
    }

    private static void putEndpoint(ByteBuffer out, Endpoint endpoint) {
        putStr(out, endpoint.id());
        putStr(out, endpoint.address().host());
        out.putShort((short) endpoint.address().port());
    }

    private static void putStr(ByteBuffer out, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 255) {
            throw new IllegalArgumentException("string of " + bytes.length + " bytes does not fit a one-byte length");
        }
        out.put((byte) bytes.length).put(bytes);
    }

    private byte[] tag(byte[] bytes, int offset, int length) {
        Mac m = mac.get();
        m.update(bytes, offset, length);
        return m.doFinal();
    }

    // ---- decoding ----

    /** Reads one datagram: {@code length} bytes of {@code bytes} from {@code offset}. Never throws. */
    public Decoded decode(byte[] bytes, int offset, int length) {
        if (length > datagramBytesMax) {
            return new Decoded.Rejected(Rejection.TOO_LARGE, length + " bytes, the limit is " + datagramBytesMax);
        }
        if (length < HEADER_BYTES) {
            return malformed("shorter than a header: " + length + " bytes");
        }
        int flags = bytes[offset + 1] & 0xff;
        boolean tagged = (flags & FLAG_TAGGED) != 0;
        if (tagged != (mac != null)) {
            return new Decoded.Rejected(Rejection.UNAUTHENTICATED,
                    tagged ? "tagged, but no cluster key is configured" : "no tag, but a cluster key is configured");
        }
        int bodyEnd = offset + length;
        if (tagged) {
            if (length < HEADER_BYTES + TAG_BYTES) {
                return new Decoded.Rejected(Rejection.UNAUTHENTICATED, "too short for a tag");
            }
            bodyEnd -= TAG_BYTES;
            byte[] expected = Arrays.copyOf(tag(bytes, offset, bodyEnd - offset), TAG_BYTES);
            byte[] actual = Arrays.copyOfRange(bytes, bodyEnd, bodyEnd + TAG_BYTES);
            if (!MessageDigest.isEqual(expected, actual)) {
                return new Decoded.Rejected(Rejection.UNAUTHENTICATED, "wrong tag");
            }
        }
        int version = bytes[offset] & 0xff;
        if (version != VERSION) {
            return malformed("unsupported version " + version);
        }
        if ((flags & ~(FLAG_TAGGED | FLAG_EPOCH)) != 0) {
            return malformed("unknown flags " + flags);
        }
        ByteBuffer in = ByteBuffer.wrap(bytes, offset + HEADER_BYTES, bodyEnd - offset - HEADER_BYTES);
        int type = bytes[offset + 2] & 0xff;
        try {
            long epoch = NO_EPOCH;
            if ((flags & FLAG_EPOCH) != 0) {
                epoch = in.getLong();
                if (epoch < 0) {
                    throw new MalformedException("a negative ring epoch " + epoch);
                }
            }
            Message message = switch (type) {
                case TYPE_PING -> {
                    int seq = in.getInt();
                    yield new Ping(seq, getStr(in), getUpdates(in));
                }
                case TYPE_PING_REQ -> {
                    int seq = in.getInt();
                    yield new PingReq(seq, getEndpoint(in), getUpdates(in));
                }
                case TYPE_ACK -> new Ack(in.getInt(), getUpdates(in));
                case TYPE_NACK -> new Nack(in.getInt(), getUpdates(in));
                case TYPE_SYNC_REQUEST -> {
                    Update self = getUpdate(in);
                    yield new SyncRequest(self, getStr(in), getUpdates(in));
                }
                case TYPE_SYNC_REPLY -> {
                    List<Update> members = getUpdates(in);
                    yield new SyncReply(members, getStr(in), getUpdates(in));
                }
                case TYPE_GOSSIP -> new Gossip(getUpdates(in));
                default -> throw new MalformedException("unknown message type " + type);
            };
            if (in.hasRemaining()) {
                return malformed(in.remaining() + " bytes after the message");
            }
            return new Decoded.Ok(message, epoch);
        } catch (MalformedException e) {
            return malformed(e.getMessage());
        } catch (BufferUnderflowException e) {
            return malformed("truncated");
        } catch (IllegalArgumentException e) {
            // A field the records refuse (an empty id, port 0, a negative incarnation).
            return malformed(e.getMessage());
        }
    }

    private static Decoded malformed(String reason) {
        return new Decoded.Rejected(Rejection.MALFORMED, reason);
    }

    /** Thrown inside decoding only; never escapes {@link #decode}. */
    private static final class MalformedException extends RuntimeException {
        MalformedException(String message) {
            super(message, null, false, false);
        }
    }

    private static List<Update> getUpdates(ByteBuffer in) {
        int count = in.get() & 0xff;
        if ((long) count * UPDATE_BYTES_MIN > in.remaining()) {
            throw new MalformedException(count + " updates cannot fit the " + in.remaining() + " bytes left");
        }
        List<Update> updates = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            updates.add(getUpdate(in));
        }
        return updates;
    }

    private static Update getUpdate(ByteBuffer in) {
        int code = in.get() & 0xff;
        Update.Kind kind = Update.Kind.ofCode(code);
        if (kind == null) {
            throw new MalformedException("unknown update kind " + code);
        }
        long incarnation = in.getLong();
        Endpoint member = getEndpoint(in);
        return new Update(kind, member, incarnation, getStr(in));
    }

    private static Endpoint getEndpoint(ByteBuffer in) {
        String id = getStr(in);
        String host = getStr(in);
        int port = in.getShort() & 0xffff;
        return new Endpoint(id, new Address(host, port));
    }

    private static String getStr(ByteBuffer in) {
        int length = in.get() & 0xff;
        if (length > in.remaining()) {
            throw new MalformedException("a string of " + length + " bytes with " + in.remaining() + " left");
        }
        ByteBuffer slice = in.slice(in.position(), length);
        in.position(in.position() + length);
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(slice).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedException("a string that is not UTF-8");
        }
    }
}
