package io.ringkv.replication;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ringkv.cluster.ClusterState;
import io.ringkv.cluster.Peers;
import io.ringkv.common.RingPosition;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.TokenRange;
import io.ringkv.storage.Versioned;
import io.ringkv.storage.memory.MemoryEngine;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A member that rejoins with its data dropped pulls every range it replicates: those it leads
 * from the member that led them before, its backup ranges from their primaries; and it answers
 * the keys it leads only once they are here. Three in-process
 * sides (memory engines, real replicators and fences) wired by a {@link Peers} that calls the
 * receiving side's handlers; the real-process proof is {@code StaticClusterIT}.
 */
@Timeout(30)
class CatchUpTest {
    private static final Member A = new Member("a", "127.0.0.1", 1, 0);
    private static final Member B = new Member("b", "127.0.0.1", 2, 0);
    private static final Member C = new Member("c", "127.0.0.1", 3, 0);
    /** The ring with the rejoined member "a" back in it. */
    private static final Ring BACK = Ring.of(9, 16, 3, List.of(A, B, C));

    private record Side(ClusterState cluster, MemoryEngine storage, Replicator replicator, CatchUp catchUp) {}

    private final Map<String, Side> sides = new HashMap<>();
    private final List<String> pulls = new ArrayList<>();
    private final Peers peers = (peer, request) -> {
        Side to = sides.get(peer.id());
        Command command = Command.of(request.getCommand());
        if (command == Command.RANGE_PULL) {
            synchronized (pulls) {
                pulls.add(peer.id());
            }
            return to.catchUp().serve(request).toCompletableFuture();
        }
        KVResponse refusal = to.replicator().fence(request);
        if (refusal != null) {
            return CompletableFuture.completedFuture(refusal);
        }
        CompletableFuture<Void> applied = command == Command.STORE_PUT
                ? to.storage().put(request.getKey().toByteArray(), request.getValue().toByteArray(),
                        request.getVersion()).toCompletableFuture()
                : to.storage().remove(request.getKey().toByteArray()).thenAccept(existed -> {}).toCompletableFuture();
        return applied.thenApply(ignored -> KVResponse.newBuilder().setErrCode(ErrorCode.SUCCESS.code()).build());
    };

    private Side side(String id, ClusterState cluster, boolean pulls) {
        MemoryEngine storage = new MemoryEngine(16 << 20);
        Replicator replicator = new Replicator(id, cluster, storage, peers, 2_000, Runnable::run);
        CatchUp catchUp = new CatchUp(id, cluster, storage, replicator, peers, pulls);
        cluster.onAdopted(catchUp::onRingAdopted);
        Side side = new Side(cluster, storage, replicator, catchUp);
        sides.put(id, side);
        return side;
    }

    @AfterEach
    void close() {
        sides.values().forEach(s -> {
            s.catchUp().close();
            s.storage().close();
        });
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aRejoinedMemberPullsWhatItLeadsAndServesItOnlyOnceArrived() throws Exception {
        Side a = side("a", ClusterState.fromMembership("a"), true);
        Side b = side("b", new ClusterState("b", true, BACK), false);
        Side c = side("c", new ClusterState("c", true, BACK), false);
        // B and C kept every key while A was away (three copies, two members).
        SplittableRandom random = new SplittableRandom(7);
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            String key = "k" + i;
            String value = "v" + random.nextInt();
            values.put(key, value);
            b.storage().put(utf8(key), utf8(value), 1).toCompletableFuture().join();
            c.storage().put(utf8(key), utf8(value), 1).toCompletableFuture().join();
        }

        a.catchUp().hold();
        assertThat(a.catchUp().pending(RingPosition.of(utf8("k1")))).as("held: nothing is served").isTrue();
        a.catchUp().release();
        assertThat(a.catchUp().pending(RingPosition.of(utf8("k1")))).isFalse();
        a.catchUp().expectStale();
        assertThat(a.catchUp().pending(RingPosition.of(utf8("k1")))).as("stale: nothing is served").isTrue();
        a.cluster().adopt(BACK);

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (a.catchUp().rangesPending() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(a.catchUp().rangesPending()).isZero();
        assertThat(pulls).as("pulled from the members that led the ranges").isNotEmpty().doesNotContain("a");
        int led = 0;
        for (var entry : values.entrySet()) {
            byte[] key = utf8(entry.getKey());
            boolean leads = BACK.replicasOf(RingPosition.of(key)).getFirst().id().equals("a");
            Versioned here = a.storage().get(key);
            // Three copies on three members: A replicates every key, and pulls its backups too.
            assertThat(here).as("%s (A leads it: %s)", entry.getKey(), leads).isNotNull();
            assertThat(new String(here.value(), StandardCharsets.UTF_8)).isEqualTo(entry.getValue());
            assertThat(a.catchUp().pending(RingPosition.of(key))).isFalse();
            if (leads) {
                led++;
            }
        }
        assertThat(led).isGreaterThan(30);
        assertThat(b.catchUp().keysServed() + c.catchUp().keysServed()).isEqualTo(values.size());
    }

    @Test
    void aPullIsServedOnlyAtTheSameRingBetweenReplicasOfTheRange() {
        Side b = side("b", new ClusterState("b", true, BACK), false);
        side("a", new ClusterState("a", true, BACK), false);
        TokenRange range = null;
        for (TokenRange r : BACK.rangesOf("a")) {
            range = r;
        }
        KVRequest.Builder pull = KVRequest.newBuilder().setCommand(Command.RANGE_PULL.code())
                .setKey(CatchUp.encode(range)).setValue(ByteString.copyFromUtf8("a")).setRingEpoch(BACK.epoch());

        KVResponse older = b.catchUp().serve(pull.clone().setRingEpoch(BACK.epoch() - 1).build())
                .toCompletableFuture().join();
        assertThat(older.getErrCode()).isEqualTo(ErrorCode.NOT_RESPONSIBLE.code());
        assertThat(older.getRing().getEpoch()).as("the refusal carries the ring").isEqualTo(BACK.epoch());

        KVResponse stranger = b.catchUp().serve(pull.clone().setValue(ByteString.copyFromUtf8("z")).build())
                .toCompletableFuture().join();
        assertThat(stranger.getErrCode()).as("a puller that is no replica").isEqualTo(ErrorCode.NOT_RESPONSIBLE.code());
        KVResponse itself = b.catchUp().serve(pull.clone().setValue(ByteString.copyFromUtf8("b")).build())
                .toCompletableFuture().join();
        assertThat(itself.getErrCode()).isEqualTo(ErrorCode.NOT_RESPONSIBLE.code());

        KVResponse malformed = b.catchUp().serve(pull.clone().setKey(ByteString.copyFromUtf8("short")).build())
                .toCompletableFuture().join();
        assertThat(malformed.getErrCode()).isEqualTo(ErrorCode.INVALID_KEY.code());

        KVResponse served = b.catchUp().serve(pull.build()).toCompletableFuture().join();
        assertThat(served.getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
    }
}
