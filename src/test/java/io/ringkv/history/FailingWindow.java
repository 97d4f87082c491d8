package io.ringkv.history;

import java.util.Arrays;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Finds the smallest window of a key's history ({@link RegisterModel#window}) that ends where an
 * operation could not take effect in time and still has no linearization: the proof of a violation
 * with everything that plays no part in it left out.
 *
 * <p>Windows ending at one point are monotone: if one has no linearization, neither has any
 * window that starts earlier (the argument in {@link RegisterModel#window} applies to the larger
 * window as to the whole history). So the start is found by probing windows of 1, 2, 4, 8...
 * invoke times back from the stuck operation, then bisecting between the last window that had a
 * linearization and the first that had none: a logarithmic number of searches, each over a window
 * rather than the whole key.
 *
 * <p>This is also how a violation on a long, busy key is proved when the search of the whole key
 * runs out of memo: refuting a window needs only the configurations inside it. A window search
 * that runs out counts as "not refuted", so the window found may then be larger than the smallest.
 */
final class FailingWindow {
    /** The window and where its search got stuck. */
    record Found(RegisterModel window, KeySearch.Frontier frontier) {}

    private final RegisterModel model;
    private final LongSupplier nanoClock;
    private final long deadlineNanos;
    private final long cacheBytesMax;

    FailingWindow(RegisterModel model, LongSupplier nanoClock, long deadlineNanos, long cacheBytesMax) {
        this.model = model;
        this.nanoClock = nanoClock;
        this.deadlineNanos = deadlineNanos;
        this.cacheBytesMax = cacheBytesMax;
    }

    /**
     * The smallest refuted window that ends at the completion of operation {@code stuck} (an index
     * into the model's operations), or empty when none is refuted within the limits.
     */
    Optional<Found> endingAt(int stuck) {
        long endNanos = model.ops[stuck].completeNanos();
        // Candidate starts, latest first: the stuck operation's invoke, then earlier invokes, then
        // the very start (the key's real initial state rather than a wildcard).
        long[] starts = Arrays.stream(model.ops)
                .mapToLong(Operation::invokeNanos).filter(t -> t <= model.ops[stuck].invokeNanos())
                .distinct().sorted().toArray();
        int candidates = starts.length + 1;
        int lastLinearizable = -1;
        int probe = 0;
        Found found;
        while ((found = refute(startOf(starts, probe), endNanos)) == null) {
            if (probe == candidates - 1) {
                return Optional.empty();
            }
            lastLinearizable = probe;
            probe = Math.min(2 * probe + 1, candidates - 1);
        }
        // Bisect (lastLinearizable, probe]: the smallest candidate whose window is refuted.
        int low = lastLinearizable;
        int high = probe;
        while (high - low > 1) {
            int mid = (low + high) >>> 1;
            Found attempt = refute(startOf(starts, mid), endNanos);
            if (attempt != null) {
                high = mid;
                found = attempt;
            } else {
                low = mid;
            }
        }
        return Optional.of(found);
    }

    /** Candidate {@code k}: the k-th latest invoke time, or the very start past the last. */
    private static long startOf(long[] starts, int k) {
        return k < starts.length ? starts[starts.length - 1 - k] : Long.MIN_VALUE;
    }

    private Found refute(long fromNanos, long toNanos) {
        RegisterModel window = model.window(fromNanos, toNanos);
        return switch (new KeySearch(window, nanoClock, deadlineNanos, cacheBytesMax).run()) {
            case KeySearch.Stuck s -> new Found(window, s.frontier());
            case KeySearch.Linearizable l -> null;
            case KeySearch.GaveUp g -> null;
        };
    }
}
