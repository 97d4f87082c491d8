package io.ringkv.storage.log;

import java.io.Closeable;
import java.io.IOException;

/**
 * {@code LOCK} in the storage directory, held with an OS file lock for the engine's whole life, so
 * that a second engine (in this or another process) cannot open the directory and interleave its
 * appends with ours. The OS drops the lock when the holder dies however it dies, so a LOCK file
 * left behind by a {@code kill -9} is stale and simply taken over.
 */
final class LockFile {
    static final String NAME = "LOCK";

    private LockFile() {}

    static Closeable acquire(LogFileSystem fs) throws IOException {
        try {
            return fs.lock(NAME);
        } catch (LogFileSystem.LockHeldException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
