package io.ringkv.membership;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three runners on loopback ephemeral ports with the test profile (200 ms period) and a cluster
 * key: two join through the first, a stopped one is declared dead by the others, and a member with
 * the wrong key is dropped and counted, never admitted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SwimRunnerTest {
    private static final SwimConfig CONFIG = SwimConfig.forTests();
    private static final byte[] KEY = "the cluster key, 16+ bytes".getBytes(StandardCharsets.UTF_8);
    private static final long WAIT_MS = 15_000;
    private final List<SwimRunner> runners = new ArrayList<>();

    /** A runner and the events it reported, for waiting on them. */
    private record Member(SwimRunner runner, BlockingQueue<MembershipEvent> events) {
        void await(Predicate<MembershipEvent> wanted, String what) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
            while (true) {
                MembershipEvent event = events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (event == null) {
                    throw new AssertionError(runner.self().id() + ": no " + what + " within " + WAIT_MS + " ms");
                }
                if (wanted.test(event)) {
                    return;
                }
            }
        }
    }

    private Member start(String id, byte[] key, long seed) throws Exception {
        BlockingQueue<MembershipEvent> events = new LinkedBlockingQueue<>();
        SwimRunner runner = SwimRunner.start(CONFIG, id, new InetSocketAddress("127.0.0.1", 0), key, events::add,
                new SplittableRandom(seed));
        runners.add(runner);
        return new Member(runner, events);
    }

    @AfterEach
    void stopAll() {
        runners.forEach(SwimRunner::close);
    }

    @Test
    void membersJoinACrashIsDetectedAndAWrongKeyIsDropped() throws Exception {
        Member a = start("a", KEY, 1);
        Member b = start("b", KEY, 2);
        Member c = start("c", KEY, 3);
        b.runner().join(List.of(a.runner().self().address()));
        c.runner().join(List.of(a.runner().self().address()));
        for (Member m : List.of(a, b, c)) {
            awaitCondition(() -> m.runner().liveMembers().size() == 2, m.runner().self().id() + " sees 2 others");
        }

        long stoppedAtNanos = System.nanoTime();
        c.runner().close(); // a crash: nothing announced
        Endpoint cSelf = c.runner().self();
        a.await(e -> e instanceof MembershipEvent.Dead && e.member().equals(cSelf), "c dead at a");
        b.await(e -> e instanceof MembershipEvent.Dead && e.member().equals(cSelf), "c dead at b");
        long detectionMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAtNanos);
        System.out.printf("SWIM-RUNNER n=3 period=%dms crash-to-dead-everywhere=%dms suspicionMin=%dms%n",
                CONFIG.periodMs(), detectionMs, CONFIG.suspicionMinMs(3));
        assertThat(a.runner().liveMembers()).containsExactly(b.runner().self());

        Member intruder = start("intruder", "not the cluster key at all".getBytes(StandardCharsets.UTF_8), 4);
        intruder.runner().join(List.of(a.runner().self().address()));
        awaitCondition(() -> a.runner().stats().unauthenticated() >= 2, "a drops the intruder's join twice");
        assertThat(a.runner().liveMembers()).extracting(Endpoint::id).containsExactly("b");
        assertThat(intruder.runner().liveMembers()).isEmpty();
        assertThat(a.runner().stats().malformed()).isZero();
    }

    @Test
    void epochsRideOnEveryDatagramAndAFilterCutsAMemberOff() throws Exception {
        Member a = start("a", KEY, 5);
        Member b = start("b", KEY, 6);
        Member c = start("c", KEY, 7);
        ConcurrentHashMap<Integer, Long> heardByA = new ConcurrentHashMap<>();
        a.runner().stampEpochs(new SwimRunner.EpochStamp() {
            @Override
            public long epoch() {
                return 3;
            }

            @Override
            public void heard(InetSocketAddress from, long epoch) {
                heardByA.merge(from.getPort(), epoch, Math::max);
            }
        });
        b.runner().stampEpochs(stamping(9));
        b.runner().join(List.of(a.runner().self().address()));
        c.runner().join(List.of(a.runner().self().address()));
        for (Member m : List.of(a, b, c)) {
            awaitCondition(() -> m.runner().liveMembers().size() == 2, m.runner().self().id() + " sees 2 others");
        }
        int bPort = b.runner().self().address().port();
        awaitCondition(() -> heardByA.getOrDefault(bPort, -1L) == 9, "a hears b's epoch");
        // c stamps nothing: a hears c's datagrams without an epoch, and reports none for it.
        assertThat(heardByA).doesNotContainKey(c.runner().self().address().port());

        // Cut c off at a and b, both ways, as a partition would: both declare it dead though it runs.
        int cPort = c.runner().self().address().port();
        SwimRunner.DatagramFilter cutC = (inbound, remote) -> remote.getPort() != cPort;
        a.runner().filter(cutC);
        b.runner().filter(cutC);
        Endpoint cSelf = c.runner().self();
        a.await(e -> e instanceof MembershipEvent.Dead && e.member().equals(cSelf), "c dead at a");
        b.await(e -> e instanceof MembershipEvent.Dead && e.member().equals(cSelf), "c dead at b");
        assertThat(a.runner().stats().filtered()).isPositive();
    }

    private static SwimRunner.EpochStamp stamping(long epoch) {
        return new SwimRunner.EpochStamp() {
            @Override
            public long epoch() {
                return epoch;
            }

            @Override
            public void heard(InetSocketAddress from, long heard) {}
        };
    }

    /** Polls {@code condition} every 10 ms for at most {@link #WAIT_MS}: real sockets take real time. */
    private static void awaitCondition(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT_MS + " ms: " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }
}
