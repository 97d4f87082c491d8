package io.ringkv.replication;

import static io.ringkv.ring.ThreeMembers.A;
import static io.ringkv.ring.ThreeMembers.B;
import static io.ringkv.ring.ThreeMembers.C;
import static io.ringkv.ring.ThreeMembers.RING;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ringkv.cluster.ClusterState;
import io.ringkv.cluster.Peers;
import io.ringkv.common.RingPosition;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.RingMessages;
import io.ringkv.storage.memory.MemoryEngine;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The primary's rules and the backup's fence, against memory engines and peers that answer as the
 * test decides. The real-process proof is in the cluster ITs; this pins down each rule.
 */
@Timeout(30)
class ReplicatorTest {

    private final MemoryEngine local = new MemoryEngine(16 << 20);
    private final ClusterState cluster = new ClusterState("a", true, RING);
    /** What each peer answers; absent = a reply that never comes (the timeout decides). */
    private final Map<String, KVResponse> answers = new ConcurrentHashMap<>();
    private final List<String> sent = new CopyOnWriteArrayList<>();
    private final Peers peers = (peer, request) -> {
        sent.add(peer.id() + ":" + Command.of(request.getCommand()) + ":" + request.getRingEpoch()
                + (request.hasRing() ? "+ring" : ""));
        KVResponse answer = answers.get(peer.id());
        return answer == null ? new CompletableFuture<>() : CompletableFuture.completedFuture(answer);
    };
    private final Replicator replicator = new Replicator("a", cluster, local, peers, 200, Runnable::run);

    @AfterEach
    void close() {
        local.close();
    }

    private static KVResponse ok() {
        return KVResponse.newBuilder().setErrCode(ErrorCode.SUCCESS.code()).build();
    }

    private static KVRequest put(String key, String value) {
        return KVRequest.newBuilder().setCommand(Command.PUT.code()).setKey(utf8(key)).setValue(utf8(value))
                .setVersion(7).build();
    }

    private static ByteString utf8(String s) {
        return ByteString.copyFrom(s.getBytes(StandardCharsets.UTF_8));
    }

    private CompletionStage<KVResponse> applyLocally(KVRequest request) {
        return local.put(request.getKey().toByteArray(), request.getValue().toByteArray(), request.getVersion())
                .thenApply(ignored -> ok());
    }

