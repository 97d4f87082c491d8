package io.ringkv.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringkv.common.TestSeeds;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** ReplyCache against a manual clock: expiry, eviction, ring wrap-around, a reference model, threads. */
class ReplyCacheTest {
    private static final long TTL_NANOS = TimeUnit.SECONDS.toNanos(7);
    private static final long STRIPE_BYTES = 4096;
    private static final InetSocketAddress CLIENT = client("127.0.0.1", 5000);
    private static final byte[] ID = id(1);

    private long nowNanos = -123_456_789; // negative on purpose: System.nanoTime() may be too
    private final List<ReplyCache> caches = new ArrayList<>();

    @AfterEach
    void closeCaches() {
        caches.forEach(ReplyCache::close);
    }

    private ReplyCache cache(long capacityBytes, int stripes) {
        var cache = new ReplyCache(capacityBytes, TTL_NANOS, stripes, () -> nowNanos, 42);
        caches.add(cache);
        return cache;
    }

    @Test
    void returnsStoredReplyAndCountsHitsAndMisses() {
        var cache = cache(1 << 20, 4);
        assertNull(cache.get(CLIENT, ID));
        cache.put(CLIENT, ID, bytes("reply"));
        assertArrayEquals(bytes("reply"), cache.get(CLIENT, ID));
        assertNull(cache.get(CLIENT, id(2)));
        assertEquals(1, cache.hits());
        assertEquals(2, cache.misses());
        assertEquals(1, cache.entries());
        assertEquals(ReplyCache.entryBytes(4, ID.length, 5), cache.usedBytes());
    }

    @Test
    void returnedArrayIsACopy() {
        var cache = cache(1 << 20, 1);
        cache.put(CLIENT, ID, bytes("reply"));
        cache.get(CLIENT, ID)[0] = 'X';
        assertArrayEquals(bytes("reply"), cache.get(CLIENT, ID));
    }

    @Test
    void expiresExactlyAtTtl() {
        var cache = cache(1 << 20, 1);
        cache.put(CLIENT, ID, bytes("reply"));
        nowNanos += TTL_NANOS - 1;
        assertArrayEquals(bytes("reply"), cache.get(CLIENT, ID));
        nowNanos += 1;
        assertNull(cache.get(CLIENT, ID));
        // Reclaimed lazily: the next admission check frees it.
        assertEquals(1, cache.entries());
        assertTrue(cache.hasRoom(CLIENT, id(2), 10));
        assertEquals(0, cache.entries());
        assertEquals(0, cache.usedBytes());
    }

    @Test
    void replacesReplyForSameKey() {
        var cache = cache(1 << 20, 1);
        cache.put(CLIENT, ID, bytes("first"));
        nowNanos += TTL_NANOS / 2;
        cache.put(CLIENT, ID, bytes("second, longer"));
        assertArrayEquals(bytes("second, longer"), cache.get(CLIENT, ID));
        assertEquals(1, cache.entries());
        // The replacement lives a full TTL from its own put, past the first entry's expiry.
        nowNanos += TTL_NANOS - 1;
        assertArrayEquals(bytes("second, longer"), cache.get(CLIENT, ID));
        assertTrue(cache.hasRoom(CLIENT, id(2), 10)); // reclaims the replaced entry's bytes
        assertEquals(ReplyCache.entryBytes(4, ID.length, 14), cache.usedBytes());
        assertEquals(0, cache.earlyEvictions());
    }

