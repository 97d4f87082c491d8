package io.ringkv.common;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Seeds for randomized tests: {@code -Dringkv.seed=N} replays a failure, otherwise each run picks a
 * new seed. Tests put the seed into their assertion messages so a failure prints it.
 */
public final class TestSeeds {
    private TestSeeds() {}

    public static long seed() {
        String fixed = System.getProperty("ringkv.seed");
        return fixed != null ? Long.parseLong(fixed) : ThreadLocalRandom.current().nextLong();
    }
}
