package io.ringkv.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The checker's limits (time on an injected clock, memo bytes), the pruning of operations that
 * cannot matter, and the report a violation prints.
 */
class CheckerLimitsTest {
    private static final long MIB = 1 << 20;
    /** Concurrent writes in {@link #hard}: enough for thousands of configurations, few enough for a unit test. */
    private static final int HARD_WRITERS = 10;

    /**
     * Every write and a read of each written value overlap, then a read finds the key absent, which
     * nothing explains: the search must try every subset of the writes before it can say so.
     */
    private static HistoryBuilder hard(String key) {
        HistoryBuilder h = new HistoryBuilder();
        for (int i = 0; i < HARD_WRITERS; i++) {
            h.put(i, key, "v" + i, i, 0, 100).get(HARD_WRITERS + i, key, 0, 100, "v" + i, i);
        }
        return h.getAbsent(0, key, 200, 210);
    }

    @Test
    void theHardHistoryIsAViolationWithinDefaultLimits() {
        CheckResult result = new LinearizabilityChecker().check(hard("k").build());
        assertThat(result).as("%s", result).isInstanceOf(CheckResult.Violation.class);
    }

    @Test
    void aZeroTimeBudgetAnswersUnknown() {
        LinearizabilityChecker checker = new LinearizabilityChecker(new LinearizabilityChecker.Limits(Duration.ZERO,
                16 * MIB), () -> 0L);
        CheckResult result = checker.check(hard("k").build());
        assertThat(result).as("%s", result).isInstanceOf(CheckResult.Unknown.class);
        assertThat(((CheckResult.Unknown) result).why()).contains("time budget");
    }

    /** A clock that moves 1 ms per reading: the 3 ms budget runs out after two of the search's readings. */
    @Test
    void theTimeBudgetIsReadFromTheInjectedClock() {
        AtomicLong nanos = new AtomicLong();
        LinearizabilityChecker checker = new LinearizabilityChecker(
                new LinearizabilityChecker.Limits(Duration.ofMillis(3), 16 * MIB), () -> nanos.addAndGet(1_000_000));
        CheckResult result = checker.check(hard("k").build());
        assertThat(result).as("%s", result).isInstanceOf(CheckResult.Unknown.class);
        assertThat(((CheckResult.Unknown) result).why()).contains("time budget", "2049 steps");
    }

    @Test
    void aFullMemoAnswersUnknownInsteadOfGrowing() {
        LinearizabilityChecker checker = new LinearizabilityChecker(
                new LinearizabilityChecker.Limits(Duration.ofMinutes(1), 64 * 1024), System::nanoTime);
        CheckResult result = checker.check(hard("k").build());
        assertThat(result).as("%s", result).isInstanceOf(CheckResult.Unknown.class);
        assertThat(((CheckResult.Unknown) result).why()).contains("cache full");
    }

    /** UNKNOWN on one key proves nothing; a violation on another still proves a fault. */
    @Test
    void aViolationOnAnotherKeyWinsOverAFullMemo() {
        HistoryBuilder h = hard("a").put(0, "b", "x", 1, 0, 10).getAbsent(1, "b", 20, 30);
        LinearizabilityChecker checker = new LinearizabilityChecker(
                new LinearizabilityChecker.Limits(Duration.ofMinutes(1), 64 * 1024), System::nanoTime);
        CheckResult result = checker.check(h.build());
        assertThat(result).as("%s", result).isInstanceOf(CheckResult.Violation.class);
        assertThat(((CheckResult.Violation) result).key()).isEqualTo(HistoryBuilder.key("b"));
    }

    /**
     * A busy key whose exhaustive refutation needs more memo than allowed: the search of the whole
     * key gives up, and a window around where it got stuck proves the violation instead.
     */
    @Test
    void aViolationTooBigToRefuteWholeIsProvedOnAWindow() {
        long cacheBytesMax = 1024 * 1024;
        Random random = new Random(42);
        List<Operation> history = new SimulatedRegisters(8, 1, 4_000, 40, 15, 2, 1, 100, 10).generate(random);
        HistoryMutations.Mutated stale = HistoryMutations.apply(HistoryMutations.Mutation.STALE_READ, history, random)
                .orElseThrow();
        RegisterModel whole = ModelCompiler.compile(stale.key(), stale.history(), null);
        assertThat(new KeySearch(whole, System::nanoTime, Long.MAX_VALUE, cacheBytesMax).run())
                .as("the whole key is too big for the memo").isInstanceOf(KeySearch.GaveUp.class);

        CheckResult result = new LinearizabilityChecker(new LinearizabilityChecker.Limits(Duration.ofMinutes(1),
                cacheBytesMax), System::nanoTime).check(stale.history());
        assertThat(result).as("%s: %s", stale.what(), result).isInstanceOf(CheckResult.Violation.class);
        assertThat(((CheckResult.Violation) result).window()).hasSizeLessThan(40);
    }

