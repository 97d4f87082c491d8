package io.ringkv.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Known-good and known-bad histories, small enough to verify by hand. Times are microseconds;
 * {@code p0}, {@code p1}... are clients. Limits and reports are in {@link CheckerLimitsTest}.
 */
class LinearizabilityCheckerTest {
    private final LinearizabilityChecker checker = new LinearizabilityChecker();

    // ---- linearizable ----------------------------------------------------------------------

    @Test
    void anEmptyHistoryIsLinearizable() {
        assertOk(List.of());
    }

    @Test
    void sequentialPutGetRemoveFollowTheRegister() {
        assertOk(new HistoryBuilder()
                .getAbsent(0, "k", 0, 10)
                .put(0, "k", "a", 1, 20, 30)
                .get(1, "k", 40, 50, "a", 1)
                .put(1, "k", "b", 2, 60, 70)
                .get(0, "k", 80, 90, "b", 2)
                .remove(0, "k", 100, 110)
                .getAbsent(1, "k", 120, 130)
                .removeAbsent(1, "k", 140, 150)
                .build());
    }

    /** Two overlapping PUTs may take effect in either order; a later read fixes which came last. */
    @ParameterizedTest
    @ValueSource(strings = {"a", "b"})
    void overlappingWritesMayTakeEffectInEitherOrder(String last) {
        assertOk(new HistoryBuilder()
                .put(0, "k", "a", 1, 0, 100)
                .put(1, "k", "b", 2, 10, 90)
                .get(2, "k", 200, 210, last, last.equals("a") ? 1 : 2)
                .build());
    }

    @Test
    void readsOverlappingAWriteMaySeeTheOldValueThenTheNew() {
        assertOk(new HistoryBuilder()
                .put(0, "k", "a", 1, 0, 10)
                .put(0, "k", "b", 2, 20, 100)
                .get(1, "k", 30, 40, "a", 1)
                .get(1, "k", 50, 60, "b", 2)
                .get(2, "k", 55, 80, "b", 2)
                .build());
    }

    /** Operations that touch at one instant are concurrent: clocks of two threads cannot order them. */
    @Test
    void operationsThatTouchAtOneInstantCountAsConcurrent() {
        assertOk(new HistoryBuilder()
                .put(0, "k", "a", 1, 0, 10)
                .getAbsent(1, "k", 10, 20)
                .build());
    }

    @Test
    void anUnknownWriteMayHaveTakenEffect() {
        assertOk(new HistoryBuilder()
                .putUnknown(0, "k", "a", 1, 0, 50)
                .get(1, "k", 100, 110, "a", 1)
                .build());
    }

    @Test
    void anUnknownWriteMayNotHaveTakenEffect() {
        assertOk(new HistoryBuilder()
                .putUnknown(0, "k", "a", 1, 0, 50)
                .getAbsent(1, "k", 100, 110)
                .build());
    }

    /** The client gave up at 30, but the node may apply the write later (a delayed retry, a queue). */
    @Test
    void anUnknownWriteMayTakeEffectAfterTheClientGaveUp() {
        assertOk(new HistoryBuilder()
                .put(0, "k", "a", 1, 0, 10)
                .putUnknown(0, "k", "b", 2, 20, 30)
                .get(1, "k", 40, 50, "a", 1)
                .get(1, "k", 60, 70, "b", 2)
                .build());
    }

    @Test
    void aFailedWriteNeverTookEffect() {
        assertOk(new HistoryBuilder()
                .putFailed(0, "k", "a", 1, 0, 10)
                .getAbsent(1, "k", 20, 30)
                .build());
    }

    @Test
    void aRemoveOverlappingAPutIsPlacedByWhatItAnswered() {
        assertOk(new HistoryBuilder()
                .put(0, "k", "a", 1, 0, 10)
                .remove(1, "k", 5, 30)
                .getAbsent(2, "k", 40, 50)
                .removeAbsent(0, "k", 60, 80)
                .put(1, "k", "b", 2, 65, 75)
                .get(2, "k", 90, 100, "b", 2)
                .build());
    }

    /** Left out as unread, the unknown PUT would leave nothing for the REMOVE to find. */
    @Test
    void anUnknownWriteNobodyReadStillCountsForARemoveThatFoundTheKey() {
        assertOk(new HistoryBuilder()
                .putUnknown(0, "k", "a", 1, 0, 5)
                .remove(1, "k", 10, 20)
                .build());
    }

    @Test
    void anUnknownRemoveMayHaveTakenEffect() {
        assertOk(new HistoryBuilder()
                .put(0, "k", "a", 1, 0, 10)
                .removeUnknown(0, "k", 20, 30)
                .getAbsent(1, "k", 40, 50)
                .build());
    }

    @Test
    void anInitialStateCanBeGiven() {
        List<Operation> history = new HistoryBuilder().get(0, "k", 0, 10, "loaded", 7).remove(0, "k", 20, 30).build();
        assertThat(checker.check(history, Map.of(HistoryBuilder.key("k"), Value.of("loaded", 7))))
                .isInstanceOf(CheckResult.Ok.class);
        assertThat(checker.check(history)).isInstanceOf(CheckResult.Violation.class);
    }