    private KVResponse write(KVRequest request) throws Exception {
        return replicator.write(request, RING, RING.replicasOf(RingPosition.of(request.getKey().toByteArray())),
                () -> applyLocally(request)).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    private KVResponse read(String key) throws Exception {
        KVRequest get = KVRequest.newBuilder().setCommand(Command.GET.code()).setKey(utf8(key)).build();
        return replicator.read(get, RING, RING.replicasOf(RingPosition.of(get.getKey().toByteArray())),
                () -> CompletableFuture.completedFuture(ok())).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void aWriteIsAcknowledgedOnlyWhenEveryBackupHasIt() throws Exception {
        answers.put("b", ok());
        answers.put("c", ok());
        assertThat(write(put("k", "v")).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        assertThat(sent).containsExactlyInAnyOrder("b:STORE_PUT:5", "c:STORE_PUT:5");

        answers.remove("c");
        assertThat(write(put("k", "w"))).as("a backup that never answers: unknown outcome, no reply").isNull();
        assertThat(replicator.suspectKeys()).isEqualTo(1);
        assertThat(replicator.writesUnknown()).isEqualTo(1);
    }

    @Test
    void aSuspectKeyIsPushedToEveryBackupBeforeItIsRead() throws Exception {
        answers.put("b", ok());
        write(put("k", "v")); // c never answers: k is suspect
        sent.clear();
        assertThat(read("k")).as("c still silent: the read cannot be trusted").isNull();
        assertThat(sent).containsExactlyInAnyOrder("b:STORE_PUT:5", "c:STORE_PUT:5");

        answers.put("c", ok());
        sent.clear();
        assertThat(read("k").getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        assertThat(sent).as("pushed once more, then trusted").hasSize(2);
        assertThat(replicator.suspectKeys()).isZero();
        sent.clear();
        read("k");
        assertThat(sent).as("a key in step is read without a push").isEmpty();
    }

    @Test
    void theRetryQueuePushesSuspectKeysOnceTheBackupAnswersAgainAndForgetsKeysItNoLongerLeads() throws Exception {
        String led = keyWhosePrimaryIs("a");
        String other = keyWhosePrimaryIs("b");
        answers.put("b", ok());
        write(put(led, "v")); // c silent: suspect
        write(put(other, "v"));
        assertThat(replicator.suspectKeys()).isEqualTo(2);

        sent.clear();
        assertThat(replicator.retrySuspects().toCompletableFuture().get(5, TimeUnit.SECONDS))
                .as("c still silent").isZero();
        assertThat(sent).as("only the key this node leads is pushed").containsExactlyInAnyOrder(
                "b:STORE_PUT:5", "c:STORE_PUT:5");
        assertThat(replicator.suspectKeys()).as("the other key is its primary's to sync").isEqualTo(1);

        answers.put("c", ok());
        assertThat(replicator.retrySuspects().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(replicator.suspectKeys()).isZero();
        sent.clear();
        read(led);
        assertThat(sent).as("in step again: read without a push").isEmpty();
        assertThat(replicator.retrySuspects().toCompletableFuture().get(5, TimeUnit.SECONDS)).isZero();
    }

    private static String keyWhosePrimaryIs(String id) {
        for (int i = 0; ; i++) {
            String key = "key-" + i;
            if (RING.replicasOf(RingPosition.of(key.getBytes(StandardCharsets.UTF_8))).getFirst().id().equals(id)) {
                return key;
            }
        }
    }

    @Test
    void aBackupOnAnOlderRingIsSentTheRingAndANewerRingIsAdopted() throws Exception {
        Ring older = RING.withEpoch(4);
        answers.put("b", KVResponse.newBuilder().setErrCode(ErrorCode.NOT_RESPONSIBLE.code())
                .setRing(RingMessages.toInfo(older)).build());
        answers.put("c", ok());
        assertThat(write(put("k", "v"))).as("b refuses again after the retry: unknown").isNull();
        assertThat(sent).contains("b:STORE_PUT:5", "b:STORE_PUT:5+ring");

        Ring newer = RING.withEpoch(9);
        answers.put("b", KVResponse.newBuilder().setErrCode(ErrorCode.NOT_RESPONSIBLE.code())
                .setRing(RingMessages.toInfo(newer)).build());
        assertThat(write(put("k", "w"))).isNull();
        assertThat(cluster.epoch()).as("the primary learns that it may have been replaced").isEqualTo(9);
    }

    /** A primary with a long timeout, whose backups answer as {@code answer} says, send by send. */
    private Replicator holding(ClusterState state, java.util.function.BiFunction<Member, Integer, KVResponse> answer) {
        Map<String, java.util.concurrent.atomic.AtomicInteger> count = new ConcurrentHashMap<>();
        Peers scripted = (peer, request) -> {
            sent.add(peer.id() + ":" + Command.of(request.getCommand()) + ":" + request.getRingEpoch());
            int n = count.computeIfAbsent(peer.id(), id -> new java.util.concurrent.atomic.AtomicInteger()).getAndIncrement();
            KVResponse reply = answer.apply(peer, n);
            return reply == null ? new CompletableFuture<>() : CompletableFuture.completedFuture(reply);
        };
        return new Replicator("a", state, local, scripted, 10_000, Runnable::run);
    }

    private CompletableFuture<KVResponse> writeAsync(Replicator primary, Ring ring, KVRequest request) {
        return primary.write(request, ring, ring.replicasOf(RingPosition.of(request.getKey().toByteArray())),
                () -> applyLocally(request)).toCompletableFuture();
    }

    @Test
    void aBackupThatRefusesAtFirstIsSentTheWriteAgainUntilItHasIt() throws Exception {
        KVResponse busy = KVResponse.newBuilder().setErrCode(ErrorCode.INTERNAL_FAILURE.code()).build();
        Replicator primary = holding(cluster, (peer, n) -> peer.id().equals("c") && n < 2 ? busy : ok());
        long start = System.nanoTime();
        KVResponse reply = writeAsync(primary, RING, put("k", "v")).get(5, TimeUnit.SECONDS);
        assertThat(reply.getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        assertThat(sent).as("only the backup that lacked it is sent it again")
                .containsExactlyInAnyOrder("b:STORE_PUT:5", "c:STORE_PUT:5", "c:STORE_PUT:5", "c:STORE_PUT:5");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
                .as("two pauses, far from the timeout").isLessThan(5_000);
        assertThat(primary.suspectKeys()).isZero();
        assertThat(primary.writesUnknown()).isZero();
    }

    @Test
    void aWriteHeldByASilentBackupCompletesUnderTheRingThatReplacesIt() throws Exception {
        Member d = new Member("d", "127.0.0.1", 7, 8);
        Ring four = Ring.of(5, 16, 3, List.of(A, B, C, d));
        Ring withoutC = Ring.of(6, 16, 3, List.of(A, B, d));
        String key = keyWhere(k -> {
            List<Member> before = four.replicasOf(RingPosition.of(k));
            List<Member> after = withoutC.replicasOf(RingPosition.of(k));
            return before.getFirst().id().equals("a") && Ring.names(before, "c") && after.getFirst().id().equals("a");
        });
        ClusterState state = new ClusterState("a", true, four);
        Replicator primary = holding(state, (peer, n) -> peer.id().equals("c") ? null : ok());
        CompletableFuture<KVResponse> write = writeAsync(primary, four, put(key, "v"));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> sent.stream().anyMatch(s -> s.startsWith("c:")));
        assertThat(write).as("held while c is silent").isNotDone();

        state.adopt(withoutC);
        assertThat(write.get(5, TimeUnit.SECONDS).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        assertThat(sent).as("sent again under the new ring, to the key's replicas there")
                .contains("b:STORE_PUT:6", "d:STORE_PUT:6").doesNotContain("c:STORE_PUT:6");
        assertThat(primary.writesUnknown()).isZero();
    }

    @Test
    void aHeldWriteWhoseKeyANewRingGivesToAnotherPrimaryHasAnUnknownOutcome() throws Exception {
        Ring withoutA = Ring.of(6, 16, 3, List.of(B, C, new Member("d", "127.0.0.1", 7, 8)));
        String key = keyWhere(k -> RING.replicasOf(RingPosition.of(k)).getFirst().id().equals("a"));
        ClusterState state = new ClusterState("a", true, RING);
        Replicator primary = holding(state, (peer, n) -> null); // no backup answers
        CompletableFuture<KVResponse> write = writeAsync(primary, RING, put(key, "v"));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> sent.size() >= 2);

        long start = System.nanoTime();
        state.adopt(withoutA);
        assertThat(write.get(5, TimeUnit.SECONDS)).as("no reply: the new primary decides").isNull();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
                .as("ends with the ring, not the 10 s timeout").isLessThan(5_000);
        assertThat(primary.writesUnknown()).isEqualTo(1);
        assertThat(primary.suspectKeys()).isEqualTo(1);
    }

    private static String keyWhere(java.util.function.Predicate<byte[]> wanted) {
        for (int i = 0; i < 100_000; i++) {
            String key = "key-" + i;
            if (wanted.test(key.getBytes(StandardCharsets.UTF_8))) {
                return key;
            }
        }
        throw new AssertionError("no key among the first 100,000 fits");
    }

    @Test
    void theFenceAppliesOnlyWritesOfTheBackupsOwnEpochForKeysItKeeps() {
        Replicator backup = new Replicator("b", new ClusterState("b", true, RING), local, peers, 200, Runnable::run);
        KVRequest write = Replicator.storePut(utf8("k"), utf8("v"), 1);
        assertThat(backup.fence(write)).as("a handoff stream carries no epoch").isNull();
        assertThat(backup.fence(write.toBuilder().setRingEpoch(5).build())).isNull();

        KVResponse stale = backup.fence(write.toBuilder().setRingEpoch(4).build());
        assertThat(stale.getErrCode()).isEqualTo(ErrorCode.NOT_RESPONSIBLE.code());
        assertThat(stale.getRing().getEpoch()).isEqualTo(5);

        KVResponse ahead = backup.fence(write.toBuilder().setRingEpoch(6).build());
        assertThat(ahead.getRing().getEpoch()).as("behind: says so, so the primary sends its ring").isEqualTo(5);
        Ring six = RING.withEpoch(6);
        assertThat(backup.fence(write.toBuilder().setRingEpoch(6).setRing(RingMessages.toInfo(six)).build()))
                .as("the primary's ring is adopted, then the write applies").isNull();

        Ring withoutB = Ring.of(7, 16, 2, List.of(A, C));
        ClusterState notReplica = new ClusterState("b", true, withoutB);
        Replicator outsider = new Replicator("b", notReplica, local, peers, 200, Runnable::run);
        assertThat(outsider.fence(write.toBuilder().setRingEpoch(7).build()).getErrCode())
                .as("not a replica of the key in that ring").isEqualTo(ErrorCode.NOT_RESPONSIBLE.code());
    }
}