    @Test
    void portAddressAndMessageIdEachDistinguishKeys() {
        var cache = cache(1 << 20, 8);
        var keys = new ArrayList<InetSocketAddress>();
        keys.add(CLIENT);
        keys.add(client("127.0.0.1", 5001));
        keys.add(client("127.0.0.2", 5000));
        keys.add(client("10.0.0.1", 5000));
        keys.add(client("::1", 5000));
        keys.add(client("::2", 5000));
        keys.add(client("fe80::1", 5000));
        keys.add(client("2001:db8::1", 65535));
        byte[][] ids = {new byte[0], {0}, {0, 0}, id(1), id(2), Arrays.copyOf(id(1), 15), Arrays.copyOf(id(1), 17),
            filled(255, 7), filled(255, 8)};
        for (var client : keys) {
            for (byte[] id : ids) {
                cache.put(client, id, bytes(client + "/" + Arrays.toString(id)));
            }
        }
        for (var client : keys) {
            for (byte[] id : ids) {
                assertArrayEquals(bytes(client + "/" + Arrays.toString(id)), cache.get(client, id), client + " " + id.length);
            }
        }
        assertEquals((long) keys.size() * ids.length, cache.entries());
        assertNull(cache.get(client("127.0.0.1", 5002), ID));
        assertNull(cache.get(client("::3", 5000), ID));
    }

    @Test
    void ipv6ClientsRoundTripAndDifferInTheirLastByte() {
        var cache = cache(1 << 20, 2);
        var a = client("2001:db8:85a3::8a2e:370:7334", 40000);
        var b = client("2001:db8:85a3::8a2e:370:7335", 40000);
        cache.put(a, ID, bytes("a"));
        assertArrayEquals(bytes("a"), cache.get(a, ID));
        assertNull(cache.get(b, ID));
        cache.put(b, ID, bytes("b"));
        assertArrayEquals(bytes("a"), cache.get(a, ID));
        assertArrayEquals(bytes("b"), cache.get(b, ID));
        assertEquals(2 * ReplyCache.entryBytes(16, ID.length, 1), cache.usedBytes());
    }

    @Test
    void ringWrapsOverManyGenerationsWithoutEarlyEvictions() {
        var cache = cache(STRIPE_BYTES, 1);
        var random = new SplittableRandom(7);
        long step = TTL_NANOS / 20; // about 20 entries of <= 120 bytes live at once: under half the ring
        var live = new ArrayList<byte[]>();
        for (int i = 0; i < 5_000; i++) {
            byte[] reply = filled(random.nextInt(64), i);
            cache.put(CLIENT, id(i), reply);
            live.add(reply);
            if (live.size() > 19) {
                live.removeFirst();
            }
            for (int k = 0; k < live.size(); k++) {
                assertArrayEquals(live.get(k), cache.get(CLIENT, id(i - live.size() + 1 + k)), "i=" + i);
            }
            nowNanos += step;
        }
        assertEquals(0, cache.earlyEvictions());
        assertTrue(cache.entries() <= 21);
    }

    @Test
    void admissionFailsWhenFullOfUnexpiredRepliesAndRecoversWithTime() {
        var cache = cache(STRIPE_BYTES, 1);
        long startNanos = nowNanos;
        int stored = 0;
        while (cache.hasRoom(CLIENT, id(stored), 200)) {
            cache.put(CLIENT, id(stored), filled(200, stored));
            stored++;
            nowNanos += 1_000;
        }
        assertEquals(stored, cache.entries());
        assertTrue(cache.usedBytes() > STRIPE_BYTES - ReplyCache.entryBytes(4, 16, 200));
        assertTrue(cache.hasRoom(CLIENT, id(stored), 0)); // a smaller reply still fits
        assertEquals(Math.ceilDiv(startNanos + TTL_NANOS - nowNanos, 1_000_000), cache.overloadWaitMs());

        nowNanos = startNanos + TTL_NANOS; // the oldest entry has just expired
        assertTrue(cache.hasRoom(CLIENT, id(stored), 200));
        assertEquals(stored - 1, cache.entries());
        assertNull(cache.get(CLIENT, id(0)));
        assertArrayEquals(filled(200, 1), cache.get(CLIENT, id(1)));
        assertEquals(0, cache.earlyEvictions());
    }

