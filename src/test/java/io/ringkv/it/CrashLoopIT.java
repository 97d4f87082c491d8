package io.ringkv.it;

import com.google.protobuf.ByteString;
import com.jayway.jsonpath.JsonPath;
import io.ringkv.common.TestSeeds;
import io.ringkv.it.DurabilityModel.Absent;
import io.ringkv.it.DurabilityModel.Present;
import io.ringkv.it.DurabilityModel.State;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 3's crash loop: nothing a node acknowledged under {@code fsync=always} is lost when the
 * node is killed with SIGKILL at a random moment, and no acknowledged remove comes back.
 *
 * <p>One node JVM ({@code -Xmx64m}, {@code log} engine) keeps its data directory and ports for the
 * whole test. Each loop: {@link #WRITERS} client threads, each with its own UDP socket, write PUTs
 * (random values of 0..{@link #VALUE_BYTES_MAX} bytes, random versions) and REMOVEs to a small key
 * space, so keys are overwritten and removed many times; after a seeded write phase the node is
 * killed by PID while writes are in flight, restarted on the same directory and ports, and every
 * key is read back and checked against {@link DurabilityModel}: a key whose whole history is known
 * must show exactly its last acknowledged write, a key whose last write got no reply may show that
 * write or what it held before. Replies during the write phase are checked too: a REMOVE must find
 * exactly the keys the model holds.
 *
 * <p>Each writer owns the keys {@code k} with {@code k % WRITERS == writer} and issues one request
 * at a time, so the operations on a key are sequential and "the last acknowledged write" is well
 * defined; the writers still run concurrently, so the node's group commit sees several writes per
 * fsync. A writer stops at its first request of unknown outcome, so each key has at most one such
 * request per loop, and the read after the restart settles it.
 *
 * <p>The seed ({@code -Dringkv.seed=N}) fixes the keys, values, versions, messageIDs and the length
 * of each write phase; which requests are in flight at the kill depends on timing, so a replay
 * reproduces the workload, not the exact cut. {@code -Dringkv.crashloop.loops=N} sets the number of
 * loops (default {@value #LOOPS_DEFAULT}, as CI runs it). A failing check copies the data directory
 * to {@code target/it-logs/} for inspection.
 */
@Timeout(value = 2, unit = TimeUnit.HOURS) // A stuck harness only: every phase has its own, smaller bound.
class CrashLoopIT {
    private static final String LOOPS_PROPERTY = "ringkv.crashloop.loops";
    private static final int LOOPS_DEFAULT = 15;
    private static final int WRITERS = 8;
    private static final int KEYS_PER_WRITER = 16;
    private static final int VALUE_BYTES_MAX = 2_000;
    private static final int REMOVE_PERCENT = 20;
    /** Short write phases keep the default loops within two minutes; the kill lands anywhere in them. */
    private static final int WRITE_PHASE_MS_MIN = 500;
    private static final int WRITE_PHASE_MS_MAX = 2_000;
    /** Writers notice the kill within ~100 ms; this bounds a writer stuck in OVERLOAD back-off. */
    private static final Duration WRITER_STOP_MAX = Duration.ofSeconds(30);
    private static final int FAILURES_SHOWN_MAX = 10;

    @Test
    void acknowledgedWritesSurviveKillNine() throws Exception {
        long seed = TestSeeds.seed();
        int loops = Integer.getInteger(LOOPS_PROPERTY, LOOPS_DEFAULT);
        Random random = new Random(seed);
        DurabilityModel model = new DurabilityModel(WRITERS * KEYS_PER_WRITER);
        Totals totals = new Totals();
        long testStartNanos = System.nanoTime();
        System.out.printf("CrashLoopIT: seed %d (replay: -Dringkv.seed=%d), %d loops, %d writers, %d keys%n", seed,
                seed, loops, WRITERS, model.keys());

        long firstStartNanos = System.nanoTime();
        try (NodeProcess node = NodeProcess.start("CrashLoopIT", CrashLoopIT::nodeArgs);
                ExecutorService pool = Executors.newFixedThreadPool(WRITERS)) {
            System.out.printf("CrashLoopIT: first start %d ms (%s)%n", millisSince(firstStartNanos), node);
            for (int loop = 1; loop <= loops; loop++) {
                int writePhaseMs = WRITE_PHASE_MS_MIN + random.nextInt(WRITE_PHASE_MS_MAX - WRITE_PHASE_MS_MIN + 1);
                Tally tally = writeThenKill(node, pool, model, random.nextLong(), writePhaseMs, loop, seed);
                long killedPid = node.pid();

                Duration restart = node.restart();
                totals.restartMs.add(restart.toMillis());

                long checkStartNanos = System.nanoTime();
                Check check = checkEveryKey(node, model, loop, seed);
                List<String> failures = new ArrayList<>(tally.failures);
                failures.addAll(check.failures);
                System.out.printf("loop %d/%d: write phase %d ms, %d acknowledged (%d PUT, %d REMOVE), %d unknown"
                                + " at kill (pid %d)%s; restart %d ms; checked %d keys (%d exact, %d of unknown"
                                + " outcome: %d applied) in %d ms%n",
                        loop, loops, writePhaseMs, tally.acknowledgedPuts + tally.acknowledgedRemoves,
                        tally.acknowledgedPuts, tally.acknowledgedRemoves, tally.unknown, killedPid,
                        tally.unansweredWhileAlive == 0 ? "" : ", " + tally.unansweredWhileAlive
                                + " unanswered while the node ran",
                        restart.toMillis(), model.keys(), check.exact, check.unknown, check.unknownApplied,
                        millisSince(checkStartNanos));
                totals.add(tally, check);
                if (!failures.isEmpty()) {
                    node.kill();
                    Path copy = keepDataDir(node, seed, loop);
                    throw new AssertionError("seed " + seed + " (replay: -Dringkv.seed=" + seed + "), loop " + loop
                            + ": " + failures.size() + " violation(s); data directory copied to " + copy
                            + "; node log " + node.logFile() + "\n"
                            + String.join("\n\n", failures.subList(0, Math.min(failures.size(), FAILURES_SHOWN_MAX))));
                }
            }
        }
        System.out.printf("CrashLoopIT: seed %d, %d loops, %d acknowledged writes (%d PUT, %d REMOVE), %d of"
                        + " unknown outcome (%d applied), %d unanswered while the node ran; %d key checks exact;"
                        + " restart p50 %d ms, max %d ms; class run time %d s%n",
                seed, loops, totals.acknowledgedPuts + totals.acknowledgedRemoves, totals.acknowledgedPuts,
                totals.acknowledgedRemoves, totals.unknown, totals.unknownApplied, totals.unansweredWhileAlive,
                totals.exactChecks, percentile(totals.restartMs, 50), percentile(totals.restartMs, 100),
                millisSince(testStartNanos) / 1000);
    }

    /**
     * The {@code log} engine, acknowledging after fsync. Small segments and an eager merge make
     * kills land during segment roll-over, hint-file writes and merges too, and make restarts read
     * hint files, not only the active segment.
     */
    private static void nodeArgs(Map<String, String> args) {
        args.put("ringkv.storage.engine", "log");
        args.put("ringkv.storage.fsync", "always");
        args.put("ringkv.storage.segment-bytes", "1MB");
        args.put("ringkv.storage.merge-min-dead", "512KB");
    }

    /** Runs the writers for {@code writePhaseMs}, kills the node by PID, and waits for the writers to stop. */
    private static Tally writeThenKill(NodeProcess node, ExecutorService pool, DurabilityModel model, long loopSeed,
            int writePhaseMs, int loop, long seed) throws InterruptedException {
        AtomicBoolean killed = new AtomicBoolean();
        List<Future<Tally>> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            Random random = new Random(loopSeed + 0x9E3779B97F4A7C15L * (writer + 1));
            writers.add(pool.submit(() -> {
                try (UdpKv client = new UdpKv(node.nodeAddress())) {
                    return write(client, writer, random, model, killed, loop);
                }
            }));
        }
        NodeProcess.sleep(Duration.ofMillis(writePhaseMs));
        node.kill();
        // Only now, with the process gone, may writers give up on a request: a reply it sent is queued.
        killed.set(true);
        Tally tally = new Tally();
        for (Future<Tally> writer : writers) {
            try {
                tally.add(writer.get(WRITER_STOP_MAX.toMillis(), TimeUnit.MILLISECONDS));
            } catch (ExecutionException | TimeoutException e) {
                throw new AssertionError("seed " + seed + ", loop " + loop + ": a writer failed or did not stop", e);
            }
        }
        return tally;
    }

    /** One writer's loop: sequential requests on its own keys until the node is killed. */
    private static Tally write(UdpKv client, int writer, Random random, DurabilityModel model, AtomicBoolean killed,
            int loop) {
        Tally tally = new Tally();
        for (int n = 1; !killed.get(); n++) {
            int k = writer + WRITERS * random.nextInt(KEYS_PER_WRITER);
            boolean remove = random.nextInt(100) < REMOVE_PERCENT;
            State state;
            KVRequest request;
            if (remove) {
                state = DurabilityModel.ABSENT;
                request = Kv.remove(key(k));
            } else {
                byte[] value = new byte[random.nextInt(VALUE_BYTES_MAX + 1)];
                random.nextBytes(value);
                state = new Present(ByteString.copyFrom(value), random.nextInt());
                request = Kv.put(key(k), ((Present) state).value(), ((Present) state).version());
            }
            ByteString messageId = messageId(random);
            String op = "loop " + loop + " writer " + writer + " request " + n + " (messageID "
                    + UdpKv.hex(messageId) + "): " + (remove ? "REMOVE" : "PUT " + state);
            State before = model.definite(k);

            Optional<KVResponse> reply = client.tryCall(messageId, request, killed::get);
            if (reply.isEmpty() || reply.get().getErrCode() == ErrorCode.OVERLOAD.code()) {
                model.unknown(k, state, op);
                tally.unknown++;
                if (!killed.get()) {
                    tally.unansweredWhileAlive++;
                }
                return tally;
            }
            int code = reply.get().getErrCode();
            if (remove && code == ErrorCode.SUCCESS.code() && before instanceof Absent) {
                tally.failures.add(violation(model, k, op + " answered SUCCESS, but the key's last acknowledged"
                        + " write was a REMOVE (or it was never written): a removed key came back"));
            } else if (remove && code == ErrorCode.NO_SUCH_KEY.code() && before instanceof Present) {
                tally.failures.add(violation(model, k, op + " answered NO_SUCH_KEY, but the key holds an"
                        + " acknowledged " + before + ": an acknowledged PUT was lost"));
            } else if (code != ErrorCode.SUCCESS.code() && !(remove && code == ErrorCode.NO_SUCH_KEY.code())) {
                tally.failures.add(violation(model, k, op + " answered " + Kv.describe(reply.get())));
                model.unknown(k, state, op);
                return tally;
            }
            model.acknowledged(k, state, op + " " + Kv.describe(reply.get()));
            if (remove) {
                tally.acknowledgedRemoves++;
            } else {
                tally.acknowledgedPuts++;
            }
        }
        return tally;
    }

    /**
     * Reads every key and checks it against the model, which then holds what was read; checks that
     * the node counts as many keys as the model holds present.
     */
    private static Check checkEveryKey(NodeProcess node, DurabilityModel model, int loop, long seed) {
        Check check = new Check();
        int present = 0;
        try (UdpKv client = node.udp()) {
            for (int k = 0; k < model.keys(); k++) {
                List<State> possible = model.possible(k);
                KVResponse reply;
                try {
                    reply = client.get(key(k));
                } catch (AssertionError noReply) {
                    throw new AssertionError("seed " + seed + ", loop " + loop + ": GET " + keyName(k)
                            + " after the restart: " + noReply.getMessage(), noReply);
                }
                State seen;
                if (reply.getErrCode() == ErrorCode.SUCCESS.code()) {
                    seen = new Present(reply.getValue(), reply.getVersion());
                    present++;
                } else if (reply.getErrCode() == ErrorCode.NO_SUCH_KEY.code()) {
                    seen = DurabilityModel.ABSENT;
                } else {
                    check.failures.add(violation(model, k, "GET after the restart answered " + Kv.describe(reply)));
                    continue;
                }
                String read = "loop " + loop + " GET after restart";
                if (!model.observed(k, seen, read)) {
                    check.failures.add(violation(model, k, describeViolation(possible, seen)));
                } else if (possible.size() == 1) {
                    check.exact++;
                } else {
                    check.unknown++;
                    // The unknown write is the newest state the model added.
                    if (seen.equals(possible.getLast())) {
                        check.unknownApplied++;
                    }
                }
            }
        }
        var response = node.get("/api/v1/node", true);
        if (response.statusCode() != 200) {
            throw new AssertionError("seed " + seed + ", loop " + loop + ": GET /api/v1/node answered "
                    + response.statusCode() + ": " + response.body());
        }
        long keys = ((Number) JsonPath.read(response.body(), "$.keys")).longValue();
        if (keys != present) {
            check.failures.add("after the restart the node reports " + keys + " keys, but GET found " + present
                    + " of the " + model.keys() + " keys this test writes (no other keys exist)");
        }
        return check;
    }

    private static String describeViolation(List<State> possible, State seen) {
        if (possible.size() == 1) {
            State expected = possible.getFirst();
            String what = expected instanceof Absent ? "an acknowledged REMOVE came back"
                    : seen instanceof Absent ? "an acknowledged PUT was lost"
                    : "an acknowledged PUT came back with another value or version";
            return "GET after the restart showed " + seen + ", expected exactly " + expected + ": " + what;
        }
        return "GET after the restart showed " + seen + ", expected one of " + possible
                + " (the last acknowledged state or the write of unknown outcome after it)";
    }

    private static String violation(DurabilityModel model, int k, String what) {
        return "key " + keyName(k) + ": " + what + "\n  recent operations on the key:\n    "
                + model.history(k).replace("\n", "\n    ");
    }

    /** Copies the data directory of the killed node next to the IT logs, for inspection. */
    private static Path keepDataDir(NodeProcess node, long seed, int loop) throws IOException {
        Path target = node.logFile().getParent().resolve("CrashLoopIT-seed" + seed + "-loop" + loop + "-data");
        try (Stream<Path> paths = Files.walk(node.dataDir())) {
            for (Path source : paths.toList()) {
                Path copy = target.resolve(node.dataDir().relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(source, copy);
                }
            }
        }
        return target;
    }

    private static ByteString key(int k) {
        return ByteString.copyFrom(keyName(k), StandardCharsets.UTF_8);
    }

    private static String keyName(int k) {
        return "crash-" + k;
    }

    private static ByteString messageId(Random random) {
        return ByteString.copyFrom(ByteBuffer.allocate(16).putLong(random.nextLong()).putLong(random.nextLong())
                .flip());
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /** The nearest-rank percentile; 100 is the maximum. */
    private static long percentile(List<Long> values, int percent) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(percent / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    /** What the writers of one loop did and saw. */
    private static final class Tally {
        long acknowledgedPuts;
        long acknowledgedRemoves;
        long unknown;
        long unansweredWhileAlive;
        final List<String> failures = new ArrayList<>();

        void add(Tally other) {
            acknowledgedPuts += other.acknowledgedPuts;
            acknowledgedRemoves += other.acknowledgedRemoves;
            unknown += other.unknown;
            unansweredWhileAlive += other.unansweredWhileAlive;
            failures.addAll(other.failures);
        }
    }

    /** What the read-back after one restart found. */
    private static final class Check {
        long exact;
        long unknown;
        long unknownApplied;
        final List<String> failures = new ArrayList<>();
    }

    private static final class Totals {
        long acknowledgedPuts;
        long acknowledgedRemoves;
        long unknown;
        long unknownApplied;
        long unansweredWhileAlive;
        long exactChecks;
        final List<Long> restartMs = new ArrayList<>();

        void add(Tally tally, Check check) {
            acknowledgedPuts += tally.acknowledgedPuts;
            acknowledgedRemoves += tally.acknowledgedRemoves;
            unknown += tally.unknown;
            unansweredWhileAlive += tally.unansweredWhileAlive;
            unknownApplied += check.unknownApplied;
            exactChecks += check.exact;
        }
    }
}
