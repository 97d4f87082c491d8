package io.ringkv.client;

import com.google.protobuf.ByteString;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands out 16-byte messageIDs that look random and are unique within one client.
 *
 * <p>The node's at-most-once cache is keyed by (client address, messageID), so a repeated ID from
 * the same address would be answered from the cache instead of executed. Drawing independent random
 * IDs would make that unlikely; here it cannot happen at all: each half is a bijective mix of a
 * per-request counter and a per-client random salt, so two requests of one client never share an
 * ID, and a client restarted on the same port starts from other salts.
 *
 * <p>Thread-safe and lock-free.
 */
final class MessageIds {
    static final int ID_BYTES = 16;

    private final long salt0;
    private final long salt1;
    private final AtomicLong counter = new AtomicLong();

    MessageIds(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        salt0 = random.nextLong();
        salt1 = random.nextLong();
    }

    ByteString next() {
        long n = counter.getAndIncrement();
        byte[] id = new byte[ID_BYTES];
        putLong(id, 0, mix64(salt0 + n));
        putLong(id, 8, mix64(salt1 + n));
        return ByteString.copyFrom(id);
    }

    /** The SplitMix64 finalizer: a bijection on longs, so distinct inputs give distinct outputs. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private static void putLong(byte[] into, int offset, long value) {
        for (int i = 0; i < 8; i++) {
            into[offset + i] = (byte) (value >>> (56 - 8 * i));
        }
    }
}
