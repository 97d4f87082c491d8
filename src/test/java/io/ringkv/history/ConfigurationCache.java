package io.ringkv.history;

import java.util.Arrays;

/**
 * Lowe's memo of search configurations: the set of operations linearized so far (a {@link MemoKey})
 * with the register state they left. Two paths that linearized the same operations and left the
 * same state have the same future, so the search explores each such pair once; that turns Wing and
 * Gong's exponential walk over orders into one over sets, which for a register with bounded
 * concurrency is small.
 *
 * <p>Exact, never lossy: a hash collision that pruned a configuration not seen before could
 * report a violation that is not there, so entries keep their key words and equality compares
 * them.
 *
 * <p>Compact, because proving a violation on a busy key means visiting every reachable
 * configuration before it, hundreds of thousands on a hot key: entries live in one {@code long[]}
 * arena ({@code state << 32 | length}, then the key words) behind an open-addressing table of arena
 * offsets with their hashes alongside, about 40 bytes an entry where a {@code HashSet} of objects
 * takes 130. Bounded by {@link #bytesMax} over both arrays, growth included; {@link #add} refuses
 * when it would cross it, and the search answers UNKNOWN rather than exhaust the test JVM's heap.
 * Not thread-safe: one search owns one cache.
 */
final class ConfigurationCache {
    private static final int TABLE_SLOTS_MIN = 64;
    private static final int ARENA_WORDS_MIN = 256;

    private final long bytesMax;
    private final long[] probe;
    /** Per slot: 1 + the entry's arena offset, 0 when empty. */
    private int[] slots = new int[TABLE_SLOTS_MIN];
    private int[] hashes = new int[TABLE_SLOTS_MIN];
    private long[] arena = new long[ARENA_WORDS_MIN];
    private int arenaUsed;
    private int size;

    ConfigurationCache(int keyWordsMax, long bytesMax) {
        this.bytesMax = bytesMax;
        this.probe = new long[keyWordsMax];
    }

    enum Added { NEW, SEEN, FULL }

    /** Remembers (key, state) unless it was seen before or the cache is full. */
    Added add(MemoKey key, int state) {
        int length = key.compact(probe);
        int hash = hash(probe, length, state);
        int mask = slots.length - 1;
        for (int slot = hash & mask; slots[slot] != 0; slot = (slot + 1) & mask) {
            if (hashes[slot] == hash && matches(slots[slot] - 1, length, state)) {
                return Added.SEEN;
            }
        }
        if (!roomFor(length + 1)) {
            return Added.FULL;
        }
        if (tableGrows()) {
            grow();
        }
        int slot = freeSlot(hash);
        int offset = arenaUsed;
        arena[offset] = (long) state << 32 | length;
        System.arraycopy(probe, 0, arena, offset + 1, length);
        arenaUsed += length + 1;
        slots[slot] = offset + 1;
        hashes[slot] = hash;
        size++;
        return Added.NEW;
    }

    int size() {
        return size;
    }

    long bytes() {
        return 8L * arena.length + 8L * slots.length;
    }

    private boolean matches(int offset, int length, int state) {
        return arena[offset] == ((long) state << 32 | length)
                && Arrays.equals(arena, offset + 1, offset + 1 + length, probe, 0, length);
    }

    /** At most 3/4 of the slots in use, so that probe runs stay short. */
    private boolean tableGrows() {
        return (size + 1) * 4L > slots.length * 3L;
    }

    /**
     * Makes room in the arena for {@code words} more, within the byte limit with the table's next
     * growth counted; the arena doubles, or takes what is left under the limit. (The copy made
     * while growing is not counted: it is garbage at once.)
     */
    private boolean roomFor(int words) {
        long tableBytes = 8L * slots.length * (tableGrows() ? 2 : 1);
        long arenaWordsMax = Math.min((bytesMax - tableBytes) / 8, Integer.MAX_VALUE - 8);
        long needed = (long) arenaUsed + words;
        long length = needed <= arena.length ? arena.length : Math.min(2L * arena.length + words, arenaWordsMax);
        if (needed > length || length > arenaWordsMax) {
            return false;
        }
        if (length > arena.length) {
            arena = Arrays.copyOf(arena, (int) length);
        }
        return true;
    }

    private int freeSlot(int hash) {
        int mask = slots.length - 1;
        int slot = hash & mask;
        while (slots[slot] != 0) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    private void grow() {
        int[] oldSlots = slots;
        int[] oldHashes = hashes;
        slots = new int[oldSlots.length * 2];
        hashes = new int[oldSlots.length * 2];
        for (int i = 0; i < oldSlots.length; i++) {
            if (oldSlots[i] != 0) {
                int slot = freeSlot(oldHashes[i]);
                slots[slot] = oldSlots[i];
                hashes[slot] = oldHashes[i];
            }
        }
    }

    private static int hash(long[] words, int length, int state) {
        long h = state * 0x9E3779B97F4A7C15L;
        for (int i = 0; i < length; i++) {
            h = (h ^ words[i]) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 29;
        }
        return (int) (h ^ (h >>> 32));
    }
}
