package io.ringkv.storage.log;

import java.io.Closeable;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;

/**
 * An in-memory {@link LogFileSystem} that can lose power, the simulated twin of
 * {@link FileChannelFileSystem} (in the spirit of LevelDB's fault_injection_test).
 *
 * <p><b>Fault model.</b> Files are inodes; the directory maps names to inodes. Each inode keeps
 * its current bytes and its durable bytes (a copy taken by {@link LogFile#force}); the directory
 * keeps its durable mapping (a copy taken by {@link #syncDirectory}) and the log of creates,
 * renames and deletes since. {@link #crashImage} builds what a machine would find after a power
 * loss at this instant:
 * <ul>
 * <li>the directory: the durable mapping plus a random prefix of the unsynced operations (a
 *     journaling file system keeps metadata operations in order; the prefix may be empty);
 * <li>each file: its durable bytes plus a random prefix of the unsynced tail past the durable
 *     length (when the current bytes extend the durable ones), and in the {@link Tear#TORN} mode
 *     the last part of that prefix may be zeros or garbage (a torn sector, a size update that
 *     reached the disk before its data);
 * <li>no lock is held.
 * </ul>
 * It does not model: corruption of synced bytes (tests flip bits themselves), reordering of
 * synced data, a lying fsync.
 *
 * <p><b>Injected faults.</b> {@link #failForce}: every force() throws an IOException (EIO).
 * {@link #powerLossAfter}: the n-th mutating operation (create, append, force, truncate, rename,
 * delete, syncDirectory) and all after it throw, as if the machine had died just before it;
 * reads keep working. {@link #usableBytes} and a delay for every force ({@link #forceDelayMs})
 * are settable.
 *
 * <p>Thread-safe: every method is synchronized on the file system.
 */
final class SimulatedFileSystem implements LogFileSystem {

    /** How much damage the unsynced tail of a file may take in a crash image. */
    enum Tear { NONE, TORN }

    private static final class Inode {
        byte[] data = new byte[0];
        int length;
        byte[] durable = new byte[0];
    }

    private sealed interface DirOp {}

    private record Create(String name, Inode inode) implements DirOp {}

    private record Rename(String from, String to) implements DirOp {}

    private record Delete(String name) implements DirOp {}

    private Map<String, Inode> dir = new HashMap<>();
    private Map<String, Inode> durableDir = new HashMap<>();
    private final List<DirOp> unsynced = new ArrayList<>();
    private final Set<String> locks = new HashSet<>();
    private long mutations;
    private long powerLossAt = Long.MAX_VALUE;
    private boolean powerLost;
    private Predicate<String> failForce = name -> false;
    private long usableBytes = 1L << 40;
    private volatile long forceDelayMs;

    // ---- fault controls ----

    /** The n-th mutating operation from now (0 = the next one) and all later ones fail. */
    synchronized void powerLossAfter(long n) {
        powerLossAt = mutations + n;
    }

    synchronized boolean powerLost() {
        return powerLost;
    }

    /** Mutating operations so far. */
    synchronized long mutations() {
        return mutations;
    }

    /** force() on files whose name matches fails with EIO. */
    synchronized void failForce(Predicate<String> which) {
        failForce = which;
    }

    /** Every force() takes this long (outside the file system's lock), like a slow disk. */
    void forceDelayMs(long ms) {
        forceDelayMs = ms;
    }

    synchronized void usableBytes(long bytes) {
        usableBytes = bytes;
    }

    /** What survives a power loss now, as a fresh file system (see the class comment). */
    synchronized SimulatedFileSystem crashImage(Random random, Tear tear) {
        Map<String, Inode> names = new HashMap<>(durableDir);
        int applied = unsynced.isEmpty() ? 0 : random.nextInt(unsynced.size() + 1);
        for (int i = 0; i < applied; i++) {
            switch (unsynced.get(i)) {
                case Create c -> names.put(c.name, c.inode);
                case Rename r -> {
                    Inode moved = names.remove(r.from);
                    if (moved != null) {
                        names.put(r.to, moved);
                    }
                }
                case Delete d -> names.remove(d.name);
            }
        }
        SimulatedFileSystem image = new SimulatedFileSystem();
        Map<Inode, Inode> copies = new HashMap<>();
        for (var e : names.entrySet()) {
            Inode copy = copies.computeIfAbsent(e.getValue(), inode -> survivor(inode, random, tear));
            image.dir.put(e.getKey(), copy);
        }
        image.durableDir = new HashMap<>(image.dir);
        image.usableBytes = usableBytes;
        return image;
    }

    private static Inode survivor(Inode inode, Random random, Tear tear) {
        byte[] durable = inode.durable;
        byte[] current = Arrays.copyOf(inode.data, inode.length);
        int common = 0;
        while (common < durable.length && common < current.length && durable[common] == current[common]) {
            common++;
        }
        byte[] kept;
        if (common < durable.length || current.length <= durable.length) {
            kept = durable.clone(); // rewritten or truncated since the sync: the synced bytes stand
        } else {
            int extra = random.nextInt(current.length - durable.length + 1);
            kept = Arrays.copyOf(current, durable.length + extra);
            if (tear == Tear.TORN && extra > 0 && random.nextBoolean()) {
                int torn = 1 + random.nextInt(Math.min(extra, 600));
                boolean zeros = random.nextBoolean();
                for (int i = kept.length - torn; i < kept.length; i++) {
                    kept[i] = zeros ? 0 : (byte) random.nextInt(256);
                }
            }
        }
        Inode copy = new Inode();
        copy.data = kept;
        copy.length = kept.length;
        copy.durable = kept.clone();
        return copy;
    }

