package io.ringkv.storage.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.ringkv.common.TestSeeds;
import io.ringkv.storage.Versioned;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Simulated power loss at every step, as LevelDB's fault_injection_test does. A small seeded
 * workload (puts, overwrites, removes, merges, a wipe, a clean restart; tiny segments so that it
 * rolls over, writes hints and merges several files) runs once to count its file operations;
 * then, for every n, it runs again with the power failing at the n-th operation: in a put's append
 * or fsync, in a roll, in every step of a hint write and of a merge (temp files, fsyncs, renames,
 * the manifest, deletions), in recovery itself. Each crash image (see
 * {@link SimulatedFileSystem}: synced bytes and directory entries, plus a random prefix of the
 * rest, possibly torn) is opened, checked, opened again and checked again:
 * every write acknowledged under ALWAYS is there with its value and version, no acknowledged
 * remove or wipe is undone, the one write in flight is either applied or not, and no read fails.
 */
@Timeout(120)
class PowerLossTest {
    private static final int KEYS = 5;
    private static final int IMAGES_PER_CRASH = 3;

    sealed interface Step {}

    record Put(int key, byte[] value, int version) implements Step {}

    record Remove(int key) implements Step {}

    record Compact() implements Step {}

    record Restart() implements Step {}

    record Wipe() implements Step {}

    record Stored(byte[] value, int version) {}

    @Test
    void everyCrashPointOfSmallWorkloadsLosesNothingAcknowledged() throws Exception {
        long seed = TestSeeds.seed();
        System.out.println("PowerLossTest seed " + seed);
        int workloads = Boolean.getBoolean("ringkv.long") ? 40 : 2;
        long totalCrashPoints = 0;
        try (Quiet quiet = new Quiet()) {
            for (int w = 0; w < workloads; w++) {
                long workloadSeed = seed + w;
                List<Step> steps = workload(new Random(workloadSeed));
                Run clean = new Run(new SimulatedFileSystem());
                clean.execute(steps);
                assertThat(clean.crashed).as("seed %d: the clean run must not crash", workloadSeed).isFalse();
                assertThat(clean.merges).as("seed %d: the workload merges", workloadSeed).isPositive();
                assertThat(clean.hintsWritten).as("seed %d: the workload writes hints", workloadSeed).isPositive();
                long operations = clean.fs.mutations();
                for (long n = 0; n <= operations; n++) {
                    SimulatedFileSystem fs = new SimulatedFileSystem();
                    fs.powerLossAfter(n);
                    Run run = new Run(fs);
                    run.execute(steps);
                    for (int image = 0; image < IMAGES_PER_CRASH; image++) {
                        Random random = new Random(workloadSeed * 1_000_003 + n * 7 + image);
                        var tear = image == 0 ? SimulatedFileSystem.Tear.NONE : SimulatedFileSystem.Tear.TORN;
                        String at = "seed " + workloadSeed + " crash at operation " + n + " of " + operations + " image " + image;
                        verifyImage(fs.crashImage(random, tear), run, at);
                    }
                }
                totalCrashPoints += operations + 1;
            }
        }
        System.out.println("PowerLossTest checked " + totalCrashPoints + " crash points x " + IMAGES_PER_CRASH + " images");
    }

    private static List<Step> workload(Random random) {
        List<Step> steps = new ArrayList<>();
        int length = 26 + random.nextInt(8);
        int compactAt = 8 + random.nextInt(8);
        int restartAt = compactAt + 2 + random.nextInt(4);
        int wipeAt = random.nextBoolean() ? restartAt + 2 + random.nextInt(4) : -1;
        for (int i = 0; i < length; i++) {
            if (i == compactAt || i == length - 2) {
                steps.add(new Compact());
            } else if (i == restartAt) {
                steps.add(new Restart());
            } else if (i == wipeAt) {
                steps.add(new Wipe());
            } else if (random.nextInt(4) == 0) {
                steps.add(new Remove(random.nextInt(KEYS)));
            } else {
                byte[] value = new byte[random.nextInt(24)];
                random.nextBytes(value);
                steps.add(new Put(random.nextInt(KEYS), value, random.nextInt(1000)));
            }
        }
        return steps;
    }

