package io.ringkv.history;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.List;

/**
 * The checker's verdict on a history. Only {@link Violation} proves a fault; {@link Unknown} says
 * the budget ran out first and proves nothing either way.
 */
public sealed interface CheckResult permits CheckResult.Ok, CheckResult.Violation, CheckResult.Unknown {

    /**
     * Every key's operations are linearizable.
     *
     * @param leftOut operations that could not change the verdict and were not searched (FAIL
     *     outcomes, UNKNOWN reads, UNKNOWN writes nobody observed)
     * @param configurations search configurations visited over all keys, a measure of the work
     */
    record Ok(int keys, int operations, int leftOut, long configurations, Duration took) implements CheckResult {
        @Override
        public String toString() {
            return "OK: " + operations + " operations on " + keys + " keys (" + leftOut + " left out as unable to"
                    + " matter), " + configurations + " configurations, " + took.toMillis() + " ms";
        }
    }

    /**
     * The operations on {@code key} have no linearization.
     *
     * @param stuck the operation the longest linearizable order could not fit before its completion
     * @param window the operations around that point, by invoke time; {@code report} shows them
     */
    record Violation(ByteString key, Operation stuck, List<Operation> window, String report) implements CheckResult {
        @Override
        public String toString() {
            return "VIOLATION on " + report;
        }
    }

    /**
     * No verdict within the limits.
     *
     * @param keysChecked keys found linearizable before the limit was hit
     */
    record Unknown(String why, int keysChecked, int keys) implements CheckResult {
        @Override
        public String toString() {
            return "UNKNOWN after " + keysChecked + " of " + keys + " keys: " + why;
        }
    }
}
