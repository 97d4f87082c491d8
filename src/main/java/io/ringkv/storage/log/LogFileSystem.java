package io.ringkv.storage.log;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * The file-I/O seam of the log engine: one flat directory of named files. Every byte the engine
 * reads or writes, every fsync and every directory change goes through here, so that a simulated
 * twin can lose unsynced data, tear writes and fail fsync (see the test sources).
 *
 * <p>Durability assumptions the engine relies on, and no more: bytes appended to a file survive a
 * power loss only once {@link LogFile#force} returned for that file; a create, rename or delete
 * survives only once {@link #syncDirectory} returned after it; {@link #rename} replaces the target
 * atomically (readers of the directory see the old or the new file, never neither). After a crash
 * a file may hold any prefix of its unsynced tail, possibly torn or zero-filled.
 *
 * <p>Thread-safety: implementations must allow concurrent calls from several threads; the engine
 * itself never appends to one file from two threads.
 */
public interface LogFileSystem {

    /** Creates a new empty file opened for reading and appending; fails if it exists. */
    LogFile create(String name) throws IOException;

    /** Opens an existing file for reading, appending and truncating. */
    LogFile open(String name) throws IOException;

    /** Names of the files in the directory, in no particular order. */
    List<String> list() throws IOException;

    /** Atomically renames a file, replacing a file of the target name if there is one. */
    void rename(String from, String to) throws IOException;

    /** Deletes a file if it exists; open handles keep working until closed (POSIX semantics). */
    void delete(String name) throws IOException;

    /** Makes earlier creates, renames and deletes durable (fsync of the directory). */
    void syncDirectory() throws IOException;

    /** Bytes the file system will still let this process write. */
    long usableBytes() throws IOException;

    /**
     * Takes an exclusive OS-level lock on the named file (creating it if needed) for as long as the
     * returned handle stays open. A lock left behind by a killed process is not held by anyone and
     * is simply taken over. Throws {@link LockHeldException} if another process (or another engine
     * in this process) holds it.
     */
    Closeable lock(String name) throws IOException;

    /** Where the directory is, for messages. */
    String describe();

    /** The lock of {@link #lock} is held by someone else. */
    final class LockHeldException extends IOException {
        private static final long serialVersionUID = 1L;

        public LockHeldException(String message) {
            super(message);
        }
    }
}
