package io.ringkv.storage.log;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One generation of the {@link Keydir}'s slot array: off-heap, fixed capacity, sorted by ring
 * position (ordered linear probing). Knows the slot layout and nothing about locking; the keydir
 * decides who may call what when.
 *
 * <pre>
 * slot layout (52 bytes, in memory only, never on disk; native byte order except the key words)
 *  0  8  position   ring position, unsigned; slots are sorted by it
 *  8  8  seq        sequence number of the record; 0 marks an empty slot (real seqs start at 1)
 * 16  4  segmentId
 * 20  4  offset     of the record in its segment (unsigned)
 * 24  4  length     of the whole record in bytes
 * 28  4  version    the client's version
 * 32  2  keyLength  unsigned
 * 34  1  flags      bit 0: tombstone (only while recovering: remembers a remove's seq)
 * 35  1  unused
 * 36 16  key        the key, zero-padded, as two little-endian words, when keyLength ≤ 16;
 *                   else an 8-byte KeyArena handle and the first 8 key bytes
 * </pre>
 *
 * <p>The capacity is the range of home slots; {@code slack} more slots follow, so that the last
 * cluster never wraps around to the front (which would break the order). Running out of slack
 * makes the keydir grow.
 */
final class KeydirTable {
    static final int SLOT_BYTES = 52;
    static final int KEY_INLINE_BYTES = 16;
    static final byte FLAG_TOMBSTONE = 1;

    private static final long POS = 0;
    private static final long SEQ = 8;
    private static final long SEG = 16;
    private static final long OFF = 20;
    private static final long LEN = 24;
    private static final long VER = 28;
    private static final long KLEN = 32;
    private static final long FLAGS = 34;
    private static final long KEY = 36;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    /** Key words are little-endian whatever the platform, so the slot holds the key bytes in order. */
    private static final ValueLayout.OfLong KEY_WORD = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final java.lang.invoke.VarHandle LE_LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    private final Arena arena;
    private final MemorySegment mem;
    final long capacity;
    /** capacity plus slack at the end, so that the last cluster never wraps around. */
    final long slots;

    KeydirTable(long capacity) {
        this.capacity = capacity;
        this.slots = capacity + Math.max(64, capacity >> 6);
        this.arena = Arena.ofShared();
        this.mem = arena.allocate(slots * SLOT_BYTES, 8); // zeroed: every slot empty
    }

    long home(long position) {
        return Math.unsignedMultiplyHigh(position, capacity);
    }

    long base(long i) {
        return i * SLOT_BYTES;
    }

    long seq(long i) {
        return mem.get(LONG, base(i) + SEQ);
    }

    long position(long i) {
        return mem.get(LONG, base(i) + POS);
    }

    int keyLength(long i) {
        return Short.toUnsignedInt(mem.get(SHORT, base(i) + KLEN));
    }

    byte flags(long i) {
        return mem.get(ValueLayout.JAVA_BYTE, base(i) + FLAGS);
    }

    long handle(long i) {
        return mem.get(LONG, base(i) + KEY);
    }

    long packed(long i) {
        return ((long) mem.get(INT, base(i) + SEG) << 32) | Integer.toUnsignedLong(mem.get(INT, base(i) + LEN));
    }

    Keydir.Entry entry(long i) {
        long b = base(i);
        return new Keydir.Entry(mem.get(LONG, b + SEQ), mem.get(INT, b + SEG), mem.get(INT, b + OFF),
                mem.get(INT, b + LEN), mem.get(INT, b + VER));
    }

    /** Slot index of key, or -(insertion point + 1) where it would go to keep the order. */
    long find(byte[] key, long position, KeyArena overflow) {
        long i = home(position);
        for (; i < slots; i++) {
            if (seq(i) == 0) {
                break;
            }
            int order = Long.compareUnsigned(position(i), position);
            if (order > 0) {
                break;
            }
            if (order == 0 && keyEquals(i, key, overflow)) {
                return i;
            }
        }
        return -i - 1;
    }

    private boolean keyEquals(long i, byte[] key, KeyArena overflow) {
        if (keyLength(i) != key.length) {
            return false;
        }
        long b = base(i);
        if (key.length <= KEY_INLINE_BYTES) {
            // Inline keys are stored zero-padded, so two word compares decide.
            return mem.get(KEY_WORD, b + KEY) == word(key, 0) && mem.get(KEY_WORD, b + KEY + 8) == word(key, 8);
        }
        return mem.get(KEY_WORD, b + KEY + 8) == word(key, 0) && overflow.equals(handle(i), key);
    }

    /** The first empty slot at or after from, or -1 if the slack is used up. */
    long firstEmptyFrom(long from) {
        for (long i = from; i < slots; i++) {
            if (seq(i) == 0) {
                return i;
            }
        }
        return -1;
    }

    /** Copies slot j of another table into slot i (52 bytes as six words and an int). */
    void copySlot(long i, KeydirTable from, long j) {
        long d = base(i);
        long f = from.base(j);
        for (int w = 0; w < 48; w += 8) {
            mem.set(LONG, d + w, from.mem.get(LONG, f + w));
        }
        mem.set(INT, d + 48, from.mem.get(INT, f + 48));
    }

    /** Moves slots [from, empty) one up, over the empty slot. */
    void shiftUp(long from, long empty) {
        if (empty > from) {
            MemorySegment.copy(mem, base(from), mem, base(from + 1), (empty - from) * SLOT_BYTES);
        }
    }

    /** Backward-shift deletion: pulls down the displaced entries that follow slot i. */
    void deleteAt(long i) {
        long end = i + 1;
        while (end < slots && seq(end) != 0 && home(position(end)) < end) {
            end++;
        }
        if (end - 1 > i) {
            MemorySegment.copy(mem, base(i + 1), mem, base(i), (end - 1 - i) * SLOT_BYTES);
        }
        mem.asSlice(base(end - 1), SLOT_BYTES).fill((byte) 0);
    }

    void writeKey(long i, long position, byte[] key, long handle) {
        long b = base(i);
        mem.set(LONG, b + POS, position);
        mem.set(SHORT, b + KLEN, (short) key.length);
        mem.set(ValueLayout.JAVA_BYTE, b + FLAGS + 1, (byte) 0);
        if (key.length <= KEY_INLINE_BYTES) {
            mem.set(KEY_WORD, b + KEY, word(key, 0));
            mem.set(KEY_WORD, b + KEY + 8, word(key, 8));
        } else {
            mem.set(LONG, b + KEY, handle);
            mem.set(KEY_WORD, b + KEY + 8, word(key, 0));
        }
    }

    void writeLocation(long i, long seq, int segmentId, int offset, int length, int version, byte flags) {
        long b = base(i);
        mem.set(LONG, b + SEQ, seq);
        mem.set(INT, b + SEG, segmentId);
        mem.set(INT, b + OFF, offset);
        mem.set(INT, b + LEN, length);
        mem.set(INT, b + VER, version);
        mem.set(ValueLayout.JAVA_BYTE, b + FLAGS, flags);
    }

    void close() {
        arena.close();
    }

    int segmentId(long i) {
        return mem.get(INT, base(i) + SEG);
    }

    int offset(long i) {
        return mem.get(INT, base(i) + OFF);
    }

    int length(long i) {
        return mem.get(INT, base(i) + LEN);
    }

    /** Points slot i at a copy of the same record elsewhere (merge). */
    void moveTo(long i, int segmentId, int offset) {
        mem.set(INT, base(i) + SEG, segmentId);
        mem.set(INT, base(i) + OFF, offset);
    }

    /** The key of slot i as a new array. */
    byte[] copyKey(long i, KeyArena overflow) {
        int keyLength = keyLength(i);
        byte[] k = new byte[keyLength];
        if (keyLength <= KEY_INLINE_BYTES) {
            MemorySegment.copy(mem, ValueLayout.JAVA_BYTE, base(i) + KEY, k, 0, keyLength);
        } else {
            overflow.copy(handle(i), k);
        }
        return k;
    }

    long bytes() {
        return mem.byteSize();
    }

    /**
     * Up to 8 key bytes from {@code from}, little-endian, zero-padded past the key's end: the form
     * inline keys (and the prefix of long ones) take in a slot.
     */
    static long word(byte[] key, int from) {
        if (from + 8 <= key.length) {
            return (long) LE_LONG.get(key, from);
        }
        long w = 0;
        for (int j = Math.min(key.length, from + 8) - 1; j >= from; j--) {
            w = w << 8 | (key[j] & 0xff);
        }
        return w;
    }
}
