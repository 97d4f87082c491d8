package io.ringkv.cluster;

import static io.ringkv.ring.ThreeMembers.A;
import static io.ringkv.ring.ThreeMembers.B;
import static io.ringkv.ring.ThreeMembers.C;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.ringkv.common.RingPosition;
import io.ringkv.replication.RangeKeys;
import io.ringkv.replication.RangeSync;
import io.ringkv.replication.Replicator;
import io.ringkv.ring.Ring;
import io.ringkv.storage.memory.MemoryEngine;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The handoff's steps against real memory engines, with peers that apply STORE_PUT/STORE_REMOVE
 * to their own engine. The real-socket proof is ClusterRoutingIT; this pins down the rules.
 */
@Timeout(30)
class HandoffTest {
    private static final int KEYS = 2_000;
    private static final Ring BEFORE = Ring.of(1, 16, List.of(A, B));
    private static final Ring AFTER = BEFORE.plus(C);

    private final MemoryEngine local = new MemoryEngine(64 << 20);
    private final Map<String, MemoryEngine> remote = new ConcurrentHashMap<>(Map.of(
            "b", new MemoryEngine(64 << 20), "c", new MemoryEngine(64 << 20)));
    /** Peers that apply what they receive, after {@link #gate} opens. */
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private volatile boolean peersFail;
    private final Peers peers = (peer, request) -> CompletableFuture.supplyAsync(() -> {
        try {
            gate.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        if (peersFail) {
            throw new IllegalStateException("connection refused");
        }
        MemoryEngine store = remote.get(peer.id());
        byte[] key = request.getKey().toByteArray();
        if (request.getCommand() == Command.STORE_PUT.code()) {
            store.put(key, request.getValue().toByteArray(), request.getVersion()).toCompletableFuture().join();
            return KVResponse.newBuilder().setErrCode(ErrorCode.SUCCESS.code()).build();
        }
        boolean existed = store.remove(key).toCompletableFuture().join();
        return KVResponse.newBuilder().setErrCode((existed ? ErrorCode.SUCCESS : ErrorCode.NO_SUCH_KEY).code()).build();
    });
    private final Handoff handoff = new Handoff("a", local, peers);

    @AfterEach
    void close() {
        local.close();
        remote.values().forEach(MemoryEngine::close);
    }

    private static byte[] key(int k) {
        return ("k" + k).getBytes(StandardCharsets.UTF_8);
    }

    /** Loads the keys a owns before the change. */
    private void loadOwnKeys() {
        for (int k = 0; k < KEYS; k++) {
            if (BEFORE.ownerOfKey(key(k)).equals(A)) {
                local.put(key(k), ("v" + k).getBytes(StandardCharsets.UTF_8), k);
            }
        }
    }

    private static boolean moves(byte[] key) {
        return AFTER.ownerOfKey(key).equals(C) && BEFORE.ownerOfKey(key).equals(A);
    }

    private void awaitState(Handoff.State state) {
        await().atMost(Duration.ofSeconds(10)).until(() -> handoff.status().state() == state);
    }

    @Test
    void streamsExactlyTheOutgoingKeysLocksThemAndDropsThemOnTheSwitch() {
        loadOwnKeys();
        // The replication layer owns the switch: it asks the handoff, then drops what a no longer keeps.
        RangeSync sync = new RangeSync("a", local, new Replicator("a", new ClusterState("a"), local, peers, 1_000,
                Runnable::run), handoff, new RangeKeys(local, peers, 10_000));
        sync.start(BEFORE);
        long moving = 0;
        long staying = 0;
        for (int k = 0; k < KEYS; k++) {
            if (moves(key(k))) {
                moving++;
            } else if (BEFORE.ownerOfKey(key(k)).equals(A)) {
                staying++;
            }
        }
        assertThat(moving).isPositive();
        handoff.start(BEFORE, AFTER);
        awaitState(Handoff.State.READY);

        assertThat(handoff.status().keysSent()).isEqualTo(moving);
        assertThat(remote.get("c").keys()).isEqualTo(moving);
        assertThat(remote.get("b").keys()).as("b gains nothing from a").isZero();
        for (int k = 0; k < KEYS; k++) {
            if (moves(key(k))) {
                assertThat(remote.get("c").get(key(k)).version()).isEqualTo(k);
                assertThat(handoff.tryBeginWrite(RingPosition.of(key(k)))).as("moved keys are locked").isZero();
            } else if (BEFORE.ownerOfKey(key(k)).equals(A)) {
                long stamp = handoff.tryBeginWrite(RingPosition.of(key(k)));
                assertThat(stamp).as("kept keys stay writable").isNotZero();
                handoff.endWrite(stamp, RingPosition.of(key(k)), ByteString.copyFrom(key(k)));
            }
        }

        sync.onRingAdopted(AFTER);
        assertThat(handoff.status().state()).isEqualTo(Handoff.State.IDLE);
        long kept = staying;
        await().atMost(Duration.ofSeconds(10)).until(() -> local.keys() == kept);
        for (int k = 0; k < KEYS; k++) {
            if (moves(key(k))) {
                assertThat(local.get(key(k))).isNull();
                assertThat(handoff.tryBeginWrite(RingPosition.of(key(k)))).as("unlocked after the switch").isNotZero();
            }
        }
    }

    @Test
    void writesDuringStreamingReachTheNewOwnerAsTheyFinallyStand() throws Exception {
        loadOwnKeys();
        int updated = -1;
        int removed = -1;
        for (int k = 0; k < KEYS && (updated < 0 || removed < 0); k++) {
            if (moves(key(k))) {
                if (updated < 0) {
                    updated = k;
                } else {
                    removed = k;
                }
            }
        }
        gate = new CountDownLatch(1); // the stream stalls on its first record
        handoff.start(BEFORE, AFTER);
        assertThat(handoff.status().state()).isEqualTo(Handoff.State.STREAMING);

        write(updated, "new".getBytes(StandardCharsets.UTF_8));
        write(removed, null);
        gate.countDown();
        awaitState(Handoff.State.READY);

        assertThat(remote.get("c").get(key(updated)).value()).isEqualTo("new".getBytes(StandardCharsets.UTF_8));
        assertThat(remote.get("c").get(key(removed))).as("a key removed during the stream is removed there too").isNull();
    }

    private void write(int k, byte[] value) {
        long position = RingPosition.of(key(k));
        long stamp;
        do {
            stamp = handoff.tryBeginWrite(position); // zero only while the first drain runs
        } while (stamp == 0);
        try {
            if (value == null) {
                local.remove(key(k)).toCompletableFuture().join();
            } else {
                local.put(key(k), value, 99).toCompletableFuture().join();
            }
        } finally {
            handoff.endWrite(stamp, position, ByteString.copyFrom(key(k)));
        }
    }

    @Test
    void anotherTargetWhileOneRunsIsRefusedTheSameOneIsIdempotentAndAbortUnlocks() {
        loadOwnKeys();
        handoff.start(BEFORE, AFTER);
        awaitState(Handoff.State.READY);
        assertThat(handoff.start(BEFORE, AFTER).state()).isEqualTo(Handoff.State.READY);
        assertThatThrownBy(() -> handoff.start(BEFORE, AFTER.withEpoch(7))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("abort");
        assertThatThrownBy(() -> new Handoff("a", local, peers).start(AFTER, BEFORE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not newer");

        handoff.abort();
        assertThat(handoff.status().state()).isEqualTo(Handoff.State.IDLE);
        long kept = local.keys();
        for (int k = 0; k < KEYS; k++) {
            if (moves(key(k))) {
                assertThat(handoff.tryBeginWrite(RingPosition.of(key(k)))).as("writable after abort").isNotZero();
            }
        }
        assertThat(handoff.onRingAdopted(AFTER)).as("an aborted handoff is over").isEqualTo(Handoff.Switch.NONE);
        assertThat(local.keys()).isEqualTo(kept);
    }

    @Test
    void aPeerThatFailsFailsTheHandoffAndLiftsNothingItNeverLocked() {
        loadOwnKeys();
        peersFail = true;
        handoff.start(BEFORE, AFTER);
        awaitState(Handoff.State.FAILED);
        assertThat(handoff.status().error()).contains("connection refused");
        for (int k = 0; k < KEYS; k++) {
            if (moves(key(k))) {
                assertThat(handoff.tryBeginWrite(RingPosition.of(key(k)))).isNotZero();
                break;
            }
        }
    }

    @Test
    void nothingToSendIsReadyAtOnce() {
        Handoff onB = new Handoff("b", local, peers);
        Ring withoutA = Ring.of(2, 16, List.of(B)); // b only gains
        assertThat(onB.start(BEFORE, withoutA).state()).isEqualTo(Handoff.State.READY);
        assertThat(onB.status().ranges()).isZero();
    }
}