    @Test
    void putAfterLostRaceEvictsOldestEarlyAndCountsIt() {
        var cache = cache(STRIPE_BYTES, 1);
        int stored = 0;
        while (cache.hasRoom(CLIENT, id(stored), 500)) {
            cache.put(CLIENT, id(stored), filled(500, stored));
            stored++;
        }
        // Another request took the room this one was admitted for; its reply must still be kept.
        cache.put(CLIENT, id(stored), filled(500, stored));
        assertEquals(1, cache.earlyEvictions());
        assertNull(cache.get(CLIENT, id(0)));
        assertArrayEquals(filled(500, stored), cache.get(CLIENT, id(stored)));
        assertArrayEquals(filled(500, 1), cache.get(CLIENT, id(1)));
        assertEquals(stored, cache.entries());
    }

    @Test
    void fullIndexCountsAsFull() {
        var cache = cache(STRIPE_BYTES, 1);
        long entriesMax = STRIPE_BYTES / ReplyCache.INDEX_SIZING_ENTRY_BYTES;
        for (int i = 0; i < entriesMax; i++) {
            assertTrue(cache.hasRoom(CLIENT, id(i), 0));
            cache.put(CLIENT, id(i), new byte[0]);
        }
        assertTrue(cache.usedBytes() < STRIPE_BYTES); // 48-byte entries: the index limit comes first
        assertFalse(cache.hasRoom(CLIENT, id(-1), 0));
        cache.put(CLIENT, ID, bytes("replaces, needs no slot"));
        assertEquals(0, cache.earlyEvictions());
        cache.put(CLIENT, id(-1), new byte[0]);
        assertEquals(1, cache.earlyEvictions());
        assertEquals(entriesMax, cache.entries());
    }

    @Test
    void storesEmptyAndLargestReplies() {
        var cache = cache(2 * STRIPE_BYTES, 2);
        cache.put(CLIENT, ID, new byte[0]);
        assertArrayEquals(new byte[0], cache.get(CLIENT, ID));

        nowNanos += TTL_NANOS; // expired entries never stand in the way of admission
        var v6 = client("2001:db8::1", 1);
        byte[] longestId = filled(255, 3);
        byte[] largest = filled(cache.replyBytesMax(), 9);
        assertTrue(cache.hasRoom(v6, longestId, largest.length));
        cache.put(v6, longestId, largest);
        assertArrayEquals(largest, cache.get(v6, longestId));

        // A shorter key leaves room for a reply that fills the stripe exactly, and not a byte more.
        nowNanos += TTL_NANOS;
        int exact = (int) STRIPE_BYTES - ReplyCache.HEADER_BYTES - 4;
        byte[] empty = new byte[0];
        cache.put(CLIENT, empty, filled(exact, 5));
        assertArrayEquals(filled(exact, 5), cache.get(CLIENT, empty));
        assertFalse(cache.hasRoom(CLIENT, empty, exact + 1));
        assertThrows(IllegalArgumentException.class, () -> cache.put(CLIENT, empty, new byte[exact + 1]));
    }

    @Test
    void rejectsBadArguments() {
        LongSupplier clock = () -> nowNanos;
        assertThrows(IllegalArgumentException.class, () -> new ReplyCache(1 << 20, 0, 1, clock));
        assertThrows(IllegalArgumentException.class, () -> new ReplyCache(1 << 20, TTL_NANOS, 3, clock));
        assertThrows(IllegalArgumentException.class, () -> new ReplyCache(1 << 20, TTL_NANOS, 0, clock));
        assertThrows(IllegalArgumentException.class, () -> new ReplyCache(1 << 12, TTL_NANOS, 2, clock));
        assertThrows(IllegalArgumentException.class, () -> new ReplyCache(-1, TTL_NANOS, 1, clock));
        assertThrows(NullPointerException.class, () -> new ReplyCache(1 << 20, TTL_NANOS, 1, null));
        var cache = cache(1 << 20, 1);
        assertThrows(IllegalArgumentException.class, () -> cache.put(CLIENT, new byte[256], new byte[1]));
        assertThrows(IllegalArgumentException.class, () -> cache.get(CLIENT, new byte[256]));
        var unresolved = InetSocketAddress.createUnresolved("example.invalid", 1);
        assertThrows(IllegalArgumentException.class, () -> cache.get(unresolved, ID));
        assertThrows(IllegalArgumentException.class, () -> cache.hasRoom(CLIENT, ID, -1));
        assertNull(cache.get(CLIENT, new byte[255]));
    }

