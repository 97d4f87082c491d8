package io.ringkv.faults;

import io.ringkv.storage.log.LogFile;
import io.ringkv.storage.log.LogFileSystem;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link LogFileSystem} decorator that fails the log engine's durable operations on command, the
 * way a dying disk does: fsync (of files and of the directory) or appends throw an
 * {@link IOException} that reads like the kernel's EIO. Reads, listings and locks always pass
 * through, so what the engine serves from disk keeps working.
 *
 * <p>Thread-safety: the armed fault is one volatile field, read on every append and fsync.
 */
public final class DiskFaults {

    /** What the disk does wrong. */
    public enum Fault {
        /** Nothing: every call goes straight through. */
        NONE,
        /** fsync of a file or of the directory fails with EIO; appends still succeed. */
        FSYNC_EIO,
        /** Appends fail with EIO (and so does fsync). */
        WRITE_EIO
    }

    private volatile Fault fault = Fault.NONE;
    private final LongAdder injected = new LongAdder();

    public Fault fault() {
        return fault;
    }

    public void arm(Fault newFault) {
        fault = newFault;
    }

    /** How many operations were failed on purpose since start. */
    public long injected() {
        return injected.sum();
    }

    /** Wraps fs so that its files and directory obey this switch. */
    public LogFileSystem wrap(LogFileSystem fs) {
        return new FaultyFileSystem(fs);
    }

    private IOException eio(String what, String where) {
        injected.increment();
        return new IOException("Input/output error (EIO injected by ringkv.faults) on " + what + " of " + where);
    }

    private void beforeFsync(String where) throws IOException {
        if (fault != Fault.NONE) {
            throw eio("fsync", where);
        }
    }

    private void beforeAppend(String where) throws IOException {
        if (fault == Fault.WRITE_EIO) {
            throw eio("write", where);
        }
    }

    private final class FaultyFileSystem implements LogFileSystem {
        private final LogFileSystem fs;

        FaultyFileSystem(LogFileSystem fs) {
            this.fs = fs;
        }

        @Override
        public LogFile create(String name) throws IOException {
            return new FaultyFile(fs.create(name), name);
        }

        @Override
        public LogFile open(String name) throws IOException {
            return new FaultyFile(fs.open(name), name);
        }

        @Override
        public List<String> list() throws IOException {
            return fs.list();
        }

        @Override
        public void rename(String from, String to) throws IOException {
            fs.rename(from, to);
        }

        @Override
        public void delete(String name) throws IOException {
            fs.delete(name);
        }

        @Override
        public void syncDirectory() throws IOException {
            beforeFsync(fs.describe());
            fs.syncDirectory();
        }

        @Override
        public long usableBytes() throws IOException {
            return fs.usableBytes();
        }

        @Override
        public Closeable lock(String name) throws IOException {
            return fs.lock(name);
        }

        @Override
        public String describe() {
            return fs.describe();
        }
    }

    private final class FaultyFile implements LogFile {
        private final LogFile file;
        private final String name;

        FaultyFile(LogFile file, String name) {
            this.file = file;
            this.name = name;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return file.read(dst, position);
        }

        @Override
        public void append(ByteBuffer src) throws IOException {
            beforeAppend(name);
            file.append(src);
        }

        @Override
        public void force() throws IOException {
            beforeFsync(name);
            file.force();
        }

        @Override
        public long size() throws IOException {
            return file.size();
        }

        @Override
        public void truncate(long size) throws IOException {
            file.truncate(size);
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }
}
