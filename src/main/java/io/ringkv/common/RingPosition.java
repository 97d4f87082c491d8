package io.ringkv.common;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Where a key sits on the consistent-hash ring: the first 8 bytes of the MD5 of the key, read
 * big-endian, ordered as an UNSIGNED 64-bit number (use {@link Long#compareUnsigned}).
 *
 * <p>A range {@code (startExclusive, endInclusive]} runs clockwise and wraps past the top; a range
 * whose ends are equal is the whole ring.
 */
public final class RingPosition {
    private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has MD5", e);
        }
    });

    private RingPosition() {}

    public static long of(byte[] key) {
        byte[] digest = MD5.get().digest(key);
        long position = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            position = position << 8 | (digest[i] & 0xff);
        }
        return position;
    }

    /** Whether position lies in the clockwise range {@code (startExclusive, endInclusive]}. */
    public static boolean inRange(long position, long startExclusive, long endInclusive) {
        if (startExclusive == endInclusive) {
            return true;
        }
        if (Long.compareUnsigned(startExclusive, endInclusive) < 0) {
            return Long.compareUnsigned(position, startExclusive) > 0
                    && Long.compareUnsigned(position, endInclusive) <= 0;
        }
        return Long.compareUnsigned(position, startExclusive) > 0
                || Long.compareUnsigned(position, endInclusive) <= 0;
    }
}