    static LogEngine.Config config() {
        return Engines.small(Path.of("simulated")).segmentBytes(120).build();
    }

    static byte[] key(int i) {
        return ("key-" + i).getBytes();
    }

    /** One execution of a workload that stops at the first failure (the power loss). */
    static final class Run {
        final SimulatedFileSystem fs;
        final Map<Integer, Stored> acked = new HashMap<>();
        Step inFlight;
        boolean crashed;
        long merges;
        long hintsWritten;

        Run(SimulatedFileSystem fs) {
            this.fs = fs;
        }

        void execute(List<Step> steps) {
            ManualExecutor executor = new ManualExecutor();
            LogEngine engine;
            try {
                engine = LogEngine.open(config(), fs, executor);
            } catch (IOException | RuntimeException e) {
                crashed = true;
                return;
            }
            try {
                executor.runAll();
                for (Step step : steps) {
                    if (fs.powerLost()) {
                        break;
                    }
                    inFlight = step;
                    switch (step) {
                        case Put p -> {
                            Engines.join(engine.put(key(p.key), p.value, p.version));
                            acked.put(p.key, new Stored(p.value, p.version));
                        }
                        case Remove r -> {
                            Engines.join(engine.remove(key(r.key)));
                            acked.remove(r.key);
                        }
                        case Compact c -> {
                            Engines.join(Engines.drive(engine.compact(), executor));
                        }
                        case Restart r -> {
                            count(engine);
                            engine.close();
                            executor.runAll();
                            executor = new ManualExecutor();
                            engine = LogEngine.open(config(), fs, executor);
                        }
                        case Wipe wipe -> {
                            Engines.join(engine.wipe());
                            acked.clear();
                        }
                    }
                    inFlight = null;
                    executor.runAll();
                }
            } catch (IOException | RuntimeException e) {
                if (!fs.powerLost()) {
                    throw new AssertionError("failure without a power loss", e);
                }
            } finally {
                crashed = fs.powerLost();
                count(engine);
                engine.close();
            }
        }

        private void count(LogEngine engine) {
            merges += engine.stats().merges();
            hintsWritten += engine.stats().hintsWritten();
        }
    }

    private static void verifyImage(SimulatedFileSystem image, Run run, String at) throws IOException {
        for (int open = 0; open < 2; open++) {
            ManualExecutor executor = new ManualExecutor();
            try (LogEngine engine = LogEngine.open(config(), image, executor)) {
                check(engine, run, at + " open " + open);
                executor.runAll(); // the hints recovery asked for
                check(engine, run, at + " open " + open + " after background work");
            }
        }
    }

    private static void check(LogEngine engine, Run run, String at) {
        boolean wipeInFlight = run.inFlight instanceof Wipe;
        Boolean wiped = null;
        for (int k = 0; k < KEYS; k++) {
            final int i = k;
            Versioned actual;
            try {
                actual = engine.get(key(i));
            } catch (RuntimeException e) {
                throw new AssertionError(at + ": reading key " + i + " failed", e);
            }
            Stored acked = run.acked.get(i);
            boolean matchesAcked = matches(actual, acked);
            boolean matchesInFlight = switch (run.inFlight) {
                case Put p when p.key == i -> matches(actual, new Stored(p.value, p.version));
                case Remove r when r.key == i -> actual == null;
                case Wipe w -> actual == null;
                case null, default -> false;
            };
            if (!matchesAcked && !matchesInFlight) {
                fail(at + ": key " + i + " is " + describe(actual) + ", acknowledged " + (acked == null ? "absent"
                        : describe(new Versioned(acked.value, acked.version))) + ", in flight " + run.inFlight);
            }
            if (wipeInFlight && acked != null) {
                boolean thisWiped = actual == null;
                if (wiped != null && wiped != thisWiped) {
                    fail(at + ": a wipe in flight was applied to some keys only");
                }
                wiped = thisWiped;
            }
        }
    }

    private static boolean matches(Versioned actual, Stored expected) {
        if (expected == null) {
            return actual == null;
        }
        return actual != null && Arrays.equals(actual.value(), expected.value) && actual.version() == expected.version;
    }

    private static String describe(Versioned v) {
        return v == null ? "absent" : Arrays.toString(v.value()) + " v" + v.version();
    }
}