    @Test
    void closeFreesMemoryAndRefusesFurtherUse() {
        var cache = new ReplyCache(1 << 20, TTL_NANOS, 4, () -> nowNanos);
        cache.put(CLIENT, ID, bytes("reply"));
        assertArrayEquals(bytes("reply"), cache.get(CLIENT, ID));
        cache.close();
        assertThrows(IllegalStateException.class, () -> cache.get(CLIENT, ID));
        assertThrows(IllegalStateException.class, () -> cache.put(CLIENT, ID, bytes("x")));
        assertThrows(IllegalStateException.class, () -> cache.hasRoom(CLIENT, ID, 1));
        assertThrows(IllegalStateException.class, cache::overloadWaitMs);
        assertEquals(1, cache.hits());
        assertEquals(0, cache.entries());
        cache.close(); // idempotent, as Spring may call it after an explicit close
    }

    @Test
    void overloadWaitIsAtLeastOneMillisecond() {
        var cache = cache(1 << 20, 4);
        assertEquals(1, cache.overloadWaitMs());
        cache.put(CLIENT, ID, bytes("reply"));
        assertEquals(7_000, cache.overloadWaitMs());
        nowNanos += TTL_NANOS - 1;
        assertEquals(1, cache.overloadWaitMs());
    }

    /**
     * Random operations against a HashMap of (reply, put time). The cache may lose an unexpired
     * reply only if earlyEvictions grew since that reply's put, and a put admitted by hasRoom must
     * never evict early.
     */
    @Test
    void matchesReferenceModel() {
        long seed = TestSeeds.seed();
        var random = new SplittableRandom(seed);
        var cache = new ReplyCache(4 * 4 * STRIPE_BYTES, TTL_NANOS, 4, () -> nowNanos, seed);
        caches.add(cache);
        var clients = List.of(client("127.0.0.1", 1), client("127.0.0.1", 2), client("192.0.2.7", 1),
                client("::1", 1), client("2001:db8::7", 2));
        byte[][] ids = new byte[60][];
        for (int i = 0; i < ids.length; i++) {
            int length = i == 0 ? 0 : switch (i % 8) {
                case 1 -> 2 + random.nextInt(14);
                case 2 -> 255;
                default -> 16;
            };
            ids[i] = filled(length, i);
            if (length > 0) {
                ids[i][0] = (byte) (i >>> 8); // unique leading bytes keep the ids distinct
                ids[i][1] = (byte) i;
            }
        }
        record Ref(byte[] reply, long putNanos, long earlyEvictionsAtPut) {}
        var reference = new HashMap<Long, Ref>();
        for (int op = 0; op < 200_000; op++) {
            String context = "seed=" + seed + " op=" + op;
            int c = random.nextInt(clients.size());
            int i = random.nextInt(ids.length);
            long key = (long) c << 32 | i;
            InetSocketAddress client = clients.get(c);
            int roll = random.nextInt(1_000);
            if (roll < 400) {
                byte[] got = cache.get(client, ids[i]);
                Ref ref = reference.get(key);
                boolean unexpired = ref != null && nowNanos - ref.putNanos < TTL_NANOS;
                if (got != null) {
                    assertTrue(unexpired, context);
                    assertArrayEquals(ref.reply, got, context);
                } else if (unexpired) {
                    assertTrue(cache.earlyEvictions() > ref.earlyEvictionsAtPut, "lost unexpired reply, " + context);
                    reference.remove(key);
                }
            } else if (roll < 850) {
                byte[] reply = filled(replyBytes(random), op);
                boolean admitted = roll < 700;
                long earlyBefore = cache.earlyEvictions();
                if (admitted && !cache.hasRoom(client, ids[i], reply.length + random.nextInt(8))) {
                    continue;
                }
                cache.put(client, ids[i], reply);
                if (admitted) {
                    assertEquals(earlyBefore, cache.earlyEvictions(), "admitted put evicted early, " + context);
                }
                reference.put(key, new Ref(reply, nowNanos, cache.earlyEvictions()));
            } else if (roll < 970) {
                nowNanos += random.nextInt(100_000);
            } else if (roll < 999) {
                nowNanos += TTL_NANOS / (1 + random.nextInt(50));
            } else {
                nowNanos += TTL_NANOS - 1 + random.nextInt(2); // on either side of the expiry boundary
            }
            assertTrue(cache.usedBytes() <= cache.capacityBytes(), context);
            assertTrue(cache.entries() <= reference.size(), context);
        }
        assertTrue(cache.hits() > 10_000, "hits=" + cache.hits() + " seed=" + seed);
    }

