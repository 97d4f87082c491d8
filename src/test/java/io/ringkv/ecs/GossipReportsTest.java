package io.ringkv.ecs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GossipReportsTest {
    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    private static final Duration FRESH = Duration.ofSeconds(3);
    private final GossipReports reports = new GossipReports(FRESH);

    @Test
    void aMemberTheRestOfTheRingFindsDeadIsCutOff() {
        List<String> ring = List.of("a", "b", "c", "d");
        reports.report("a", List.of("d"), T0);
        reports.report("b", List.of("d"), T0);
        reports.report("c", List.of("d"), T0);
        reports.report("d", List.of("a", "b", "c"), T0); // d, cut off, finds everyone dead

        List<String> againstD = reports.condemners("d", ring, id -> true, T0.plusSeconds(1));
        assertThat(againstD).containsExactly("a", "b", "c");
        assertThat(GossipReports.cutOff(againstD.size(), ring.size())).isTrue();
        for (String other : List.of("a", "b", "c")) {
            List<String> against = reports.condemners(other, ring, id -> true, T0.plusSeconds(1));
            assertThat(against).containsExactly("d");
            assertThat(GossipReports.cutOff(against.size(), ring.size())).as(other).isFalse();
        }
    }

    @Test
    void anEvenSplitCutsNobodyOff() {
        List<String> ring = List.of("a", "b", "c", "d");
        reports.report("a", List.of("c", "d"), T0);
        reports.report("b", List.of("c", "d"), T0);
        reports.report("c", List.of("a", "b"), T0);
        reports.report("d", List.of("a", "b"), T0);
        for (String id : ring) {
            assertThat(GossipReports.cutOff(reports.condemners(id, ring, m -> true, T0).size(), ring.size()))
                    .as(id).isFalse();
        }
    }

    @Test
    void staleReportsReportsOfSilentMembersAndSelfReportsDoNotCount() {
        List<String> ring = List.of("a", "b", "c");
        reports.report("a", List.of("c"), T0);
        reports.report("b", List.of("c"), T0.plusSeconds(2));
        reports.report("c", List.of("c"), T0.plusSeconds(2)); // nonsense, and about itself
        assertThat(reports.condemners("c", ring, m -> true, T0.plusSeconds(2))).containsExactly("a", "b");
        // a's report is as old as the timeout now: it no longer counts.
        assertThat(reports.condemners("c", ring, m -> true, T0.plus(FRESH))).containsExactly("b");
        // b is silent itself: its word does not count either.
        assertThat(reports.condemners("c", ring, m -> !m.equals("b"), T0.plusSeconds(2))).containsExactly("a");
        // A newer report replaces the older one.
        reports.report("a", List.of(), T0.plusSeconds(2));
        assertThat(reports.condemners("c", ring, m -> true, T0.plusSeconds(2))).containsExactly("b");
        reports.retain(Set.of("a"));
        assertThat(reports.condemners("c", ring, m -> true, T0.plusSeconds(2))).isEmpty();
    }

    @Test
    void aVerdictCutsOffOnlyOnceItHasLastedTheTimeoutWithoutABreak() {
        List<String> ring = List.of("a", "b", "c");
        reports.report("a", List.of("c"), T0);
        reports.report("b", List.of("c"), T0);
        GossipReports.Verdict first = reports.judge("c", ring, m -> true, T0);
        assertThat(first.deadBy()).containsExactly("a", "b");
        assertThat(first.cutOff()).isFalse();
        assertThat(reports.judge("c", ring, m -> true, T0.plus(FRESH).minusMillis(1)).cutOff()).isFalse();

        // A break (c refuted, b's next report says so) starts the clock again.
        reports.report("b", List.of(), T0.plusSeconds(2));
        assertThat(reports.judge("c", ring, m -> true, T0.plusSeconds(2))).isEqualTo(GossipReports.Verdict.ALIVE);
        reports.report("a", List.of("c"), T0.plusSeconds(3));
        reports.report("b", List.of("c"), T0.plusSeconds(3));
        assertThat(reports.judge("c", ring, m -> true, T0.plusSeconds(3)).cutOff()).isFalse();
        reports.report("a", List.of("c"), T0.plusSeconds(6));
        reports.report("b", List.of("c"), T0.plusSeconds(6));
        GossipReports.Verdict last = reports.judge("c", ring, m -> true, T0.plusSeconds(6));
        assertThat(last.cutOff()).isTrue();
        assertThat(last.forMs()).isEqualTo(3_000);

        // Its heartbeat at T0+6s went uncounted: declared with a last counted one before that, it was cut off.
        assertThat(reports.wasCutOff("c", T0.plusSeconds(3))).isTrue();
        assertThat(reports.wasCutOff("c", T0.plusSeconds(6))).isFalse();
        assertThat(reports.wasCutOff("a", T0)).isFalse();
    }

    @Test
    void oneMemberAloneCondemnsNobodyOnceTheRingHasThree() {
        assertThat(GossipReports.cutOff(1, 2)).isFalse();
        assertThat(GossipReports.cutOff(1, 3)).isFalse();
        assertThat(GossipReports.cutOff(2, 3)).isTrue();
        assertThat(GossipReports.cutOff(2, 4)).isFalse();
        assertThat(GossipReports.cutOff(3, 4)).isTrue();
        assertThat(GossipReports.cutOff(3, 5)).isTrue();
    }
}
