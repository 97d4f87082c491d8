package io.ringkv.sim;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Seeds for simulations: {@code -Dringkv.sim.seed=N} replays a failure, otherwise each run draws a
 * new one. {@link #replayable} puts the seed and the replay command into any failure.
 */
final class SimSeeds {
    private SimSeeds() {}

    static long seed() {
        String fixed = System.getProperty("ringkv.sim.seed");
        return fixed != null ? Long.parseLong(fixed) : ThreadLocalRandom.current().nextLong();
    }

    interface Body {
        void run(long seed) throws Exception;
    }

    static void replayable(Body body) throws Exception {
        long seed = seed();
        try {
            body.run(seed);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("simulation failed with seed " + seed + "; replay with -Dringkv.sim.seed="
                    + seed + ": " + e.getMessage(), e);
        }
    }
}