    private static int replyBytes(SplittableRandom random) {
        int roll = random.nextInt(100);
        return roll < 60 ? random.nextInt(17) : roll < 95 ? random.nextInt(600) : random.nextInt(3_800);
    }

    /**
     * Four threads share a small cache that wraps constantly; every reply names its key and is
     * filled from it, so any hit that is not exactly what was stored for that key shows corruption.
     */
    @Test
    void threadsNeverSeeAnotherKeysBytes() throws InterruptedException {
        long seed = TestSeeds.seed();
        var clock = new AtomicLong();
        var cache = new ReplyCache(8 * STRIPE_BYTES, TTL_NANOS, 4, clock::get, seed);
        caches.add(cache);
        var clients = List.of(client("127.0.0.1", 9), client("::1", 9));
        var failures = new ConcurrentLinkedQueue<Throwable>();
        var threads = new ArrayList<Thread>();
        long deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (int t = 0; t < 4; t++) {
            long threadSeed = seed + t;
            threads.add(Thread.ofPlatform().start(() -> {
                var random = new SplittableRandom(threadSeed);
                try {
                    for (int op = 0; op < 200_000 && System.nanoTime() < deadlineNanos; op++) {
                        int c = random.nextInt(2);
                        int i = random.nextInt(1_000);
                        byte[] id = filled(1 + i % 40, i);
                        if (random.nextBoolean()) {
                            cache.put(clients.get(c), id, selfDescribing(c, i, random.nextInt(300)));
                        } else {
                            byte[] got = cache.get(clients.get(c), id);
                            if (got != null) {
                                assertArrayEquals(selfDescribing(c, i, got.length - 8), got, "seed=" + threadSeed);
                            }
                        }
                        if (random.nextInt(64) == 0) {
                            clock.addAndGet(random.nextLong(TTL_NANOS / 8));
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread thread : threads) {
            assertTrue(thread.join(Duration.ofSeconds(30)), "thread stuck, seed=" + seed);
        }
        assertTrue(failures.isEmpty(), () -> "seed=" + seed + ": " + failures.peek());
        assertTrue(cache.hits() > 0 && cache.entries() > 0, "seed=" + seed);
    }

    private static byte[] selfDescribing(int client, int id, int fillerBytes) {
        var buffer = ByteBuffer.allocate(8 + fillerBytes).putInt(client).putInt(id);
        while (buffer.hasRemaining()) {
            buffer.put((byte) (client * 31 + id + buffer.position()));
        }
        return buffer.array();
    }

    private static InetSocketAddress client(String literal, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(literal), port);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] id(int n) {
        return ByteBuffer.allocate(16).putLong(0x5eed).putLong(n).array();
    }

    private static byte[] filled(int length, int salt) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (salt * 7 + i);
        }
        return bytes;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