    /** 200 lost writes nobody read would be 2^200 subsets to place; they cannot matter, so they are left out. */
    @Test
    void unknownWritesNobodyCouldObserveAreLeftOut() {
        HistoryBuilder h = new HistoryBuilder().put(0, "k", "a", 1, 0, 10);
        for (int i = 0; i < 200; i++) {
            h.putUnknown(1 + i, "k", "lost" + i, i, 20 + i, 5_000);
        }
        h.get(0, "k", 10_000, 10_010, "a", 1).removeUnknown(0, "k", 10_020, 10_030).put(0, "k", "b", 2, 10_040, 10_050);
        CheckResult result = new LinearizabilityChecker().check(h.build());
        assertThat(result).as("%s", result).isInstanceOf(CheckResult.Ok.class);
        assertThat(((CheckResult.Ok) result).leftOut()).isEqualTo(201);
    }

    /**
     * Lost writes followed by removes that found the key cannot be left out (one of them may be what
     * the remove found); the dominance rules keep the search linear in them all the same.
     */
    @Test
    void unknownWritesThatARemoveMayHaveFoundAreSearchedWithoutBlowingUp() {
        HistoryBuilder h = new HistoryBuilder();
        for (int i = 0; i < 200; i++) {
            h.putUnknown(i, "k", "lost" + i, i, i, 5_000);
        }
        for (int i = 0; i < 50; i++) {
            h.remove(0, "k", 10_000 + 100 * i, 10_010 + 100 * i);
        }
        CheckResult result = new LinearizabilityChecker().check(h.build());
        assertThat(result).as("%s", result).isInstanceOf(CheckResult.Ok.class);
        assertThat(((CheckResult.Ok) result).configurations()).isLessThan(10_000);
    }

    /**
     * #0 (overwritten before the read) and #3 (a read that may take effect after the stuck one)
     * play no part in the violation, so the smallest failing window leaves them out.
     */
    @Test
    void theReportShowsTheSmallestFailingWindowWithRelativeTimes() {
        HistoryBuilder h = new HistoryBuilder()
                .put(0, "k", "a", 1, 1_000, 1_010)
                .put(0, "k", "b", 2, 1_020, 1_030)
                .get(1, "k", 1_040, 1_050, "a", 1)
                .removeAbsent(2, "k", 1_045, 1_200);
        CheckResult result = new LinearizabilityChecker().check(h.build());
        System.out.println(result);
        assertThat(result).isInstanceOf(CheckResult.Violation.class);
        CheckResult.Violation violation = (CheckResult.Violation) result;
        assertThat(violation.window()).extracting(Operation::id).containsExactly(1, 2);
        List<String> lines = violation.report().lines().toList();
        assertThat(lines.getFirst()).startsWith("key \"k\": not linearizable (4 operations considered");
        assertThat(violation.report()).contains("The smallest failing window is +0.0 to +30.0 µs, 2 operations",
                "fits 1 of its 2 operations", "leaves the key holding \"b\"@v2", "#2 (GET by p1)",
                "completed at +30.0 µs");
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("  * #1").contains("PUT \"b\"@v2",
                "[      +0.0,      +10.0]"));
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("  ! #2").contains("OK -> \"a\"@v1"));
    }

    @Test
    void aReadOfAValueNoPutWroteIsReportedWithoutASearch() {
        HistoryBuilder h = new HistoryBuilder().put(0, "k", "a", 1, 0, 10).get(1, "k", 20, 30, "a", 9);
        CheckResult result = new LinearizabilityChecker().check(h.build());
        System.out.println(result);
        assertThat(result).isInstanceOf(CheckResult.Violation.class);
        assertThat(((CheckResult.Violation) result).report()).contains("#1 (GET by p1) returned \"a\"@v9, which no PUT"
                + " on this key wrote");
    }
}
