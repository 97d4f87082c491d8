package io.ringkv.sim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Samples and their nearest-rank percentiles. */
final class Percentiles {
    private final List<Double> samples = new ArrayList<>();

    void add(double sample) {
        samples.add(sample);
    }

    int count() {
        return samples.size();
    }

    /** The nearest-rank {@code p}-th percentile (0 < p <= 100); NaN without samples. */
    double at(double p) {
        if (samples.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    double max() {
        return at(100);
    }
}
