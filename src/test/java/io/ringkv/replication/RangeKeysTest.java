package io.ringkv.replication;

import static io.ringkv.ring.ThreeMembers.A;
import static io.ringkv.ring.ThreeMembers.B;
import static io.ringkv.ring.ThreeMembers.C;
import static io.ringkv.ring.ThreeMembers.RING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ringkv.cluster.ClusterState;
import io.ringkv.cluster.Handoff;
import io.ringkv.cluster.Peers;
import io.ringkv.common.RingPosition;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.storage.memory.MemoryEngine;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The replica's listing of its keys in a range, and the primary's sync removing keys only a backup held. */
@Timeout(30)
class RangeKeysTest {

    private final MemoryEngine local = new MemoryEngine(16 << 20);

    @AfterEach
    void close() {
        local.close();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void pagesListEveryKeyOfTheRangeOnceInOrderWithinTheLimits() throws Exception {
        for (int i = 0; i < 1_000; i++) {
            local.put(utf8("key-" + i), utf8("v"), 1).toCompletableFuture().get();
        }
        RangeKeys keys = new RangeKeys(local, (peer, request) -> new CompletableFuture<>(), 1_000);
        // The whole ring (equal ends), in pages of at most 1000 bytes (each key takes 2 + 5..7 bytes).
        List<byte[]> seen = new java.util.ArrayList<>();
        byte[] after = new byte[0];
        int pages = 0;
        while (true) {
            RangeKeys.Page page = RangeKeys.decode(RangeKeys.encode(keys.page(0, 0, after)));
            pages++;
            assertThat(RangeKeys.encode(page).size()).isLessThanOrEqualTo(1_000);
            seen.addAll(page.keys());
            if (!page.more()) {
                break;
            }
            after = page.keys().getLast();
        }
        assertThat(seen).hasSize(1_000);
        for (int i = 1; i < seen.size(); i++) {
            assertThat(Arrays.compareUnsigned(seen.get(i - 1), seen.get(i))).isNegative();
        }
        assertThat(pages).isGreaterThan(1_000 * 7 / 1_000);
        // A range lists only its own keys.
        long position = RingPosition.of(utf8("key-7"));
        RangeKeys.Page one = keys.page(position - 1, position, new byte[0]);
        assertThat(one.keys()).extracting(k -> new String(k, StandardCharsets.UTF_8)).containsExactly("key-7");
        assertThat(one.more()).isFalse();
    }

    @Test
    void malformedPagesAreRefused() {
        assertThatThrownBy(() -> RangeKeys.decode(ByteString.EMPTY)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RangeKeys.decode(ByteString.copyFrom(new byte[] {0, 0, 9, 'k'})))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RangeKeys.decode(ByteString.copyFrom(new byte[] {1, 0})))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSyncRemovesOnTheBackupsAKeyOnlyABackupHeldWhereThePrimaryKeptTheRangeBefore() throws Exception {
        // d leaves, so ranges it held change replica sets; a kept the one of "stray" before too: its
        // absence of the key means the key was removed, and b's copy is a remove b missed.
        Ring before = Ring.of(4, 16, 3, List.of(A, B, C, new Member("d", "127.0.0.1", 7, 8)));
        byte[] kept = keyWhere(before, "kept-");
        byte[] stray = keyWhere(before, "stray-");
        local.put(kept, utf8("v"), 1).toCompletableFuture().get();
        List<String> sent = syncFrom(before, stray);
        String strayKey = new String(stray, StandardCharsets.UTF_8);
        assertThat(sent).contains("b:STORE_REMOVE:" + strayKey, "c:STORE_REMOVE:" + strayKey,
                "b:STORE_PUT:" + new String(kept, StandardCharsets.UTF_8));
        assertThat(sent).noneMatch(s -> s.endsWith(":STORE_PUT:" + strayKey));
    }

    @Test
    void aMemberBackInTheRingRemovesNothingItDidNotKeep() throws Exception {
        // a rejoins (a cluster without an ECS): it may still be pulling its ranges, so b's copy of a
        // key a leads is no evidence of anything.
        Ring before = Ring.of(4, 16, 3, List.of(B, C, new Member("d", "127.0.0.1", 7, 8)));
        byte[] kept = keyWhere(before, "kept-");
        byte[] held = keyWhere(before, "held-");
        local.put(kept, utf8("v"), 1).toCompletableFuture().get();
        List<String> sent = syncFrom(before, held);
        assertThat(sent).as("it still pushes what it holds")
                .contains("b:STORE_PUT:" + new String(kept, StandardCharsets.UTF_8));
        assertThat(sent).noneMatch(s -> s.contains("STORE_REMOVE") || s.contains("RANGE_KEYS"));
    }

    /**
     * Starts a's range sync on {@code before} (a full sync: it removes nothing), then adopts RING
     * (an incremental one); b answers every listing of a range holding {@code heldByB} with it.
     * Returns what a sent.
     */
    private List<String> syncFrom(Ring before, byte[] heldByB) {
        List<String> sent = new CopyOnWriteArrayList<>();
        Peers peers = (peer, request) -> {
            Command command = Command.of(request.getCommand());
            String key = command == Command.RANGE_KEYS ? "" : new String(request.getKey().toByteArray(),
                    StandardCharsets.UTF_8);
            sent.add(peer.id() + ":" + command + (key.isEmpty() ? "" : ":" + key));
            if (command == Command.RANGE_KEYS) {
                ByteBuffer range = request.getKey().asReadOnlyByteBuffer();
                long start = range.getLong();
                long end = range.getLong();
                boolean here = peer.id().equals("b") && RingPosition.inRange(RingPosition.of(heldByB), start, end);
                return CompletableFuture.completedFuture(KVResponse.newBuilder()
                        .setErrCode(ErrorCode.SUCCESS.code())
                        .setValue(RangeKeys.encode(new RangeKeys.Page(here ? List.of(heldByB) : List.of(), false)))
                        .build());
            }
            return CompletableFuture.completedFuture(KVResponse.newBuilder().setErrCode(0).build());
        };
        ClusterState cluster = new ClusterState("a", true, before);
        Replicator replicator = new Replicator("a", cluster, local, peers, 1_000, Runnable::run);
        try (RangeSync sync = new RangeSync("a", local, replicator, new Handoff("a", local, peers),
                new RangeKeys(local, peers, 10_000))) {
            sync.start(before);
            awaitDone(sync, before.epoch());
            assertThat(sent).as("a full sync (start-up) removes nothing").noneMatch(s -> s.contains("STORE_REMOVE"));
            sync.onRingAdopted(RING);
            awaitDone(sync, RING.epoch());
        }
        return sent;
    }

    private static void awaitDone(RangeSync sync, long epoch) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sync.status().epoch() != epoch || sync.status().state() != RangeSync.State.DONE) {
            assertThat(System.nanoTime()).as("sync of epoch %d done: %s", epoch, sync.status()).isLessThan(deadline);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /** A key a leads in RING whose replica set differs in {@code before} (so the sync covers it). */
    private static byte[] keyWhere(Ring before, String prefix) {
        for (int i = 0; i < 100_000; i++) {
            byte[] key = utf8(prefix + i);
            long position = RingPosition.of(key);
            List<Member> now = RING.replicasOf(position);
            if (now.getFirst().equals(A) && !before.replicasOf(position).equals(now)) {
                return key;
            }
        }
        throw new AssertionError("no key with prefix " + prefix + " fits");
    }

}
