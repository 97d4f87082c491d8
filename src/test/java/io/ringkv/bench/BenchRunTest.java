package io.ringkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.client.FakeNode;
import io.ringkv.common.TestSeeds;
import io.ringkv.wire.ErrorCode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Short real runs over loopback: they check that the figures add up, never how fast anything is.
 * Where no loss is expected, the timeout is long, so that a busy machine does not fake one.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BenchRunTest {
    private final long seed = TestSeeds.seed();

    private LoadSpec spec(int port, boolean echo, Duration timeout) {
        return new LoadSpec("127.0.0.1", port, 2, 16, 1, Duration.ofMillis(200), Duration.ofMillis(800), timeout, 100,
                1_000, 0.5, seed, echo);
    }

    record Run(int exitCode, String out, String err) {}

    private static Run bench(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Bench.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void echoedRequestsCountAsReplies() throws Exception {
        try (EchoServer echo = new EchoServer("127.0.0.1", 0, 1, NettyUdp.datagramBytesFor(100))) {
            LoadRun.Result result = LoadRun.run(spec(echo.address().getPort(), true, Duration.ofSeconds(10)));
            SocketDriver.Figures f = result.figures();
            assertThat(f.replies()).as("seed %d", seed).isPositive();
            assertThat(f.codes()[ErrorCode.SUCCESS.code()]).isEqualTo(f.replies());
            assertThat(f.timeouts()).isZero();
            assertThat(f.undecodable()).isZero();
            assertThat(f.late()).isZero();
            assertThat(result.opsPerSecond()).isEqualTo(f.replies() / 0.8);
        }
    }

    @Test
    void withoutExpectEchoAnEchoedRequestIsReadAsAReplyWithTheCommandAsCode() throws Exception {
        // A KVRequest's field 1 (command) sits where a KVResponse keeps errCode: GET=2 and PUT=1 show up
        // as codes, which is why --expect-echo exists.
        try (EchoServer echo = new EchoServer("127.0.0.1", 0, 1, NettyUdp.datagramBytesFor(100))) {
            SocketDriver.Figures f = LoadRun.run(spec(echo.address().getPort(), false, Duration.ofSeconds(1))).figures();
            assertThat(f.codes()[1] + f.codes()[2]).isEqualTo(f.replies()).isPositive();
        }
    }

    @Test
    void repliesOfANodeAreCountedByCode() throws Exception {
        try (FakeNode node = FakeNode.start(FakeNode.store())) {
            SocketDriver.Figures f = LoadRun.run(spec(node.port(), false, Duration.ofSeconds(1))).figures();
            long success = f.codes()[ErrorCode.SUCCESS.code()];
            long missing = f.codes()[ErrorCode.NO_SUCH_KEY.code()];
            assertThat(success).as("seed %d", seed).isPositive();
            assertThat(success + missing).isEqualTo(f.replies());
            assertThat(f.undecodable()).isZero();
        }
    }

    @Test
    void overloadRepliesAreNotCountedAsThroughput() throws Exception {
        // Every third datagram is answered OVERLOAD (wait 1 ms), the others as a store would.
        FakeNode.Behavior store = FakeNode.store();
        try (FakeNode node = FakeNode.start(
                r -> r.index() % 3 == 0 ? FakeNode.reply(r, FakeNode.overload(1)) : store.respond(r))) {
            LoadRun.Result result = LoadRun.run(spec(node.port(), false, Duration.ofSeconds(1)));
            SocketDriver.Figures f = result.figures();
            long overload = f.codes()[ErrorCode.OVERLOAD.code()];
            assertThat(overload).as("seed %d", seed).isPositive();
            assertThat(f.answered()).isEqualTo(f.replies() - overload).isPositive();
            assertThat(result.opsPerSecond()).isEqualTo(f.answered() / 0.8);
            assertThat(Report.text(result)).contains(String.format(java.util.Locale.ROOT,
                    "(%,d replies, not counting %,d OVERLOAD)", f.replies(), overload));
        }
    }

    @Test
    void lostRequestsAreCountedAndTheirSlotsReused() throws Exception {
        // Every fourth datagram is dropped; each loss frees its slot after the timeout.
        FakeNode.Behavior lossy = r -> r.index() % 4 == 3 ? null : FakeNode.store().respond(r);
        try (FakeNode node = FakeNode.start(lossy)) {
            SocketDriver.Figures f = LoadRun.run(spec(node.port(), false, Duration.ofMillis(100))).figures();
            assertThat(f.timeouts()).as("seed %d", seed).isPositive();
            assertThat(f.replies()).isGreaterThan(f.timeouts());
        }
    }

    @Test
    void theCommandLinePrintsTextAndCsv() {
        try (FakeNode node = FakeNode.start(FakeNode.store())) {
            Run run = bench("--port", "" + node.port(), "--duration", "500ms", "--warmup", "0s", "--sockets", "1",
                    "--inflight", "4", "--seed", "7", "--timeout", "10s", "--csv-header");
            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.out()).contains("throughput", "latency µs  p50", "replies     ", "lost        0 timed out",
                    "seed 7");
            String[] lines = run.out().strip().split("\n");
            assertThat(lines[lines.length - 2]).isEqualTo(Report.CSV_HEADER);
            assertThat(lines[lines.length - 1].split(",")).hasSameSizeAs(Report.CSV_HEADER.split(","));
        }
    }

    @Test
    void nobodyAnsweringIsExitCodeThree() {
        try (FakeNode node = FakeNode.start(FakeNode.silent())) {
            Run run = bench("--port", "" + node.port(), "--duration", "200ms", "--warmup", "0s", "--timeout", "50ms");
            assertThat(run.exitCode()).isEqualTo(3);
            assertThat(run.err()).contains("no reply at all");
        }
    }

    @Test
    void usageErrorsAreExitCode64() {
        assertThat(bench("--sockets", "8", "--inflight", "4").exitCode()).isEqualTo(64);
        assertThat(bench("--duration", "soon").exitCode()).isEqualTo(64);
        assertThat(bench("--get-ratio", "2").exitCode()).isEqualTo(64);
        assertThat(bench("--frobnicate").exitCode()).isEqualTo(64);
        assertThat(bench("--help").exitCode()).isZero();
    }
}
