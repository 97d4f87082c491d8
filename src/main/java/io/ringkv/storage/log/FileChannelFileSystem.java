package io.ringkv.storage.log;

import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** {@link LogFileSystem} over one real directory with {@link FileChannel}s. */
public final class FileChannelFileSystem implements LogFileSystem {
    /** Files are read through memory-mapped windows of this size (2 MiB); see {@code ChannelFile}. */
    static final int WINDOW_SHIFT = 21;
    static final long WINDOW_BYTES = 1L << WINDOW_SHIFT;
    /** The last, partial window is mapped again once this much more of it is written (64 KiB). */
    static final long TAIL_STEP_BYTES = 64 * 1024;

    private final Path dir;

    public FileChannelFileSystem(Path dir) throws IOException {
        this.dir = dir.toAbsolutePath();
        Files.createDirectories(this.dir);
    }

    @Override
    public LogFile create(String name) throws IOException {
        return new ChannelFile(FileChannel.open(dir.resolve(name),
                StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE));
    }

    @Override
    public LogFile open(String name) throws IOException {
        return new ChannelFile(FileChannel.open(dir.resolve(name), StandardOpenOption.READ, StandardOpenOption.WRITE));
    }

    @Override
    public List<String> list() throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                names.add(p.getFileName().toString());
            }
        }
        return names;
    }

    @Override
    public void rename(String from, String to) throws IOException {
        Files.move(dir.resolve(from), dir.resolve(to), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void delete(String name) throws IOException {
        Files.deleteIfExists(dir.resolve(name));
    }

    @Override
    public void syncDirectory() throws IOException {
        // Opening a directory for reading and forcing it is how the JDK exposes fsync(dirfd) on
        // Linux; it is what makes creates and renames survive a power loss.
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    @Override
    public long usableBytes() throws IOException {
        return Files.getFileStore(dir).getUsableSpace();
    }

    @Override
    public Closeable lock(String name) throws IOException {
        Path path = dir.resolve(name);
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by another engine of this very JVM
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            String holder = readHolder(channel);
            channel.close();
            throw new LockHeldException("storage directory " + dir + " is in use by another ringkv engine"
                    + (holder.isEmpty() ? "" : " (" + holder + ")") + "; " + path + " is locked");
        }
        // A stale file left by a killed process holds no OS lock, so we got here and take it over;
        // the holder line is only for the message a competitor prints.
        byte[] holder = ("pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(holder), 0);
        FileLock held = lock;
        return () -> {
            try {
                held.release();
            } finally {
                channel.close();
            }
        };
    }

    private static String readHolder(FileChannel channel) {
        try {
            ByteBuffer buf = ByteBuffer.allocate(64);
            channel.read(buf, 0);
            return new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public String describe() {
        return dir.toString();
    }

    /**
     * One file. Reads come from memory-mapped windows of {@link #WINDOW_BYTES} where they can (no
     * system call per read: a GET is a keydir lookup and a copy out of the page cache) and from a
     * positional read otherwise: a read that crosses a window's end, or that falls within the
     * newest {@link #TAIL_STEP_BYTES} of the last, still-growing window. A window is mapped once the
     * file covers it whole, and the partial last one up to the file's end (see {@link #tail}); the
     * file is never extended for a mapping. Whole windows stay mapped until the file is closed,
     * which the engine does only after the last reader released it (see {@link Segment}); a
     * truncation (recovery, before any reader) drops the mappings it cuts into, so nothing past the
     * end is ever touched through a mapping.
     */
    private static final class ChannelFile implements LogFile {
        private final FileChannel channel;
        /** Where the next append goes; only the appending thread touches it. */
        private long end;
        /** Bytes written to the file so far, for readers deciding whether a window is whole. */
        private volatile long readable;
        private final Arena arena = Arena.ofShared();
        /** Mapped windows by index (null: not mapped yet); replaced by a longer copy as the file grows. */
        private volatile MemorySegment[] windows = new MemorySegment[0];
        /** The last, partial window's mapping so far; null before the first (see {@link #tail}). */
        private volatile Tail tail;
        /** Cleared when a mapping failed or the file closed: every read is a positional read. */
        private boolean mappable = true;

        ChannelFile(FileChannel channel) throws IOException {
            this.channel = channel;
            this.end = channel.size();
            this.readable = end;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            int n = dst.remaining();
            long index = position >>> WINDOW_SHIFT;
            if (n > 0 && index == (position + n - 1) >>> WINDOW_SHIFT) {
                long at = position & (WINDOW_BYTES - 1);
                MemorySegment window = window((int) index);
                if (window == null) {
                    window = tail((int) index, at + n);
                }
                if (window != null) {
                    int from = dst.position();
                    MemorySegment.copy(window, at, MemorySegment.ofBuffer(dst), 0, n);
                    dst.position(from + n);
                    return n;
                }
            }
            return channel.read(dst, position);
        }

        /**
         * A mapping of the last, partial window up to where the file ends, if it covers {@code
         * need} bytes of the window; null if it does not. It is mapped again as the file grows, at
         * most once per {@link #TAIL_STEP_BYTES} appended, so reads of the newest records cost a
         * positional read only within the last step. Tails are mapped in automatic arenas: one
         * that a newer tail replaced is unmapped by the collector once no reader holds it.
         */
        private MemorySegment tail(int index, long need) {
            Tail current = tail;
            if (current != null && current.covers(index, need)) {
                return current.mapping;
            }
            long start = index * WINDOW_BYTES;
            long upTo = Math.min(readable, start + WINDOW_BYTES);
            long have = current != null && current.index == index ? current.mapping.byteSize() : 0;
            if (start + need > upTo || upTo - start - have < TAIL_STEP_BYTES) {
                return null;
            }
            synchronized (this) {
                current = tail;
                if (current != null && current.covers(index, need)) {
                    return current.mapping;
                }
                MemorySegment mapping = map(start, upTo - start, Arena.ofAuto());
                if (mapping != null) {
                    tail = new Tail(index, mapping);
                }
                return mapping;
            }
        }

        private record Tail(int index, MemorySegment mapping) {
            boolean covers(int window, long need) {
                return index == window && need <= mapping.byteSize();
            }
        }

        /** The mapped window, mapping it if the file covers it whole; null if it does not yet. */
        private MemorySegment window(int index) {
            MemorySegment[] mapped = windows;
            if (index < mapped.length && mapped[index] != null) {
                return mapped[index];
            }
            if (((long) index + 1) * WINDOW_BYTES > readable) {
                return null;
            }
            synchronized (this) {
                mapped = windows;
                if (index < mapped.length && mapped[index] != null) {
                    return mapped[index];
                }
                MemorySegment window = map(index * WINDOW_BYTES, WINDOW_BYTES, arena);
                if (window != null) {
                    MemorySegment[] grown = Arrays.copyOf(mapped, Math.max(mapped.length, index + 1));
                    grown[index] = window;
                    windows = grown;
                }
                return window;
            }
        }

        /**
         * Maps bytes of the file read-only into {@code into}; null once a mapping has failed (out of
         * address space, a file system without mmap) or the file closed: positional reads serve
         * from then on. Called with this held.
         */
        private MemorySegment map(long start, long bytes, Arena into) {
            if (!mappable) {
                return null;
            }
            try {
                return channel.map(FileChannel.MapMode.READ_ONLY, start, bytes, into);
            } catch (IOException | UnsupportedOperationException | IllegalStateException e) {
                mappable = false;
                return null;
            }
        }

        @Override
        public void append(ByteBuffer src) throws IOException {
            while (src.hasRemaining()) {
                end += channel.write(src, end);
            }
            readable = end;
        }

        @Override
        public void force() throws IOException {
            channel.force(false);
        }

        @Override
        public long size() throws IOException {
            return channel.size();
        }

        @Override
        public void truncate(long size) throws IOException {
            synchronized (this) {
                // Windows past the new end would fault when read: forget them (they stay mapped,
                // unread, until close).
                int whole = (int) (size >>> WINDOW_SHIFT);
                if (whole < windows.length) {
                    windows = Arrays.copyOf(windows, whole);
                }
                readable = Math.min(readable, size);
                tail = null;
            }
            channel.truncate(size);
            end = size;
            readable = size;
        }

        @Override
        public void close() throws IOException {
            try {
                channel.close();
            } finally {
                synchronized (this) {
                    windows = new MemorySegment[0];
                    tail = null;
                    mappable = false;
                    if (arena.scope().isAlive()) {
                        arena.close();
                    }
                }
            }
        }
    }
}
