package io.ringkv.node;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * Replies kept for at-most-once semantics, keyed by (client address, client port, messageId), each
 * for the same TTL, in off-heap memory so that a 64 MiB heap can cache replies for ~500k
 * requests/s without boxing an object per reply.
 *
 * <p>Design. Keys are hashed (a seeded 64-bit hash, so that clients cannot cheaply aim messageIds at
 * one index chain) to one of {@code stripes} independent stripes, each behind its own lock so that event-loop
 * threads rarely contend. A stripe owns a FIFO ring of entries in one {@link MemorySegment} and an
 * open-addressing index (linear probing) in another. Because every entry lives exactly one TTL and
 * entries are appended in clock order under the stripe lock, the oldest entry is always the first to
 * expire: eviction only ever advances the ring tail, and the evicted entry's index slot is removed by
 * backward-shift deletion so that probe chains need no tombstones. Expired entries are never
 * returned; they are reclaimed lazily by {@link #put}, {@link #hasRoom} and {@link #overloadWaitMs}.
 *
 * <p>Ring entry layout, starting 8-byte aligned, all fields native order unless noted:
 * <pre>
 *  0  int   entryBytes   size of this entry including padding; SKIP (-1): the ring resumes at 0
 *  4  int   replyBytes   reply length; DEAD (-1) once a newer entry for the same key replaced it
 *  8  long  insertNanos  clock reading at put; the entry expires when now - insertNanos >= ttl
 * 16  int   keyTag       high 32 bits of the key hash; the index home slot derives from it
 * 20  short port         client port, unsigned
 * 22  byte  addressBytes 4 (IPv4) or 16 (IPv6)
 * 23  byte  idBytes      messageId length, unsigned 0..255
 * 24  ...   address (big-endian, as on the wire), messageId, reply, then 0 to 7 unused padding bytes
 * </pre>
 * An entry that would straddle the ring end leaves a SKIP marker there and starts at offset 0; the
 * skipped gap counts as used until the tail passes it. Entries are 8-aligned so the gap is always
 * at least 8 bytes, room for the marker.
 *
 * <p>Index slot: one long, 0 when empty, else {@code keyTag << 32 | (entryOffset / 8 + 1)}. Probes
 * compare the tag first and touch the ring only on a tag match; deletion reads home slots from the
 * tag without touching the ring. A stripe's index is sized for {@link #INDEX_SIZING_ENTRY_BYTES}
 * per entry at load factor at most 3/4, costing about 19% of {@code capacityBytes} on top; an index
 * at its entry limit is treated like a full ring.
 *
 * <p>Overhead per entry: 24 header bytes and 0 to 7 padding bytes in the ring, besides the 4 or 16
 * address bytes, the messageId and the reply. The index is a fixed 8 bytes per slot, about 10.7
 * bytes per {@link #INDEX_SIZING_ENTRY_BYTES} of ring; a typical PUT reply entry (IPv4, 16-byte
 * messageId, reply of up to 4 bytes) takes 48 ring bytes plus that share of the index.
 *
 * <p>Thread-safe. Calls never block on I/O; they hold one stripe lock for a bounded time (an
 * eviction loop is bounded by the entries in a stripe and amortized to O(1) per put). The hot path
 * allocates nothing for IPv4 clients except the array a hit returns; an IPv6 address is read through
 * {@link InetAddress#getAddress()}, which copies 16 bytes.
 */
public final class ReplyCache implements AutoCloseable {
    /** Why 56: an IPv4 client, a 16-byte messageId and a small status reply (the PUT case). */
    static final long INDEX_SIZING_ENTRY_BYTES = 56;
    static final int HEADER_BYTES = 24;
    static final int MESSAGE_ID_BYTES_MAX = 255;
    static final int STRIPES_MAX = 4096;
    static final long STRIPE_BYTES_MIN = 4096;
    /** Offsets are kept in 32 bits of 8-byte units in index slots; 16 GiB keeps well inside that. */
    static final long STRIPE_BYTES_MAX = 16L << 30;
    static final long TTL_NANOS_MAX = 24L * 3600 * 1_000_000_000L;

    private static final int SKIP = -1;
    private static final int DEAD = -1;
    private static final int ADDRESS_OFFSET = HEADER_BYTES;
    private static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong BE_LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LE_LONG_UNALIGNED =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle ARRAY_BE_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle ARRAY_LE_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final boolean IPV4_HASH_IS_ADDRESS = ipv4HashIsAddress();

    private final Arena arena;
    private final Stripe[] stripes;
    private final long stripeBytes;
    private final long ttlNanos;
    private final LongSupplier nanoTime;
    private final long hashSeed;
    /** Written while holding every stripe lock, read while holding one. */
    private boolean closed;

    /**
     * capacityBytes: total off-heap bytes for entries (index memory extra, documented); ttlNanos > 0;
     * stripes power of two >= 1; nanoTime: injected monotonic clock (System::nanoTime in production).
     * The index adds about 19% of capacityBytes off-heap. The hash seed is random, so that clients
     * cannot predict index placement.
     */
    public ReplyCache(long capacityBytes, long ttlNanos, int stripes, LongSupplier nanoTime) {
        this(capacityBytes, ttlNanos, stripes, nanoTime, ThreadLocalRandom.current().nextLong());
    }

    /** As above with a fixed hash seed, for tests that must replay the same placement. */
    public ReplyCache(long capacityBytes, long ttlNanos, int stripes, LongSupplier nanoTime, long hashSeed) {
        if (stripes < 1 || stripes > STRIPES_MAX || Integer.bitCount(stripes) != 1) {
            throw new IllegalArgumentException("stripes must be a power of two in [1, " + STRIPES_MAX + "], was " + stripes);
        }
        if (ttlNanos <= 0 || ttlNanos > TTL_NANOS_MAX) {
            throw new IllegalArgumentException("ttlNanos must be in [1, " + TTL_NANOS_MAX + "], was " + ttlNanos);
        }
        long perStripe = capacityBytes / stripes;
        if (capacityBytes < 0 || perStripe < STRIPE_BYTES_MIN || perStripe > STRIPE_BYTES_MAX) {
            throw new IllegalArgumentException("capacityBytes / stripes must be in [" + STRIPE_BYTES_MIN + ", "
                    + STRIPE_BYTES_MAX + "], was " + capacityBytes + " / " + stripes);
        }
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.ttlNanos = ttlNanos;
        this.hashSeed = hashSeed;
        this.stripeBytes = perStripe & ~7L;
        int entriesMax = (int) (stripeBytes / INDEX_SIZING_ENTRY_BYTES);
        int slots = entriesMax + entriesMax / 3 + 1; // load <= 3/4, and always one empty slot ends a probe
        this.arena = Arena.ofShared();
        try {
            MemorySegment rings = arena.allocate(stripeBytes * stripes, Long.BYTES);
            MemorySegment indexes = arena.allocate((long) Long.BYTES * slots * stripes, Long.BYTES);
            this.stripes = new Stripe[stripes];
            for (int i = 0; i < stripes; i++) {
                this.stripes[i] = new Stripe(rings.asSlice(i * stripeBytes, stripeBytes),
                        indexes.asSlice((long) i * slots * Long.BYTES, (long) slots * Long.BYTES), slots, entriesMax,
                        ttlNanos);
            }
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** The cached reply for this client and messageId, copied into a new array, or null if absent or expired. */
    public byte[] get(InetSocketAddress client, byte[] messageId) {
        InetAddress address = checkKey(client, messageId);
        byte[] v6 = address instanceof Inet4Address ? null : address.getAddress();
        long a0 = v6 == null ? ipv4(address) : (long) ARRAY_BE_LONG.get(v6, 0);
        long a1 = v6 == null ? 0 : (long) ARRAY_BE_LONG.get(v6, 8);
        int addressBytes = v6 == null ? 4 : 16;
        int port = client.getPort();
        long hash = hash(hashSeed, addressBytes, a0, a1, port, messageId);
        Stripe s = stripes[(int) hash & (stripes.length - 1)];
        s.lock.lock();
        try {
            checkOpen();
            int slot = s.find((int) (hash >>> 32), addressBytes, a0, a1, port, messageId);
            if (slot < 0) {
                s.misses++;
                return null;
            }
            long offset = s.offsetAt(slot);
            if (nanoTime.getAsLong() - s.ring.get(ValueLayout.JAVA_LONG, offset + 8) >= ttlNanos) {
                s.misses++;
                return null;
            }
            byte[] reply = new byte[s.ring.get(ValueLayout.JAVA_INT, offset + 4)];
            long replyOffset = offset + HEADER_BYTES + addressBytes + messageId.length;
            MemorySegment.copy(s.ring, ValueLayout.JAVA_BYTE, replyOffset, reply, 0, reply.length);
            s.hits++;
            return reply;
        } finally {
            s.lock.unlock();
        }
    }

    /**
     * Admission check before executing a request: true if the key's stripe has (or can make, by
     * evicting only EXPIRED entries) room for an entry with a reply of replyBytesMax bytes. Callers
     * answer OVERLOAD when false. Room is not reserved: a concurrent put may take it, and then this
     * key's put evicts early. Always false for a reply that could never fit (see {@link #replyBytesMax()}).
     */
    public boolean hasRoom(InetSocketAddress client, byte[] messageId, int replyBytesMax) {
        InetAddress address = checkKey(client, messageId);
        if (replyBytesMax < 0) {
            throw new IllegalArgumentException("replyBytesMax must not be negative, was " + replyBytesMax);
        }
        int addressBytes = address instanceof Inet4Address ? 4 : 16;
        long entryBytes = entryBytes(addressBytes, messageId.length, replyBytesMax);
        if (entryBytes > stripeBytes) {
            return false;
        }
        byte[] v6 = addressBytes == 4 ? null : address.getAddress();
        long a0 = v6 == null ? ipv4(address) : (long) ARRAY_BE_LONG.get(v6, 0);
        long a1 = v6 == null ? 0 : (long) ARRAY_BE_LONG.get(v6, 8);
        long hash = hash(hashSeed, addressBytes, a0, a1, client.getPort(), messageId);
        Stripe s = stripes[(int) hash & (stripes.length - 1)];
        s.lock.lock();
        try {
            checkOpen();
            s.reclaim(nanoTime.getAsLong());
            // A slot is assumed needed: admission runs on a miss, when the key is not cached.
            return s.fits(entryBytes, true);
        } finally {
            s.lock.unlock();
        }
    }

    /**
     * Stores the reply; replaces an existing entry for the same key. Never fails: if room is still
     * short (a race after hasRoom), it evicts the oldest entries even if unexpired and counts them in
     * earlyEvictions(). Rejects (IllegalArgumentException) a reply larger than a stripe could ever hold.
     */
    public void put(InetSocketAddress client, byte[] messageId, byte[] reply) {
        InetAddress address = checkKey(client, messageId);
        Objects.requireNonNull(reply, "reply");
        byte[] v6 = address instanceof Inet4Address ? null : address.getAddress();
        long a0 = v6 == null ? ipv4(address) : (long) ARRAY_BE_LONG.get(v6, 0);
        long a1 = v6 == null ? 0 : (long) ARRAY_BE_LONG.get(v6, 8);
        int addressBytes = v6 == null ? 4 : 16;
        long entryBytes = entryBytes(addressBytes, messageId.length, reply.length);
        if (entryBytes > stripeBytes) {
            throw new IllegalArgumentException("reply of " + reply.length + " bytes cannot fit a stripe of "
                    + stripeBytes + " bytes; replyBytesMax() is " + replyBytesMax());
        }
        int port = client.getPort();
        long hash = hash(hashSeed, addressBytes, a0, a1, port, messageId);
        int tag = (int) (hash >>> 32);
        Stripe s = stripes[(int) hash & (stripes.length - 1)];
        s.lock.lock();
        try {
            checkOpen();
            long now = nanoTime.getAsLong();
            s.reclaim(now);
            int slot = s.find(tag, addressBytes, a0, a1, port, messageId);
            long evictionsBefore = s.evictions;
            while (!s.fits(entryBytes, slot < 0)) {
                s.evictOldest(now);
            }
            if (s.evictions != evictionsBefore) {
                // Backward-shift deletion may have moved slots, or evicted this very key.
                slot = s.find(tag, addressBytes, a0, a1, port, messageId);
            }
            long offset = s.append(entryBytes);
            s.write(offset, (int) entryBytes, now, tag, port, addressBytes, a0, a1, messageId, reply);
            long slotValue = (long) tag << 32 | (offset >>> 3) + 1;
            if (slot >= 0) {
                s.ring.set(ValueLayout.JAVA_INT, s.offsetAt(slot) + 4, DEAD);
                s.index.setAtIndex(ValueLayout.JAVA_LONG, slot, slotValue);
            } else {
                s.index.setAtIndex(ValueLayout.JAVA_LONG, -slot - 1, slotValue);
                s.count++;
            }
        } finally {
            s.lock.unlock();
        }
    }

    /**
     * Milliseconds until the oldest entry of the fullest stripe expires (a sensible OVERLOAD wait
     * hint), at least 1. Visits every stripe, so it belongs on the overload path, not on every request.
     */
    public int overloadWaitMs() {
        long fullestBytes = -1;
        long waitNanos = 0;
        for (Stripe s : stripes) {
            s.lock.lock();
            try {
                checkOpen();
                long now = nanoTime.getAsLong();
                s.reclaim(now);
                if (s.used > fullestBytes) {
                    fullestBytes = s.used;
                    waitNanos = s.used == 0 ? 0 : s.oldestInsertNanos() + ttlNanos - now;
                }
            } finally {
                s.lock.unlock();
            }
        }
        long waitMs = (waitNanos + 999_999) / 1_000_000;
        return Math.clamp(waitMs, 1, Integer.MAX_VALUE);
    }

    /** The largest reply that fits any key (IPv6, 255-byte messageId); longer keys' limits are lower. */
    public int replyBytesMax() {
        return (int) Math.min(Integer.MAX_VALUE - 8, stripeBytes - HEADER_BYTES - 16 - MESSAGE_ID_BYTES_MAX);
    }

    // Metrics stay readable after close, because scrapers race with shutdown.

    public long entries() {
        return sum(s -> s.count);
    }

    /** Ring bytes occupied, including padding, skipped gaps and replaced entries not yet reclaimed. */
    public long usedBytes() {
        return sum(s -> s.used);
    }

    /** Usable entry bytes: capacityBytes rounded down to whole 8-byte units per stripe. */
    public long capacityBytes() {
        return stripeBytes * stripes.length;
    }

    public long hits() {
        return sum(s -> s.hits);
    }

    public long misses() {
        return sum(s -> s.misses);
    }

    /** Unexpired entries evicted to make room, each a reply that a retry can no longer replay. */
    public long earlyEvictions() {
        return sum(s -> s.earlyEvictions);
    }

    /** Frees the Arena; further get, hasRoom, put and overloadWaitMs throw IllegalStateException. Idempotent. */
    @Override
    public void close() {
        for (Stripe s : stripes) {
            s.lock.lock();
        }
        try {
            if (!closed) {
                closed = true;
                for (Stripe s : stripes) {
                    s.count = 0;
                    s.used = 0;
                }
                arena.close();
            }
        } finally {
            for (int i = stripes.length - 1; i >= 0; i--) {
                stripes[i].lock.unlock();
            }
        }
    }

    private long sum(ToLongFunction<Stripe> metric) {
        long total = 0;
        for (Stripe s : stripes) {
            s.lock.lock();
            try {
                total += metric.applyAsLong(s);
            } finally {
                s.lock.unlock();
            }
        }
        return total;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("ReplyCache is closed");
        }
    }

    private static InetAddress checkKey(InetSocketAddress client, byte[] messageId) {
        InetAddress address = Objects.requireNonNull(client, "client").getAddress();
        if (address == null) {
            throw new IllegalArgumentException("client address is unresolved: " + client);
        }
        if (Objects.requireNonNull(messageId, "messageId").length > MESSAGE_ID_BYTES_MAX) {
            throw new IllegalArgumentException("messageId of " + messageId.length + " bytes exceeds "
                    + MESSAGE_ID_BYTES_MAX);
        }
        return address;
    }

    static long entryBytes(int addressBytes, int idBytes, long replyBytes) {
        return (HEADER_BYTES + addressBytes + idBytes + replyBytes + 7) & ~7L;
    }

    private static int ipv4(InetAddress address) {
        // Inet4Address.hashCode() is its address, which spares getAddress()'s array on the hot path.
        return IPV4_HASH_IS_ADDRESS ? address.hashCode() : bigEndianInt(address.getAddress());
    }

    private static int bigEndianInt(byte[] b) {
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    /** Checks, rather than assumes, the JDK detail that {@link #ipv4} relies on. */
    private static boolean ipv4HashIsAddress() {
        try {
            for (byte[] b : new byte[][] {{127, 0, 0, 1}, {(byte) 203, 0, 113, (byte) 255}, {10, (byte) 128, 7, 9}}) {
                if (InetAddress.getByAddress(b).hashCode() != bigEndianInt(b)) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Keyed, not cryptographic: enough that chains cannot be predicted without the seed. */
    static long hash(long seed, int addressBytes, long a0, long a1, int port, byte[] id) {
        long h = mix(seed, (long) addressBytes << 48 | (long) id.length << 16 | port);
        h = mix(mix(h, a0), a1);
        int i = 0;
        for (; i + Long.BYTES <= id.length; i += Long.BYTES) {
            h = mix(h, (long) ARRAY_LE_LONG.get(id, i));
        }
        if (i < id.length) {
            long word = 0;
            for (int shift = 0; i < id.length; i++, shift += 8) {
                word |= (id[i] & 0xffL) << shift;
            }
            h = mix(h, word);
        }
        // MurmurHash3's finalizer, so that every output bit depends on every input bit.
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        return h ^ h >>> 33;
    }

    private static long mix(long h, long word) {
        return Long.rotateLeft((h ^ word) * 0x9e3779b97f4a7c15L, 27);
    }

    /** One ring and its index; every field and method is used under {@link #lock}. */
    private static final class Stripe {
        final ReentrantLock lock = new ReentrantLock();
        final MemorySegment ring;
        final MemorySegment index;
        final long ringBytes;
        final int slots;
        final int entriesMax;
        final long ttlNanos;
        /** Ring offsets: next write, oldest entry; bytes between them (gaps and dead entries included). */
        long head;
        long tail;
        long used;
        /** Live entries, which is also occupied index slots. */
        int count;
        long evictions;
        long hits;
        long misses;
        long earlyEvictions;

        Stripe(MemorySegment ring, MemorySegment index, int slots, int entriesMax, long ttlNanos) {
            this.ring = ring;
            this.index = index;
            this.ringBytes = ring.byteSize();
            this.slots = slots;
            this.entriesMax = entriesMax;
            this.ttlNanos = ttlNanos;
        }

        /** The slot holding this key, or -(empty slot + 1) where it would be inserted. */
        int find(int tag, int addressBytes, long a0, long a1, int port, byte[] id) {
            int i = home(tag);
            while (true) {
                long v = index.getAtIndex(ValueLayout.JAVA_LONG, i);
                if (v == 0) {
                    return -i - 1;
                }
                if ((int) (v >>> 32) == tag && keyEquals((v & 0xffff_ffffL) - 1 << 3, addressBytes, a0, a1, port, id)) {
                    return i;
                }
                i = i + 1 == slots ? 0 : i + 1;
            }
        }

        long offsetAt(int slot) {
            return (index.getAtIndex(ValueLayout.JAVA_LONG, slot) & 0xffff_ffffL) - 1 << 3;
        }

        private int home(int tag) {
            return (int) ((tag & 0xffff_ffffL) * slots >>> 32); // Lemire's range reduction: slots need not be 2^k
        }

        private boolean keyEquals(long offset, int addressBytes, long a0, long a1, int port, byte[] id) {
            if ((ring.get(ValueLayout.JAVA_SHORT, offset + 20) & 0xffff) != port
                    || ring.get(ValueLayout.JAVA_BYTE, offset + 22) != addressBytes
                    || (ring.get(ValueLayout.JAVA_BYTE, offset + 23) & 0xff) != id.length) {
                return false;
            }
            long p = offset + ADDRESS_OFFSET;
            if (addressBytes == 4 ? ring.get(BE_INT, p) != (int) a0
                    : ring.get(BE_LONG, p) != a0 || ring.get(BE_LONG, p + 8) != a1) {
                return false;
            }
            p += addressBytes;
            int i = 0;
            for (; i + Long.BYTES <= id.length; i += Long.BYTES) {
                if (ring.get(LE_LONG_UNALIGNED, p + i) != (long) ARRAY_LE_LONG.get(id, i)) {
                    return false;
                }
            }
            for (; i < id.length; i++) {
                if (ring.get(ValueLayout.JAVA_BYTE, p + i) != id[i]) {
                    return false;
                }
            }
            return true;
        }

        /** Whether an entry of entryBytes can be appended now (contiguously) without evicting. */
        boolean fits(long entryBytes, boolean needSlot) {
            if (used == 0) {
                head = 0; // an empty ring restarts at 0, so any entry up to ringBytes fits contiguously
                tail = 0;
            }
            long gap = ringBytes - head < entryBytes ? ringBytes - head : 0;
            return used + gap + entryBytes <= ringBytes && (!needSlot || count < entriesMax);
        }

        /** Reserves entryBytes at the head; the caller has checked {@link #fits}. */
        long append(long entryBytes) {
            if (ringBytes - head < entryBytes) {
                ring.set(ValueLayout.JAVA_INT, head, SKIP);
                used += ringBytes - head;
                head = 0;
            }
            long offset = head;
            head = head + entryBytes == ringBytes ? 0 : head + entryBytes;
            used += entryBytes;
            return offset;
        }

        void write(long offset, int entryBytes, long now, int tag, int port, int addressBytes, long a0, long a1,
                byte[] id, byte[] reply) {
            ring.set(ValueLayout.JAVA_INT, offset, entryBytes);
            ring.set(ValueLayout.JAVA_INT, offset + 4, reply.length);
            ring.set(ValueLayout.JAVA_LONG, offset + 8, now);
            ring.set(ValueLayout.JAVA_INT, offset + 16, tag);
            ring.set(ValueLayout.JAVA_SHORT, offset + 20, (short) port);
            ring.set(ValueLayout.JAVA_BYTE, offset + 22, (byte) addressBytes);
            ring.set(ValueLayout.JAVA_BYTE, offset + 23, (byte) id.length);
            long p = offset + ADDRESS_OFFSET;
            if (addressBytes == 4) {
                ring.set(BE_INT, p, (int) a0);
            } else {
                ring.set(BE_LONG, p, a0);
                ring.set(BE_LONG, p + 8, a1);
            }
            p += addressBytes;
            MemorySegment.copy(id, 0, ring, ValueLayout.JAVA_BYTE, p, id.length);
            MemorySegment.copy(reply, 0, ring, ValueLayout.JAVA_BYTE, p + id.length, reply.length);
        }

        /** The offset of the oldest entry, looking past a SKIP marker; the ring must not be empty. */
        private long oldestOffset() {
            return ring.get(ValueLayout.JAVA_INT, tail) == SKIP ? 0 : tail;
        }

        long oldestInsertNanos() {
            return ring.get(ValueLayout.JAVA_LONG, oldestOffset() + 8);
        }

        /** Evicts replaced and expired entries from the tail; after it the oldest entry is live. */
        void reclaim(long now) {
            while (used > 0) {
                long offset = oldestOffset();
                if (ring.get(ValueLayout.JAVA_INT, offset + 4) != DEAD
                        && now - ring.get(ValueLayout.JAVA_LONG, offset + 8) < ttlNanos) {
                    return;
                }
                evictOldest(now);
            }
        }

        /** Evicts the oldest entry whatever its age, counting it when it had not expired. */
        void evictOldest(long now) {
            if (ring.get(ValueLayout.JAVA_INT, tail) == SKIP) {
                used -= ringBytes - tail;
                tail = 0;
            }
            int entryBytes = ring.get(ValueLayout.JAVA_INT, tail);
            if (ring.get(ValueLayout.JAVA_INT, tail + 4) != DEAD) {
                if (now - ring.get(ValueLayout.JAVA_LONG, tail + 8) < ttlNanos) {
                    earlyEvictions++;
                }
                removeSlot(ring.get(ValueLayout.JAVA_INT, tail + 16), tail);
                count--;
            }
            used -= entryBytes;
            tail = tail + entryBytes == ringBytes ? 0 : tail + entryBytes;
            evictions++;
        }

        /** Backward-shift deletion: later members of the chain move up, so no tombstones are needed. */
        private void removeSlot(int tag, long offset) {
            long wanted = (long) tag << 32 | (offset >>> 3) + 1;
            int hole = home(tag);
            long v;
            while ((v = index.getAtIndex(ValueLayout.JAVA_LONG, hole)) != wanted) {
                if (v == 0) {
                    throw new IllegalStateException("index lost the entry at ring offset " + offset);
                }
                hole = hole + 1 == slots ? 0 : hole + 1;
            }
            int j = hole;
            while (true) {
                j = j + 1 == slots ? 0 : j + 1;
                v = index.getAtIndex(ValueLayout.JAVA_LONG, j);
                if (v == 0) {
                    break;
                }
                int k = home((int) (v >>> 32));
                // The entry at j may move into the hole only if its home is not cyclically in (hole, j].
                boolean stays = hole <= j ? hole < k && k <= j : hole < k || k <= j;
                if (!stays) {
                    index.setAtIndex(ValueLayout.JAVA_LONG, hole, v);
                    hole = j;
                }
            }
            index.setAtIndex(ValueLayout.JAVA_LONG, hole, 0L);
        }
    }
}
