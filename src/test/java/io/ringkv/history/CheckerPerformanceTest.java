package io.ringkv.history;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.common.TestSeeds;
import io.ringkv.history.HistoryMutations.Mutated;
import io.ringkv.history.HistoryMutations.Mutation;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Histories of the size the ITs record (~20k operations, 8 clients), as they are and with one stale
 * read planted. The times are printed, never asserted (a shared CI box makes timed assertions
 * flaky); the verdicts are asserted.
 */
class CheckerPerformanceTest {
    private static final int OPERATIONS = 20_000;
    private static final int PROCESSES = 8;

    @Test
    void twentyThousandOperationsOnAHundredKeys() {
        check("100 keys", new SimulatedRegisters(PROCESSES, 100, OPERATIONS, 40, 15, 2, 1, 100, 10));
    }

    /**
     * Every client on one key: the whole history is one search, and refuting the stale read takes
     * more memo than the default limit, so the violation is proved on a window around it.
     */
    @Test
    void twentyThousandOperationsOnOneHotKey() {
        check("1 hot key", new SimulatedRegisters(PROCESSES, 1, OPERATIONS, 40, 15, 2, 1, 100, 10));
    }

    private static void check(String what, SimulatedRegisters shape) {
        long seed = TestSeeds.seed();
        Random random = new Random(seed);
        List<Operation> history = shape.generate(random);
        LinearizabilityChecker checker = new LinearizabilityChecker();

        long startNanos = System.nanoTime();
        CheckResult ok = checker.check(history);
        long okMs = (System.nanoTime() - startNanos) / 1_000_000;
        assertThat(ok).as("seed %d (replay: -Dringkv.seed=%d): %s", seed, seed, ok).isInstanceOf(CheckResult.Ok.class);

        Mutated mutated = HistoryMutations.apply(Mutation.STALE_READ, history, random).orElseThrow();
        startNanos = System.nanoTime();
        CheckResult bad = checker.check(mutated.history());
        long badMs = (System.nanoTime() - startNanos) / 1_000_000;
        assertThat(bad).as("seed %d (replay: -Dringkv.seed=%d), %s: %s", seed, seed, mutated.what(), bad)
                .isInstanceOf(CheckResult.Violation.class);

        System.out.printf("CheckerPerformanceTest %s: seed %d, %d operations, %d processes: %s; OK in %d ms,"
                + " violation found in %d ms%n", what, seed, OPERATIONS, PROCESSES, ok, okMs, badMs);
    }
}
