package io.ringkv.storage.log;

import io.ringkv.storage.StorageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Measurements, not a test: run in a JVM started like a node ({@code -Xmx64m}); see
 * {@link LogEngineBenchTest} for the sequence. Prints one line per figure.
 *
 * <pre>
 * load DIR KEYS        16-byte keys, 100-byte values, fsync never; keydir bytes/key, RSS, heap
 * restart DIR          open time with the hints as they are
 * nohints DIR          delete every hint file, then open: the scan path
 * merge DIR KEYS       overwrite half the keys, then compact: merge MB/s
 * puts DIR POLICY S T  T writer threads, each put then wait, for S seconds: ops/s, batch sizes
 * gets DIR KEYS S T    T reader threads, random keys, for S seconds: ops/s
 * </pre>
 */
public final class LogEngineBench {
    static final int VALUE_BYTES = 100;

    private LogEngineBench() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        switch (args[0]) {
            case "load" -> load(dir, Long.parseLong(args[2]));
            case "restart" -> restart(dir, "with hints");
            case "nohints" -> {
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path p : files.filter(p -> p.toString().endsWith(".hint")).toList()) {
                        Files.delete(p);
                    }
                }
                restart(dir, "without hints (scanning every data file)");
            }
            case "merge" -> merge(dir, Long.parseLong(args[2]));
            case "puts" -> puts(dir, args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            case "gets" -> gets(dir, Long.parseLong(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    static byte[] key(long i) {
        byte[] k = new byte[16];
        ByteBuffer.wrap(k).putLong(i).putLong(i * 0x9E3779B97F4A7C15L);
        return k;
    }

    static LogEngine.Config.Builder config(Path dir) {
        return LogEngine.Config.builder(dir).keyBytesMax(32).valueBytesMax(10_000).minFreeDiskBytes(1L << 30);
    }

    static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    static void report(String what, Object... values) {
        System.out.println("BENCH " + what + " " + String.join(" ", Stream.of(values).map(String::valueOf).toList()));
        System.out.flush();
    }

    private static void load(Path dir, long keys) throws Exception {
        byte[] value = new byte[VALUE_BYTES];
        long start = System.nanoTime();
        try (LogEngine engine = LogEngine.open(config(dir).fsync(FsyncPolicy.NEVER).build())) {
            Semaphore inFlight = new Semaphore(4096);
            AtomicLong failed = new AtomicLong();
            for (long i = 0; i < keys; i++) {
                inFlight.acquire();
                engine.put(key(i), value, (int) i).whenComplete((v, e) -> {
                    if (e != null) {
                        failed.incrementAndGet();
                    }
                    inFlight.release();
                });
                if (i > 0 && i % 1_000_000 == 0) {
                    progress(engine, i, start);
                }
            }
            inFlight.acquire(4096);
            progress(engine, keys, start);
            var stats = engine.stats();
            report("load", "keys", engine.keys(), "failed", failed.get(), "seconds", secs(start),
                    "keydirBytes", stats.keydirOffHeapBytes(), "keydirBytesPerKey", String.format("%.1f", stats.keydirOffHeapBytes() / (double) engine.keys()),
                    "rssKb", rssKb(), "heapUsedKb", (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / 1024,
                    "heapMaxKb", Runtime.getRuntime().maxMemory() / 1024, "diskBytes", engine.bytes(), "segments", stats.segments());
            long closeStart = System.nanoTime();
            engine.close();
            report("close", "seconds", secs(closeStart));
        }
    }

    private static void progress(LogEngine engine, long i, long start) throws IOException {
        var stats = engine.stats();
        report("progress", "keys", i, "seconds", secs(start), "bytesPerKey",
                String.format("%.1f", stats.keydirOffHeapBytes() / (double) Math.max(1, engine.keys())), "rssKb", rssKb());
    }

    private static void restart(Path dir, String what) throws Exception {
        long start = System.nanoTime();
        try (LogEngine engine = LogEngine.open(config(dir).build())) {
            double seconds = secs(start);
            var stats = engine.stats();
            report("restart", "'" + what + "'", "keys", engine.keys(), "seconds", seconds, "segments", stats.segments(),
                    "rssKb", rssKb(), "keydirBytesPerKey", String.format("%.1f", stats.keydirOffHeapBytes() / (double) engine.keys()));
            Engines.idle(engine); // let the hint writes a scan asked for finish before closing
        }
    }

    private static void merge(Path dir, long keys) throws Exception {
        byte[] value = new byte[VALUE_BYTES];
        try (LogEngine engine = LogEngine.open(config(dir).fsync(FsyncPolicy.NEVER).mergeDeadRatio(2).build())) {
            Semaphore inFlight = new Semaphore(4096);
            for (long i = 0; i < keys; i += 2) {
                inFlight.acquire();
                engine.put(key(i), value, -1).whenComplete((v, e) -> inFlight.release());
            }
            inFlight.acquire(4096);
            var before = engine.stats();
            long start = System.nanoTime();
            Engines.join(engine.compact());
            double seconds = secs(start);
            var after = engine.stats();
            long read = after.mergeBytesRead() - before.mergeBytesRead();
            long written = after.mergeBytesWritten() - before.mergeBytesWritten();
            double mergeSeconds = (after.mergeNanosTotal() - before.mergeNanosTotal()) / 1e9;
            report("merge", "bytesRead", read, "bytesWritten", written, "seconds", seconds, "mergeSeconds", mergeSeconds,
                    "readMBps", String.format("%.0f", read / 1e6 / mergeSeconds),
                    "writtenMBps", String.format("%.0f", written / 1e6 / mergeSeconds), "keys", engine.keys(), "rssKb", rssKb());
        }
    }

    private static void puts(Path dir, String policyName, int seconds, int threads) throws Exception {
        FsyncPolicy policy = switch (policyName) {
            case "always" -> FsyncPolicy.ALWAYS;
            case "interval" -> FsyncPolicy.interval(10);
            default -> FsyncPolicy.NEVER;
        };
        List<Integer> batchSizes = java.util.Collections.synchronizedList(new ArrayList<>());
        var config = config(dir).fsync(policy).batchSizeListener(n -> {
            if (batchSizes.size() < 1_000_000) {
                batchSizes.add(n);
            }
        }).build();
        try (LogEngine engine = LogEngine.open(config)) {
            AtomicLong ops = new AtomicLong();
            AtomicLong busy = new AtomicLong();
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            var before = engine.stats();
            long start = System.nanoTime();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                workers.add(Thread.ofPlatform().start(() -> {
                    byte[] value = new byte[VALUE_BYTES];
                    var random = ThreadLocalRandom.current();
                    while (System.nanoTime() < end) {
                        try {
                            engine.put(key(random.nextLong(1_000_000)), value, 1).toCompletableFuture().join();
                            ops.incrementAndGet();
                        } catch (java.util.concurrent.CompletionException e) {
                            if (e.getCause() instanceof StorageException se && se.reason() == StorageException.Reason.BUSY) {
                                busy.incrementAndGet();
                            } else {
                                throw e;
                            }
                        }
                    }
                }));
            }
            for (Thread w : workers) {
                w.join();
            }
            double elapsed = secs(start);
            var after = engine.stats();
            long batches = after.batches() - before.batches();
            long fsyncs = after.fsyncs() - before.fsyncs();
            List<Integer> sorted;
            synchronized (batchSizes) {
                sorted = new ArrayList<>(batchSizes);
            }
            sorted.sort(null);
            report("puts", policyName, "threads", threads, "opsPerSec", String.format("%.0f", ops.get() / elapsed), "busy", busy.get(),
                    "batches", batches, "meanBatch", String.format("%.1f", (after.batchedOps() - before.batchedOps()) / (double) batches),
                    "p50Batch", sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2),
                    "p99Batch", sorted.isEmpty() ? 0 : sorted.get(sorted.size() * 99 / 100), "maxBatch", after.batchOpsMax(),
                    "fsyncs", fsyncs, "meanFsyncMs", fsyncs == 0 ? 0 : String.format("%.2f", (after.fsyncNanosTotal() - before.fsyncNanosTotal()) / 1e6 / fsyncs));
        }
    }

    private static void gets(Path dir, long keys, int seconds, int threads) throws Exception {
        try (LogEngine engine = LogEngine.open(config(dir).build())) {
            AtomicLong ops = new AtomicLong();
            AtomicLong hits = new AtomicLong();
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            long start = System.nanoTime();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                workers.add(Thread.ofPlatform().start(() -> {
                    var random = ThreadLocalRandom.current();
                    long n = 0;
                    long h = 0;
                    while (System.nanoTime() < end) {
                        if (engine.get(key(random.nextLong(keys))) != null) {
                            h++;
                        }
                        n++;
                    }
                    ops.addAndGet(n);
                    hits.addAndGet(h);
                }));
            }
            for (Thread w : workers) {
                w.join();
            }
            report("gets", "threads", threads, "opsPerSec", String.format("%.0f", ops.get() / secs(start)), "hits", hits.get(), "ops", ops.get());
        }
    }

    private static double secs(long startNanos) {
        return Math.round((System.nanoTime() - startNanos) / 1e6) / 1000.0;
    }

}
