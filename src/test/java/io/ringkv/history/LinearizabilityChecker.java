package io.ringkv.history;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Checks a {@link History} against the register model of {@link RegisterModel}, key by key: OK,
 * VIOLATION with the failing window, or UNKNOWN when a limit ran out first.
 *
 * <p>Key by key because linearizability is compositional (Herlihy and Wing; "P-compositionality"
 * in Horn and Kroening's terms): a history of independent registers is linearizable exactly when
 * each register's sub-history is. Operations on different keys never constrain each other, and
 * the search, exponential in the worst case in the operations it considers together, only ever
 * sees one key's. Keys are checked in byte order, so a run is reproducible; the first violating
 * key is reported.
 *
 * <p>Per key: a one-pass look for reads no order could satisfy ({@link RegisterModel#impossibleRead});
 * then the search of the whole key ({@link KeySearch}); on a violation, the smallest window of the
 * key's history that still fails ({@link FailingWindow}) for the report. When the whole key is too
 * big for the limits, a window ending where the search got stuck can still prove a violation,
 * since refuting a window needs only the configurations inside it.
 *
 * <p>Limits: one time budget for the whole check, on an injected clock so tests can exhaust it
 * deterministically; and a byte limit for the search's memo, per key (one key is searched at a
 * time). A key that hits either makes the verdict UNKNOWN unless another key shows a violation,
 * which is definite. Defaults fit a test JVM: 16 MiB of memo holds about 200k configurations, and a
 * correct key of 20k operations from 8 busy clients needs about 110k ({@code CheckerPerformanceTest}).
 *
 * <p>Thread-safe: each check has its own state.
 */
public final class LinearizabilityChecker {
    /**
     * @param timeBudget wall-clock time (on the checker's clock) for one {@link #check}
     * @param cacheBytesMax estimated bytes the memo of one key's search may take
     */
    public record Limits(Duration timeBudget, long cacheBytesMax) {
        public static final Limits DEFAULT = new Limits(Duration.ofSeconds(60), 16L << 20);

        public Limits {
            if (timeBudget.isNegative() || cacheBytesMax < 0) {
                throw new IllegalArgumentException("limits must not be negative: " + timeBudget + ", " + cacheBytesMax);
            }
        }
    }

    private final Limits limits;
    private final LongSupplier nanoClock;

    public LinearizabilityChecker() {
        this(Limits.DEFAULT, System::nanoTime);
    }

    public LinearizabilityChecker(Limits limits, LongSupplier nanoClock) {
        this.limits = limits;
        this.nanoClock = nanoClock;
    }

    /** Checks with every key initially absent, as on a fresh node. */
    public CheckResult check(List<Operation> history) {
        return check(history, Map.of());
    }

    /**
     * @param initial what keys hold before the history (absent when not listed), e.g. after a
     *     load phase that was not recorded
     */
    public CheckResult check(List<Operation> history, Map<ByteString, Value> initial) {
        long startNanos = nanoClock.getAsLong();
        long deadlineNanos = startNanos + Math.min(limits.timeBudget().toNanos(), Long.MAX_VALUE / 4);
        Map<ByteString, List<Operation>> byKey = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
        for (Operation op : history) {
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        int checked = 0;
        int leftOut = 0;
        long configurations = 0;
        String gaveUp = null;
        for (Map.Entry<ByteString, List<Operation>> key : byKey.entrySet()) {
            RegisterModel model = ModelCompiler.compile(key.getKey(), key.getValue(), initial.get(key.getKey()));
            leftOut += model.leftOut;
            int impossible = model.impossibleRead();
            if (impossible >= 0) {
                return ViolationReport.impossibleRead(model, impossible);
            }
            FailingWindow windows = new FailingWindow(model, nanoClock, deadlineNanos, limits.cacheBytesMax());
            switch (new KeySearch(model, nanoClock, deadlineNanos, limits.cacheBytesMax()).run()) {
                case KeySearch.Linearizable l -> {
                    checked++;
                    configurations += l.configurations();
                }
                case KeySearch.Stuck s -> {
                    // The whole key is refuted; a smaller window shows why, unless none fits the limits.
                    return ViolationReport.stuck(model, windows.endingAt(s.frontier().stuck())
                            .orElse(new FailingWindow.Found(model, s.frontier())));
                }
                case KeySearch.GaveUp g -> {
                    // Too big to search whole; a window ending where the search got stuck may still fail.
                    Optional<FailingWindow.Found> found = g.frontier() == null ? Optional.empty()
                            : windows.endingAt(g.frontier().stuck());
                    if (found.isPresent()) {
                        return ViolationReport.stuck(model, found.get());
                    }
                    String why = "key " + Value.show(key.getKey()) + " (" + key.getValue().size() + " operations): "
                            + g.why();
                    gaveUp = gaveUp == null ? why : gaveUp;
                    if (nanoClock.getAsLong() - deadlineNanos >= 0) {
                        return new CheckResult.Unknown(gaveUp, checked, byKey.size());
                    }
                }
            }
        }
        if (gaveUp != null) {
            return new CheckResult.Unknown(gaveUp, checked, byKey.size());
        }
        return new CheckResult.Ok(byKey.size(), history.size(), leftOut, configurations,
                Duration.ofNanos(nanoClock.getAsLong() - startNanos));
    }
}
