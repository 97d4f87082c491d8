package io.ringkv.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringkv.common.RingPosition;
import io.ringkv.common.TestSeeds;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class RingTest {
    private static final int KEYS = 100_000;

    static List<Member> members(int n) {
        return IntStream.range(0, n).mapToObj(i -> new Member("node-" + (43100 + i), "127.0.0.1", 43100 + i, 43200 + i))
                .toList();
    }

    static long[] positions(long seed, int count) {
        Random random = new Random(seed);
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            out[i] = RingPosition.of(("key-" + random.nextLong()).getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    /** The owner by definition: the member of the first token at or after the position, else of the lowest. */
    static String bruteOwner(Ring ring, long position) {
        String best = null;
        long bestToken = 0;
        String lowest = null;
        long lowestToken = 0;
        for (Member m : ring.members()) {
            for (long t : Ring.tokensOf(m.id(), ring.vnodes())) {
                if (Long.compareUnsigned(t, position) >= 0
                        && (best == null || Long.compareUnsigned(t, bestToken) < 0
                        || t == bestToken && m.id().compareTo(best) < 0)) {
                    best = m.id();
                    bestToken = t;
                }
                if (lowest == null || Long.compareUnsigned(t, lowestToken) < 0
                        || t == lowestToken && m.id().compareTo(lowest) < 0) {
                    lowest = m.id();
                    lowestToken = t;
                }
            }
        }
        return best != null ? best : lowest;
    }

    @Test
    void ownerIsTheFirstTokenClockwise() {
        long seed = TestSeeds.seed();
        Ring ring = Ring.of(1, 8, members(5));
        for (long p : positions(seed, 2_000)) {
            assertThat(ring.ownerOf(p).id()).as("position %s, seed %d", Long.toUnsignedString(p), seed)
                    .isEqualTo(bruteOwner(ring, p));
        }
        long top = ring.members().stream().flatMapToLong(m -> java.util.Arrays.stream(Ring.tokensOf(m.id(), 8)))
                .reduce(0, (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
        assertThat(ring.ownerOf(top).id()).isEqualTo(bruteOwner(ring, top));
        assertThat(ring.ownerOf(top + 1).id()).as("past the highest token wraps to the lowest")
                .isEqualTo(bruteOwner(ring, top + 1));
        assertThat(ring.ownerOf(-1L).id()).isEqualTo(bruteOwner(ring, -1L));
        assertThat(ring.ownerOf(0).id()).isEqualTo(bruteOwner(ring, 0));
    }

    @Test
    void snapshotsDependOnMembersNotOnTheirOrder() {
        List<Member> forward = members(6);
        List<Member> backward = new ArrayList<>(forward).reversed();
        Ring a = Ring.of(3, 32, forward);
        Ring b = Ring.of(3, 32, backward);
        assertThat(a).isEqualTo(b);
        for (long p : positions(1, 1_000)) {
            assertThat(a.ownerOf(p)).isEqualTo(b.ownerOf(p));
        }
    }

    @Test
    void preferenceListsAreDistinctAndStartWithTheOwner() {
        Ring ring = Ring.of(1, 16, members(5));
        for (long p : positions(TestSeeds.seed(), 1_000)) {
            List<Member> list = ring.preferenceList(p, 3);
            assertThat(list).hasSize(3).doesNotHaveDuplicates();
            assertThat(list.getFirst()).isEqualTo(ring.ownerOf(p));
        }
        assertThat(ring.preferenceList(42, 9)).as("capped at the member count").hasSize(5);
        assertThat(Ring.of(1, 16, members(1)).preferenceList(42, 3)).hasSize(1);
    }

    @Test
    void rangesOfAllMembersTileTheRing() {
        Ring ring = Ring.of(1, 16, members(4));
        double total = 0;
        Map<String, List<TokenRange>> ranges = new HashMap<>();
        for (Member m : ring.members()) {
            ranges.put(m.id(), ring.rangesOf(m.id()));
            total += ring.rangesOf(m.id()).stream().mapToDouble(TokenRange::share).sum();
        }
        assertThat(total).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
        for (long p : positions(TestSeeds.seed(), 5_000)) {
            String owner = ring.ownerOf(p).id();
            ranges.forEach((id, list) -> assertThat(list.stream().anyMatch(r -> r.contains(p)))
                    .as("position %s in a range of %s", Long.toUnsignedString(p), id)
                    .isEqualTo(id.equals(owner)));
        }
        assertThat(Ring.of(1, 4, members(1)).rangesOf("node-43100")).containsExactly(new TokenRange(0, 0));
        assertThat(ring.rangesOf("nobody")).isEmpty();
    }

    @ParameterizedTest(name = "{0} nodes + 1, {1} vnodes")
    @CsvSource({"1, 64", "3, 64", "9, 128", "39, 256"})
    void addingANodeMovesAboutItsShareAndOnlyToIt(int n, int vnodes) {
        Ring before = Ring.of(1, vnodes, members(n));
        Member added = new Member("node-new", "127.0.0.1", 44000, 44001);
        Ring after = before.plus(added);
        assertThat(after.epoch()).isEqualTo(2);
        int moved = 0;
        long[] keys = positions(TestSeeds.seed(), KEYS);
        for (long p : keys) {
            String from = before.ownerOf(p).id();
            String to = after.ownerOf(p).id();
            if (!from.equals(to)) {
                moved++;
                assertThat(to).as("a moved key goes to the new node").isEqualTo(added.id());
            }
        }
        double share = (double) moved / KEYS;
        double expected = 1.0 / (n + 1);
        // With v tokens per node a node's share deviates by about 1/sqrt(v) of itself; allow 3 sigma.
        assertThat(share).as("share moved to the new node of %d", n + 1)
                .isBetween(expected * (1 - 3 / Math.sqrt(vnodes)), expected * (1 + 3 / Math.sqrt(vnodes)));
    }

    @Test
    void transfersListExactlyThePositionsWhoseOwnerChanges() {
        Ring before = Ring.of(1, 32, members(4));
        Ring grown = before.plus(new Member("node-x", "127.0.0.1", 44000, 44001));
        Ring shrunk = before.minus("node-43101");
        for (Ring after : List.of(grown, shrunk)) {
            List<Transfer> transfers = Ring.transfers(before, after);
            assertThat(transfers).isNotEmpty();
            for (long p : positions(TestSeeds.seed(), 20_000)) {
                String from = before.ownerOf(p).id();
                String to = after.ownerOf(p).id();
                List<Transfer> hits = transfers.stream().filter(t -> t.range().contains(p)).toList();
                if (from.equals(to)) {
                    assertThat(hits).as("position %s stays with %s", Long.toUnsignedString(p), from).isEmpty();
                } else {
                    assertThat(hits).singleElement().isEqualTo(hits.getFirst());
                    assertThat(hits.getFirst().from()).isEqualTo(from);
                    assertThat(hits.getFirst().to()).isEqualTo(to);
                }
            }
        }
        assertThat(Ring.transfers(before, before.withEpoch(9))).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"3", "4"})
    void withReplicasTransfersGoFromTheOldPrimaryToEveryNewReplica(int rf) {
        Ring before = Ring.of(1, 32, rf, members(5));
        Ring grown = before.plus(new Member("node-x", "127.0.0.1", 44000, 44001));
        Ring shrunk = before.minus("node-43101");
        for (Ring after : List.of(grown, shrunk)) {
            assertThat(after.replicationFactor()).isEqualTo(rf);
            List<Transfer> transfers = Ring.transfers(before, after);
            for (long p : positions(TestSeeds.seed(), 20_000)) {
                List<String> was = before.replicasOf(p).stream().map(Member::id).toList();
                List<String> gained = after.replicasOf(p).stream().map(Member::id).filter(id -> !was.contains(id))
                        .sorted().toList();
                List<Transfer> hits = transfers.stream().filter(t -> t.range().contains(p)).toList();
                assertThat(hits.stream().map(Transfer::to).sorted().toList())
                        .as("new replicas of %s", Long.toUnsignedString(p)).isEqualTo(gained);
                assertThat(hits).allMatch(t -> t.from().equals(was.getFirst()));
            }
        }
    }

    @Test
    void rangesWhereSelectsExactlyThePositionsWhoseReplicaSetsPassTheTest() {
        Ring before = Ring.of(1, 32, 3, members(5));
        Ring after = before.minus("node-43102");
        String self = "node-43100";
        List<TokenRange> gained = Ring.rangesWhere(before, after,
                (was, now) -> now.getFirst().id().equals(self) && !Ring.sameReplicas(was, now));
        List<TokenRange> lost = Ring.rangesWhere(after, before,
                (was, now) -> Ring.names(was, self) && !Ring.names(now, self));
        List<TokenRange> primary = Ring.rangesWhere(null, after, (was, now) -> now.getFirst().id().equals(self));
        assertThat(gained).isNotEmpty();
        assertThat(primary).isNotEmpty();
        for (long p : positions(TestSeeds.seed(), 20_000)) {
            List<Member> was = before.replicasOf(p);
            List<Member> now = after.replicasOf(p);
            boolean expectGained = now.getFirst().id().equals(self) && !Ring.sameReplicas(was, now);
            assertThat(gained.stream().anyMatch(r -> r.contains(p))).as("gained %s", Long.toUnsignedString(p))
                    .isEqualTo(expectGained);
            assertThat(lost.stream().anyMatch(r -> r.contains(p)))
                    .isEqualTo(Ring.names(now, self) && !Ring.names(was, self));
            assertThat(primary.stream().anyMatch(r -> r.contains(p))).isEqualTo(now.getFirst().id().equals(self));
        }
        assertThat(Ring.rangesWhere(before, Ring.of(2, 32, List.of()), (was, now) -> true)).isEmpty();
        assertThat(Ring.rangesWhere(null, Ring.of(2, 32, members(1)), (was, now) -> true))
                .as("the whole ring: equal ends").singleElement()
                .matches(r -> r.startExclusive() == r.endInclusive());
    }

    @Test
    void theReplicationFactorTravelsAndIsBounded() {
        Ring ring = Ring.of(4, 16, 4, members(6));
        assertThat(RingMessages.fromInfo(RingMessages.toInfo(ring))).isEqualTo(ring);
        assertThat(RingView.of(ring).toRing()).isEqualTo(ring);
        assertThat(new RingView(4, 16, null, members(6)).toRing().replicationFactor())
                .as("a ring saved before replication keeps one copy").isEqualTo(1);
        assertThat(ring.replicasOf(123)).hasSize(4).doesNotHaveDuplicates();
        assertThat(Ring.of(1, 16, 3, members(2)).replicasOf(123)).as("fewer members than copies").hasSize(2);
        assertThatThrownBy(() -> Ring.of(1, 8, 0, members(1))).hasMessageContaining("replication factor");
        assertThatThrownBy(() -> Ring.of(1, 8, 8, members(1))).hasMessageContaining("replication factor");
    }

    @Test
    void badArgumentsAreRefusedWithReasons() {
        assertThatThrownBy(() -> Ring.of(1, 0, members(1))).hasMessageContaining("vnodes");
        assertThatThrownBy(() -> Ring.of(1, 8, List.of(members(1).getFirst(), members(1).getFirst())))
                .hasMessageContaining("duplicate");
        assertThatThrownBy(() -> Ring.of(1, 8, List.of()).ownerOf(1)).hasMessageContaining("no members");
        assertThatThrownBy(() -> new Member(" ", "h", 1, 2)).hasMessageContaining("id");
        assertThatThrownBy(() -> new Member("a", "h", 0, 2)).hasMessageContaining("ports");
    }

    /**
     * Load balance, the figure the issue asks for: max/mean keys per node. Printed for the note;
     * asserted loosely (the expected spread shrinks with more tokens).
     */
    @ParameterizedTest(name = "{0} nodes, {1} vnodes")
    @CsvSource({"3, 16", "3, 64", "3, 256", "10, 16", "10, 64", "10, 256", "40, 16", "40, 64", "40, 256"})
    void loadBalance(int n, int vnodes) {
        Ring ring = Ring.of(1, vnodes, members(n));
        Map<String, Integer> counts = new HashMap<>();
        long[] keys = positions(7, KEYS);
        for (long p : keys) {
            counts.merge(ring.ownerOf(p).id(), 1, Integer::sum);
        }
        double mean = (double) KEYS / n;
        int max = counts.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        int min = counts.values().stream().mapToInt(Integer::intValue).min().orElseThrow();
        System.out.printf("ring balance: %d nodes, %d vnodes: max/mean %.3f, min/mean %.3f%n", n, vnodes,
                max / mean, min / mean);
        assertThat(counts).hasSize(n);
        assertThat(max / mean).isLessThan(1 + 6 / Math.sqrt(vnodes));
    }
}
