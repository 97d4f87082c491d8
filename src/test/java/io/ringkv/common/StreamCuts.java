package io.ringkv.common;

/**
 * How fuzz tests cut a byte stream into reads: chunk sizes 1..16 drawn from the input's own last
 * bytes, so that the fuzzer steers the cuts as well as the content.
 */
public final class StreamCuts {
    private StreamCuts() {}

    /** Up to 8 chunk sizes, used in turn; {1} for an empty stream. */
    public static int[] chunkSizes(byte[] stream) {
        if (stream.length == 0) {
            return new int[] {1};
        }
        int[] sizes = new int[Math.min(8, stream.length)];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = 1 + ((stream[stream.length - 1 - i] & 0xff) % 16);
        }
        return sizes;
    }
}
