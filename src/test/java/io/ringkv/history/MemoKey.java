package io.ringkv.history;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Which operations a search configuration has placed, in the compact form
 * {@link ConfigurationCache} stores and compares.
 *
 * <p>Operations of known completion are numbered by completion time (their rank). A linearized
 * prefix always contains every operation that completed before the first one it lacks (the
 * frontier), and beyond the frontier only operations concurrent with it. So the placed set is
 * written exactly as the frontier rank plus the bit words from the frontier to the highest placed
 * rank: a few words however long the history, where a plain bitset would cost a bit per operation
 * in every stored configuration (2.5 KB each for a 20k-operation key).
 *
 * <p>Optional operations (UNKNOWN outcomes, or across a window's edge) are counted per effect
 * class (same requirement, same resulting state) instead of named. They are interchangeable once
 * invoked, since none has a deadline, and
 * every one a configuration has placed was invoked before its frontier, as is every one of its
 * class still available there. So configurations with the same frontier, bits and state that
 * placed different optional operations of a class, as many of each class, have the same future,
 * and the memo may treat them as one; with bits instead, k lost writes of one effect could make
 * 2^k configurations. A class of one operation (a lost write whose value was read) needs one bit,
 * not a counter word: there are many of those on a busy key, one per such write.
 *
 * <p>Not thread-safe; owned by one search. {@link #place} and {@link #unplace} must nest (LIFO),
 * as a depth-first search's do.
 */
final class MemoKey {
    /** Leading words of the compact form: the frontier rank. */
    private static final int HEADER_WORDS = 1;

    private final Kind[] kind;
    /** Per operation: its completion rank, its bit among the single ones, or its class's counter. */
    private final int[] slot;
    private final long[] placedRanks;
    private final long[] placedSingles;
    private final long[] classCounts;
    /** The highest placed rank before each {@link #place} of a known-completion operation, to undo it. */
    private final int[] maxRankBefore;
    private int placedKnown;
    private int frontier;
    private int maxRank = -1;

    /** How an operation counts in the key. */
    private enum Kind { RANKED, SINGLE, COUNTED }

    MemoKey(RegisterModel model, boolean[] completes) {
        int n = completes.length;
        kind = new Kind[n];
        slot = new int[n];
        int[] known = IntStream.range(0, n).filter(i -> completes[i]).boxed()
                .sorted(Comparator.comparingLong((Integer i) -> model.ops[i].completeNanos()).thenComparing(i -> i))
                .mapToInt(Integer::intValue).toArray();
        for (int rank = 0; rank < known.length; rank++) {
            kind[known[rank]] = Kind.RANKED;
            slot[known[rank]] = rank;
        }
        Map<Long, List<Integer>> classes = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            if (!completes[i]) {
                long effect = (long) model.requires[i] << 32 | (model.writes[i] & 0xFFFFFFFFL);
                classes.computeIfAbsent(effect, e -> new ArrayList<>()).add(i);
            }
        }
        int singles = 0;
        int counted = 0;
        for (List<Integer> members : classes.values()) {
            boolean single = members.size() == 1;
            for (int i : members) {
                kind[i] = single ? Kind.SINGLE : Kind.COUNTED;
                slot[i] = single ? singles : counted;
            }
            singles += single ? 1 : 0;
            counted += single ? 0 : 1;
        }
        placedRanks = new long[(known.length + 63) >>> 6];
        placedSingles = new long[(singles + 63) >>> 6];
        classCounts = new long[counted];
        maxRankBefore = new int[known.length];
    }

    /** The longest {@link #compact} form, for sizing a buffer. */
    int wordsMax() {
        return HEADER_WORDS + classCounts.length + placedSingles.length + placedRanks.length;
    }

    void place(int op) {
        int s = slot[op];
        switch (kind[op]) {
            case COUNTED -> classCounts[s]++;
            case SINGLE -> placedSingles[s >>> 6] |= 1L << s;
            case RANKED -> placeRanked(s);
        }
    }

    private void placeRanked(int s) {
        placedRanks[s >>> 6] |= 1L << s;
        maxRankBefore[placedKnown++] = maxRank;
        maxRank = Math.max(maxRank, s);
        while (frontier < maxRankBefore.length && (placedRanks[frontier >>> 6] & (1L << frontier)) != 0) {
            frontier++;
        }
    }

    /** Undoes the latest {@link #place} not yet undone, which must be of {@code op}. */
    void unplace(int op) {
        int s = slot[op];
        switch (kind[op]) {
            case COUNTED -> classCounts[s]--;
            case SINGLE -> placedSingles[s >>> 6] &= ~(1L << s);
            case RANKED -> {
                placedRanks[s >>> 6] &= ~(1L << s);
                maxRank = maxRankBefore[--placedKnown];
                frontier = Math.min(frontier, s);
            }
        }
    }

    /**
     * Writes the compact form into {@code out} and returns its length: the frontier, the class
     * counts, the single optional operations' bits, then the rank words from the frontier's to the
     * highest placed rank's. Words below the frontier are all ones and words above the highest
     * rank all zeros, so nothing is lost.
     */
    int compact(long[] out) {
        int length = 0;
        out[length++] = frontier;
        System.arraycopy(classCounts, 0, out, length, classCounts.length);
        length += classCounts.length;
        System.arraycopy(placedSingles, 0, out, length, placedSingles.length);
        length += placedSingles.length;
        if (maxRank >= frontier) {
            int from = frontier >>> 6;
            int words = (maxRank >>> 6) - from + 1;
            System.arraycopy(placedRanks, from, out, length, words);
            length += words;
        }
        return length;
    }

    @Override
    public String toString() {
        long[] out = new long[wordsMax()];
        return "MemoKey" + Arrays.toString(Arrays.copyOf(out, compact(out)));
    }
}
