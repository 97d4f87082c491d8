package io.ringkv.ecs;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.ecs.FailureDetector.Silent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The failure detector on a manual clock: rounds every 300 ms, a timeout of 3 s. */
class FailureDetectorTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    private static final Duration ROUND = Duration.ofMillis(300);
    private static final List<String> MEMBERS = List.of("a", "b");

    private final FailureDetector detector = new FailureDetector(TIMEOUT, ROUND);
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");

    /** Advances the clock round by round up to {@code until} (as the ECS's timer would) and returns the last round's silent members. */
    private List<Silent> roundsUntil(Instant until) {
        List<Silent> silent = List.of();
        while (now.isBefore(until)) {
            Instant next = now.plus(ROUND);
            now = next.isAfter(until) ? until : next;
            silent = detector.silent(MEMBERS, now);
        }
        return silent;
    }

    @Test
    void aMemberIsSilentExactlyOneTimeoutAfterItsLastHeartbeat() {
        detector.watch(MEMBERS, now);
        detector.heartbeat("a", "a1", 1, null, now);
        detector.heartbeat("b", "b1", 1, null, now);
        Instant last = now.plusMillis(900);
        roundsUntil(last);
        detector.heartbeat("b", "b1", 1, null, now); // b keeps beating, a fell silent at the start

        assertThat(roundsUntil(last.minusMillis(900).plus(TIMEOUT).minusMillis(1))).isEmpty();
        List<Silent> silent = roundsUntil(last.minusMillis(900).plus(TIMEOUT));
        assertThat(silent).extracting(Silent::id).containsExactly("a");
        assertThat(silent.getFirst().lastHeard()).isEqualTo(last.minusMillis(900));
        assertThat(silent.getFirst().incarnation()).isEqualTo("a1");

        assertThat(detector.declare(List.of("a"), now)).extracting(Silent::id).containsExactly("a");
        assertThat(detector.silent(MEMBERS, now)).as("declared once, not every round").isEmpty();
        assertThat(detector.heartbeat("a", "a1", 1, null, now).declared()).as("no lease after the declaration")
                .isTrue();
    }

    @Test
    void aHeartbeatResetsTheSilence() {
        detector.watch(MEMBERS, now);
        for (int i = 0; i < 20; i++) {
            roundsUntil(now.plus(TIMEOUT).minusMillis(100));
            detector.heartbeat("a", "a1", 1, null, now);
            detector.heartbeat("b", "b1", 1, null, now);
        }
        assertThat(detector.silent(MEMBERS, now)).isEmpty();
        assertThat(detector.live(MEMBERS, now)).isEqualTo(2);
    }

    @Test
    void aNewMemberNeverHeardFromGetsOneTimeoutOfGrace() {
        detector.watch(MEMBERS, now);
        Instant watched = now;
        detector.heartbeat("a", "a1", 1, null, now);
        assertThat(roundsUntil(watched.plus(TIMEOUT).minusMillis(1))).isEmpty();
        assertThat(detector.live(MEMBERS, now)).as("b was never heard").isEqualTo(1);
        assertThat(roundsUntil(watched.plus(TIMEOUT))).extracting(Silent::id).containsExactly("a", "b");
    }

    @Test
    void aHeartbeatBetweenTheRoundAndTheDeclarationCancelsIt() {
        detector.watch(MEMBERS, now);
        detector.heartbeat("b", "b1", 1, null, now);
        List<Silent> silent = roundsUntil(now.plus(TIMEOUT));
        assertThat(silent).extracting(Silent::id).containsExactly("a", "b");
        detector.heartbeat("a", "a1", 1, null, now);
        assertThat(detector.declare(List.of("a", "b"), now)).extracting(Silent::id).containsExactly("b");
    }

    @Test
    void aNewIncarnationIsARestartUntilFenced() {
        detector.watch(MEMBERS, now);
        assertThat(detector.heartbeat("a", "a1", 4, null, now).restartPending()).as("first heard: not a restart")
                .isFalse();
        now = now.plusMillis(500);
        FailureDetector.Beat beat = detector.heartbeat("a", "a2", 4, null, now);
        assertThat(beat.restartPending()).isTrue();
        assertThat(detector.restarts()).singleElement().satisfies(r -> {
            assertThat(r.previous()).isEqualTo("a1");
            assertThat(r.incarnation()).isEqualTo("a2");
            assertThat(r.heardAt()).isEqualTo(now);
        });
        detector.fenced("a", "a2");
        assertThat(detector.restarts()).isEmpty();
        assertThat(detector.heartbeat("a", "a2", 5, null, now).restartPending()).isFalse();
    }

    @Test
    void afterAnEcsRestartThePersistedIncarnationTellsARestart() {
        assertThat(detector.heartbeat("a", "a1", 4, "a1", now).restartPending()).isFalse();
        assertThat(detector.heartbeat("b", "b2", 4, "b1", now).restartPending()).isTrue();
    }

    @Test
    void aStallOfTheEcsItselfDeclaresNobody() {
        detector.watch(MEMBERS, now);
        detector.heartbeat("a", "a1", 1, null, now);
        detector.heartbeat("b", "b1", 1, null, now);
        roundsUntil(now.plusSeconds(1));
        now = now.plusSeconds(10); // a 10 s pause of the ECS: no round, no heartbeat handled
        assertThat(detector.silent(MEMBERS, now)).isEmpty();
        // a's heartbeats queued meanwhile arrive; b's do not. The stall (less one round) does not
        // count as b's silence: 1.3 s of it before, so b is silent 1.7 s after the ECS resumed.
        detector.heartbeat("a", "a1", 1, null, now);
        Instant resumed = now;
        assertThat(roundsUntil(resumed.plusMillis(1699))).isEmpty();
        assertThat(roundsUntil(resumed.plusMillis(1700))).extracting(Silent::id).containsExactly("b");
    }

    @Test
    void aDeclaredNodeHeardAgainIsAliveAndWatchedAgainOnceReadmitted() {
        detector.watch(MEMBERS, now);
        roundsUntil(now.plus(TIMEOUT));
        detector.declare(List.of("a"), now);
        assertThat(detector.alive("a", now)).isFalse();
        now = now.plusSeconds(5);
        detector.heartbeat("a", "a2", 2, null, now);
        assertThat(detector.alive("a", now)).isTrue();
        assertThat(detector.restarts()).as("a declared node rejoins by an add, not a fence").isEmpty();

        detector.watch(MEMBERS, now); // in the ring again
        assertThat(detector.heartbeat("a", "a2", 3, null, now).declared()).isFalse();
        detector.retain(Set.of("b"));
        assertThat(detector.incarnation("a")).isEmpty();
    }
}
