package io.ringkv.storage.log;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Off-heap storage for keys too long to sit inline in a {@link Keydir} slot (more than 16 bytes).
 *
 * <p>Memory comes in 1 MiB chunks from one shared {@link Arena} and is handed out in blocks of the
 * key length rounded up to 8 bytes. A freed block goes onto a free list of its size class (its
 * first 8 bytes link the list) and is reused by the next key of that class; chunks are returned to
 * the OS only by {@link #close}. A handle is {@code chunkIndex << 32 | offsetInChunk}.
 *
 * <p>Thread-safety: {@link #store} and {@link #free} are called by the keydir's mutators only,
 * one at a time. Readers ({@link #equals}, {@link #copy}) run concurrently with them: the chunk
 * array is replaced copy-on-write, and a block is never freed while a keydir slot that readers can
 * reach still points at it (the keydir unpublishes the slot under its write lock first).
 */
final class KeyArena implements AutoCloseable {
    static final int CHUNK_BYTES = 1 << 20;
    private static final long NONE = -1;

    private final Arena arena = Arena.ofShared();
    private volatile MemorySegment[] chunks = new MemorySegment[0];
    /** Bytes handed out from the newest chunk. */
    private int usedInLastChunk = CHUNK_BYTES;
    /** Head of the free list per size class (blocks of class c are c * 8 bytes). */
    private final long[] freeHeads = new long[RecordFormat.KEY_BYTES_LIMIT / 8 + 1];

    KeyArena() {
        Arrays.fill(freeHeads, NONE);
    }

    long store(byte[] key) {
        int sizeClass = (key.length + 7) >>> 3;
        long handle = freeHeads[sizeClass];
        if (handle != NONE) {
            freeHeads[sizeClass] = block(handle).get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        } else {
            int blockBytes = sizeClass << 3;
            if (usedInLastChunk + blockBytes > CHUNK_BYTES) {
                MemorySegment[] grown = Arrays.copyOf(chunks, chunks.length + 1);
                grown[grown.length - 1] = arena.allocate(CHUNK_BYTES, 8);
                chunks = grown;
                usedInLastChunk = 0;
            }
            handle = ((long) (chunks.length - 1) << 32) | usedInLastChunk;
            usedInLastChunk += blockBytes;
        }
        MemorySegment.copy(key, 0, block(handle), ValueLayout.JAVA_BYTE, 0, key.length);
        return handle;
    }

    void free(long handle, int keyBytes) {
        int sizeClass = (keyBytes + 7) >>> 3;
        block(handle).set(ValueLayout.JAVA_LONG_UNALIGNED, 0, freeHeads[sizeClass]);
        freeHeads[sizeClass] = handle;
    }

    boolean equals(long handle, byte[] key) {
        MemorySegment block = block(handle);
        return MemorySegment.mismatch(block, 0, key.length, MemorySegment.ofArray(key), 0, key.length) == -1;
    }

    void copy(long handle, byte[] dst) {
        MemorySegment.copy(block(handle), ValueLayout.JAVA_BYTE, 0, dst, 0, dst.length);
    }

    long bytes() {
        return (long) chunks.length * CHUNK_BYTES;
    }

    private MemorySegment block(long handle) {
        return chunks[(int) (handle >>> 32)].asSlice((int) handle);
    }

    @Override
    public void close() {
        chunks = new MemorySegment[0];
        arena.close();
    }
}
