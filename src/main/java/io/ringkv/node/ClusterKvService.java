package io.ringkv.node;

import com.google.protobuf.ByteString;
import io.ringkv.client.RequestNotSentException;
import io.ringkv.cluster.ClusterState;
import io.ringkv.cluster.Handoff;
import io.ringkv.cluster.Peers;
import io.ringkv.replication.CatchUp;
import io.ringkv.replication.RangeKeys;
import io.ringkv.replication.Replicator;
import io.ringkv.common.RingPosition;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.RingMessages;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.Origin;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes each request by the ring (design §4): keys this node is primary of are executed here,
 * writes through the handoff's write gate and the {@link Replicator} (which acknowledges only once
 * every replica has the write); keys owned elsewhere are forwarded to the owner over TCP with the client's
 * origin, so the owner's at-most-once cache recognises retries that reach any node. A ring-aware
 * client (one that sets {@code ringEpoch}) is answered NOT_RESPONSIBLE with this node's ring
 * instead, so that it can go to the owner directly from then on.
 *
 * <p>Without a ring the node owns every key, as a lone node does. A cluster member acts as owner
 * only while it holds its ECS's lease ({@link ClusterState#leaseValid()}); without one it answers
 * OVERLOAD for its own keys: it may have been declared failed and its keys given to others, and it
 * learns which within a heartbeat or two.
 */
final class ClusterKvService implements KvService {
    private static final Logger log = LoggerFactory.getLogger(ClusterKvService.class);
    /** How long a client should wait while its key's range is being handed over (usually well under a second). */
    static final int MOVING_WAIT_MS = 50;
    private static final KVResponse MOVING_OVERLOAD = KVResponse.newBuilder()
            .setErrCode(ErrorCode.OVERLOAD.code())
            .setOverloadWaitTime(MOVING_WAIT_MS)
            .build();
    /** A cluster member without a ring yet: retry once it has learned one (it asks its ECS every 2 s). */
    private static final KVResponse NO_RING_YET = KVResponse.newBuilder()
            .setErrCode(ErrorCode.OVERLOAD.code())
            .setOverloadWaitTime(200)
            .build();
    /** An owner without a lease: retry after about one heartbeat, by when it has one again or a new ring. */
    static final int NO_LEASE_WAIT_MS = 250;
    private static final KVResponse NO_LEASE = KVResponse.newBuilder()
            .setErrCode(ErrorCode.OVERLOAD.code())
            .setOverloadWaitTime(NO_LEASE_WAIT_MS)
            .build();
    /** This node is dropping ranges it lost: a range stream must wait (the handoff retries). */
    private static final KVResponse DROPPING = KVResponse.newBuilder()
            .setErrCode(ErrorCode.OVERLOAD.code())
            .setOverloadWaitTime(100)
            .build();
    /** The owner is still pulling the key's range (see {@link CatchUp}): usually well under a second. */
    private static final KVResponse CATCHING_UP = KVResponse.newBuilder()
            .setErrCode(ErrorCode.OVERLOAD.code())
            .setOverloadWaitTime(100)
            .build();
    private static final KVResponse MOVING_LOCKED = KVResponse.newBuilder()
            .setErrCode(ErrorCode.WRITE_LOCKED.code())
            .setOverloadWaitTime(MOVING_WAIT_MS)
            .build();

    private final KvService local;
    private final ClusterState cluster;
    private final Handoff handoff;
    private final Peers peers;
    private final Replicator replicator;
    private final BooleanSupplier dropping;
    private final CatchUp catchUp;
    private final boolean readAny;
    private final int keyBytesMax;
    private final RangeKeys rangeKeys;
    /** Sends another node's heartbeat to this node's ECS; null without an ECS. */
    private final HeartbeatRelay heartbeatRelay;

    /** Where a relayed heartbeat goes: this node's link to its ECS. */
    @FunctionalInterface
    interface HeartbeatRelay {
        CompletionStage<KVResponse> forward(String originId, String body);
    }

    /**
     * @param readAny serve a GET on any replica of its key ({@code ringkv.replication.read=any})
     *     instead of forwarding it to the primary
     */
    ClusterKvService(KvService local, ClusterState cluster, Handoff handoff, Peers peers, Replicator replicator,
            BooleanSupplier dropping, CatchUp catchUp, RangeKeys rangeKeys, boolean readAny, int keyBytesMax,
            HeartbeatRelay heartbeatRelay) {
        this.local = local;
        this.cluster = cluster;
        this.handoff = handoff;
        this.peers = peers;
        this.replicator = replicator;
        this.dropping = dropping;
        this.catchUp = catchUp;
        this.readAny = readAny;
        this.keyBytesMax = keyBytesMax;
        this.heartbeatRelay = heartbeatRelay;
        this.rangeKeys = rangeKeys;
    }