    @Test
    void keysAreIndependentRegisters() {
        assertOk(new HistoryBuilder()
                .put(0, "k1", "a", 1, 0, 10)
                .put(1, "k2", "a", 1, 5, 15)
                .get(2, "k1", 20, 30, "a", 1)
                .remove(0, "k2", 20, 30)
                .getAbsent(1, "k2", 40, 50)
                .get(2, "k1", 40, 50, "a", 1)
                .build());
    }

    // ---- not linearizable ------------------------------------------------------------------

    @Test
    void aStaleReadAfterACompletedWriteIsAViolation() {
        HistoryBuilder h = new HistoryBuilder()
                .put(0, "k", "a", 1, 0, 10)
                .put(0, "k", "b", 2, 20, 30)
                .get(1, "k", 40, 50, "a", 1);
        assertViolation(h.build(), "k", h.lastId());
    }

    @Test
    void aReadOfAValueNeverWrittenIsAViolation() {
        HistoryBuilder h = new HistoryBuilder()
                .put(0, "k", "a", 1, 0, 10)
                .get(1, "k", 20, 30, "z", 1);
        assertViolation(h.build(), "k", h.lastId());
    }

    @Test
    void theRightBytesWithTheWrongVersionAreAViolation() {
        HistoryBuilder h = new HistoryBuilder()
                .put(0, "k", "a", 1, 0, 10)
                .get(1, "k", 20, 30, "a", 2);
        assertViolation(h.build(), "k", h.lastId());
    }

    /** p2 sees a then b, p3 sees b then a: no single order of the two writes explains both. */
    @Test
    void twoReadersSeeingConcurrentWritesInOppositeOrdersAreAViolation() {
        HistoryBuilder h = new HistoryBuilder()
                .put(0, "k", "a", 1, 0, 100)
                .put(1, "k", "b", 2, 0, 100)
                .get(2, "k", 10, 20, "a", 1)
                .get(3, "k", 10, 20, "b", 2)
                .get(2, "k", 30, 40, "b", 2)
                .get(3, "k", 30, 40, "a", 1);
        assertViolation(h.build(), "k", -1);
    }

    @Test
    void aLostAcknowledgedWriteIsAViolation() {
        HistoryBuilder h = new HistoryBuilder()
                .put(0, "k", "a", 1, 0, 10)
                .getAbsent(1, "k", 20, 30);
        assertViolation(h.build(), "k", h.lastId());
    }

    @Test
    void aReadOfAWriteInvokedAfterTheReadCompletedIsAViolation() {
        HistoryBuilder h = new HistoryBuilder().get(1, "k", 0, 10, "a", 1);
        int read = h.lastId();
        h.put(0, "k", "a", 1, 20, 30);
        assertViolation(h.build(), "k", read);
    }

    @Test
    void aRemoveAppliedTwiceIsAViolation() {
        HistoryBuilder h = new HistoryBuilder()
                .put(0, "k", "a", 1, 0, 10)
                .remove(1, "k", 20, 30)
                .remove(2, "k", 40, 50);
        assertViolation(h.build(), "k", h.lastId());
    }

    @Test
    void twoConcurrentRemovesBothFindingOnePutAreAViolation() {
        HistoryBuilder h = new HistoryBuilder()
                .put(0, "k", "a", 1, 0, 10)
                .remove(1, "k", 20, 50)
                .remove(2, "k", 25, 45);
        assertViolation(h.build(), "k", -1);
    }

    @Test
    void anUnknownWriteSeenOnceCannotVanishWithoutARemove() {
        HistoryBuilder h = new HistoryBuilder()
                .putUnknown(0, "k", "a", 1, 0, 5)
                .get(1, "k", 10, 20, "a", 1)
                .getAbsent(1, "k", 30, 40);
        assertViolation(h.build(), "k", h.lastId());
    }

    @Test
    void aViolationOnOneKeyIsFoundAmongCorrectKeys() {
        HistoryBuilder h = new HistoryBuilder()
                .put(0, "a", "x", 1, 0, 10)
                .get(1, "a", 20, 30, "x", 1)
                .put(0, "b", "x", 1, 0, 10)
                .getAbsent(1, "b", 20, 30);
        int lost = h.lastId();
        h.put(0, "c", "x", 1, 0, 10).get(1, "c", 20, 30, "x", 1);
        assertViolation(h.build(), "b", lost);
    }

    private void assertOk(List<Operation> history) {
        CheckResult result = checker.check(history);
        assertThat(result).as("%s", result).isInstanceOf(CheckResult.Ok.class);
    }

    /** {@code stuckId} -1: any operation may be the one reported. */
    private void assertViolation(List<Operation> history, String key, int stuckId) {
        CheckResult result = checker.check(history);
        assertThat(result).as("%s", result).isInstanceOf(CheckResult.Violation.class);
        CheckResult.Violation violation = (CheckResult.Violation) result;
        assertThat(violation.key()).isEqualTo(HistoryBuilder.key(key));
        if (stuckId >= 0) {
            assertThat(violation.stuck().id()).as("%s", result).isEqualTo(stuckId);
        }
        assertThat(violation.window()).contains(violation.stuck());
    }
}
