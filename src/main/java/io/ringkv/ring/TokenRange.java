package io.ringkv.ring;

import io.ringkv.common.RingPosition;

/**
 * A clockwise range of ring positions {@code (startExclusive, endInclusive]}, unsigned and
 * wrapping past the top; equal ends mean the whole ring (see {@link RingPosition}).
 */
public record TokenRange(long startExclusive, long endInclusive) {

    public boolean contains(long position) {
        return RingPosition.inRange(position, startExclusive, endInclusive);
    }

    /** Share of the ring this range covers, 0 < share ≤ 1. */
    public double share() {
        if (startExclusive == endInclusive) {
            return 1.0;
        }
        long width = endInclusive - startExclusive; // unsigned, wraps correctly
        return unsignedToDouble(width) / 0x1p64;
    }

    private static double unsignedToDouble(long v) {
        double d = (double) (v >>> 1) * 2.0;
        return d + (v & 1);
    }

    @Override
    public String toString() {
        return "(" + Long.toUnsignedString(startExclusive, 16) + ", " + Long.toUnsignedString(endInclusive, 16) + "]";
    }
}