    @Override
    public CompletionStage<KVResponse> execute(KVRequest request, Origin origin) {
        Command command = Command.of(request.getCommand());
        if (command == null) {
            return local.execute(request, origin);
        }
        return switch (command) {
            case PUT, GET, REMOVE -> route(command, request, origin);
            case GET_RING -> done(ringReply(ErrorCode.SUCCESS, cluster.ring()));
            case GET_MEMBERSHIP_COUNT -> done(KVResponse.newBuilder()
                    .setErrCode(ErrorCode.SUCCESS.code())
                    .setMembershipCount(cluster.membershipCount())
                    .build());
            case STORE_PUT, STORE_REMOVE -> {
                // From a primary (stamped with its epoch: fenced) or a handoff stream (not stamped),
                // which waits while this node drops ranges, lest the drop take what it brings.
                if (!request.hasRingEpoch() && dropping.getAsBoolean()) {
                    yield done(DROPPING);
                }
                KVResponse refusal = replicator.fence(request);
                yield refusal != null ? done(refusal) : local.execute(request, origin);
            }
            case RANGE_PULL -> catchUp.serve(request);
            case RANGE_KEYS -> rangeKeys.serve(request);
            case HEARTBEAT_RELAY -> heartbeatRelay == null
                    ? done(KVResponse.newBuilder().setErrCode(ErrorCode.UNKNOWN_COMMAND.code())
                            .setValue(ByteString.copyFromUtf8("this node has no ECS to relay a heartbeat to")).build())
                    : heartbeatRelay.forward(request.getKey().toStringUtf8(), request.getValue().toStringUtf8());
            default -> local.execute(request, origin);
        };
    }

    private CompletionStage<KVResponse> route(Command command, KVRequest request, Origin origin) {
        Ring ring = cluster.ring();
        if (cluster.awaitingRing()) {
            // Owning every key now would store writes where the ring, once known, never looks.
            return done(NO_RING_YET);
        }
        int keyBytes = request.getKey().size();
        if (ring == null || ring.isEmpty() || keyBytes == 0 || keyBytes > keyBytesMax) {
            // No ring: a lone node. Bad keys: answered INVALID_KEY here, never forwarded.
            return local.execute(request, origin);
        }
        long position = RingPosition.of(request.getKey().toByteArray());
        List<Member> replicas = ring.replicasOf(position);
        Member owner = replicas.getFirst();
        if (command == Command.GET && readAny && Ring.names(replicas, cluster.selfId()) && !catchUp.pending(position)) {
            return local.execute(request, origin);
        }
        if (owner.id().equals(cluster.selfId())) {
            if (!cluster.leaseValid()) {
                return done(NO_LEASE);
            }
            if (catchUp.pending(position)) {
                // Rejoined after the cluster went on without it: the range is still on its way here.
                return done(CATCHING_UP);
            }
            return command == Command.GET
                    ? replicator.read(request, ring, replicas, () -> local.execute(request, origin))
                    : gatedWrite(request, origin, position, ring, replicas);
        }
        if (request.hasRingEpoch() || request.hasOrigin()) {
            // A ring-aware client, or a peer that routed by another ring: tell it ours.
            return done(ringReply(ErrorCode.NOT_RESPONSIBLE, ring));
        }
        return forward(owner, request, origin);
    }

    private CompletionStage<KVResponse> gatedWrite(KVRequest request, Origin origin, long position, Ring ring,
            List<Member> replicas) {
        long stamp = handoff.tryBeginWrite(position);
        if (stamp == 0) {
            return done(request.hasRingEpoch() ? MOVING_LOCKED : MOVING_OVERLOAD);
        }
        CompletionStage<KVResponse> outcome;
        try {
            // Applied here but not acknowledged by every backup: a retry must not apply it again.
            outcome = replicator.write(request, ring, replicas, () -> local.execute(request, origin))
                    .thenApply(reply -> reply == null ? OUTCOME_UNKNOWN : reply);
        } catch (RuntimeException e) {
            handoff.endWrite(stamp, position, request.getKey());
            throw e;
        }
        return outcome.whenComplete((reply, failure) -> handoff.endWrite(stamp, position, request.getKey()));
    }

    private CompletionStage<KVResponse> forward(Member owner, KVRequest request, Origin origin) {
        KVRequest forwarded = request.toBuilder()
                .setOrigin(Origin.encode(origin.client(), ByteString.copyFrom(origin.messageId())))
                .build();
        return peers.exchange(owner, forwarded).handle((reply, failure) -> {
            if (failure != null) {
                log.debug("forward to {} failed: {}", owner.id(), failure.toString());
                if (RequestNotSentException.isCause(failure)) {
                    return null; // the owner never got it: the client's retry is routed again
                }
                // The owner may have applied it and died, or may answer late: its cache knows the
                // origin, but a new owner would not, so a write is not run again from here.
                return request.getCommand() == Command.GET.code() ? null : OUTCOME_UNKNOWN;
            }
            if (reply.getErrCode() == ErrorCode.NOT_RESPONSIBLE.code()) {
                learn(reply);
                return null;
            }
            return reply;
        });
    }

    /** A peer routes by a newer ring than ours: adopt it, so the client's retry is routed right. */
    private void learn(KVResponse reply) {
        if (!reply.hasRing()) {
            return;
        }
        try {
            Ring theirs = RingMessages.fromInfo(reply.getRing());
            if (theirs.epoch() > cluster.epoch()) {
                if (cluster.adoptFromPeer(theirs) == ClusterState.Adoption.ADOPTED) {
                    log.info("adopted ring epoch {} from a peer", theirs.epoch());
                }
            }
        } catch (IllegalArgumentException e) {
            log.warn("a peer sent an invalid ring: {}", e.getMessage());
        }
    }

    private static KVResponse ringReply(ErrorCode code, Ring ring) {
        KVResponse.Builder reply = KVResponse.newBuilder().setErrCode(code.code());
        if (ring != null) {
            reply.setRing(RingMessages.toInfo(ring));
        }
        return reply.build();
    }

    private static CompletionStage<KVResponse> done(KVResponse response) {
        return CompletableFuture.completedFuture(response);
    }
}