    // ---- direct access for corruption tests ----

    synchronized byte[] contents(String name) {
        Inode inode = dir.get(name);
        return inode == null ? null : Arrays.copyOf(inode.data, inode.length);
    }

    /** Replaces a file's bytes, durably, as a disk error would. */
    synchronized void overwrite(String name, byte[] bytes) {
        Inode inode = dir.computeIfAbsent(name, n -> new Inode());
        durableDir.put(name, inode);
        inode.data = bytes.clone();
        inode.length = bytes.length;
        inode.durable = bytes.clone();
    }

    synchronized List<String> names() {
        List<String> list = new ArrayList<>(dir.keySet());
        list.sort(null);
        return list;
    }

    // ---- LogFileSystem ----

    private void mutate(String what) throws IOException {
        if (powerLost || mutations >= powerLossAt) {
            powerLost = true;
            throw new IOException("simulated power loss (before " + what + ")");
        }
        mutations++;
    }

    @Override
    public synchronized LogFile create(String name) throws IOException {
        mutate("create " + name);
        if (dir.containsKey(name)) {
            throw new FileAlreadyExistsException(name);
        }
        Inode inode = new Inode();
        dir.put(name, inode);
        unsynced.add(new Create(name, inode));
        return new SimFile(name, inode);
    }

    @Override
    public synchronized LogFile open(String name) throws IOException {
        Inode inode = dir.get(name);
        if (inode == null) {
            throw new FileNotFoundException(name);
        }
        return new SimFile(name, inode);
    }

    @Override
    public synchronized List<String> list() {
        return new ArrayList<>(dir.keySet());
    }

    @Override
    public synchronized void rename(String from, String to) throws IOException {
        mutate("rename " + from);
        Inode inode = dir.remove(from);
        if (inode == null) {
            throw new FileNotFoundException(from);
        }
        dir.put(to, inode);
        unsynced.add(new Rename(from, to));
    }

    @Override
    public synchronized void delete(String name) throws IOException {
        mutate("delete " + name);
        if (dir.remove(name) != null) {
            unsynced.add(new Delete(name));
        }
    }

    @Override
    public synchronized void syncDirectory() throws IOException {
        mutate("sync directory");
        durableDir = new HashMap<>(dir);
        unsynced.clear();
    }

    @Override
    public synchronized long usableBytes() {
        return usableBytes;
    }

    @Override
    public synchronized Closeable lock(String name) throws IOException {
        if (!locks.add(name)) {
            throw new LockHeldException("simulated directory is in use by another engine; " + name + " is locked");
        }
        if (!dir.containsKey(name)) {
            Inode inode = new Inode();
            dir.put(name, inode);
            durableDir.put(name, inode);
        }
        return () -> {
            synchronized (SimulatedFileSystem.this) {
                locks.remove(name);
            }
        };
    }

    @Override
    public String describe() {
        return "simulated directory";
    }

    private final class SimFile implements LogFile {
        private final String name;
        private final Inode inode;
        private boolean closed;

        SimFile(String name, Inode inode) {
            this.name = name;
            this.inode = inode;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            synchronized (SimulatedFileSystem.this) {
                checkOpen();
                if (position >= inode.length) {
                    return -1;
                }
                int n = (int) Math.min(dst.remaining(), inode.length - position);
                dst.put(inode.data, (int) position, n);
                return n;
            }
        }

        @Override
        public void append(ByteBuffer src) throws IOException {
            synchronized (SimulatedFileSystem.this) {
                checkOpen();
                mutate("append to " + name);
                int n = src.remaining();
                if (inode.length + n > inode.data.length) {
                    inode.data = Arrays.copyOf(inode.data, Math.max(inode.length + n, inode.data.length * 2));
                }
                src.get(inode.data, inode.length, n);
                inode.length += n;
            }
        }

        @Override
        public void force() throws IOException {
            long delay = forceDelayMs;
            if (delay > 0) {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
            synchronized (SimulatedFileSystem.this) {
                checkOpen();
                mutate("force " + name);
                if (failForce.test(name)) {
                    throw new IOException("simulated EIO on fsync of " + name);
                }
                inode.durable = Arrays.copyOf(inode.data, inode.length);
            }
        }

        @Override
        public long size() throws IOException {
            synchronized (SimulatedFileSystem.this) {
                checkOpen();
                return inode.length;
            }
        }

        @Override
        public void truncate(long size) throws IOException {
            synchronized (SimulatedFileSystem.this) {
                checkOpen();
                mutate("truncate " + name);
                inode.length = (int) Math.min(inode.length, size);
            }
        }

        @Override
        public void close() {
            synchronized (SimulatedFileSystem.this) {
                closed = true;
            }
        }

        private void checkOpen() throws IOException {
            if (closed) {
                throw new IOException(name + " is closed");
            }
        }
    }
}
