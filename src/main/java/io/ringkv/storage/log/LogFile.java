package io.ringkv.storage.log;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One open file of a {@link LogFileSystem}.
 *
 * <p>Thread-safety: {@link #read} may be called from any number of threads at once and at the same
 * time as {@link #append} (it uses positional reads and shares no file position). Appends,
 * {@link #force} and {@link #truncate} come from one thread at a time.
 */
public interface LogFile extends Closeable {

    /**
     * Reads up to {@code dst.remaining()} bytes starting at position; returns how many, or -1 at
     * the end of the file. Never blocks on the appending thread.
     */
    int read(ByteBuffer dst, long position) throws IOException;

    /** Appends every remaining byte of src at the end of the file (looping over short writes). */
    void append(ByteBuffer src) throws IOException;

    /** Makes every appended byte durable (fdatasync: data, and the size when it changed). */
    void force() throws IOException;

    /** Current size in bytes, appended but unsynced bytes included. */
    long size() throws IOException;

    /** Cuts the file to size bytes; later appends go there. */
    void truncate(long size) throws IOException;

    /** Reads exactly {@code dst.remaining()} bytes or throws {@link java.io.EOFException}. */
    default void readFully(ByteBuffer dst, long position) throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int n = read(dst, at);
            if (n < 0) {
                throw new java.io.EOFException("end of file at " + at + " with " + dst.remaining() + " bytes missing");
            }
            at += n;
        }
    }
}
