package io.ringkv.node;

import io.ringkv.cluster.ClusterState;
import io.ringkv.cluster.Handoff;
import io.ringkv.replication.RangeSync;
import io.ringkv.ring.Ring;
import io.ringkv.ring.RingView;
import java.util.Map;
import org.springframework.context.annotation.Profile;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The node's part of the ring protocol with the ECS (design §4, §5): the ring it routes by, the
 * handoff of ranges it is losing, and the repair of the ranges it is primary of. Thin: the logic is in {@link ClusterState} and {@link Handoff}.
 */
@RestController
@Profile("node")
@RequestMapping("/api/v1/node")
class ClusterController {
    private final ClusterState cluster;
    private final Handoff handoff;
    private final RangeSync sync;

    ClusterController(ClusterState cluster, Handoff handoff, RangeSync sync) {
        this.cluster = cluster;
        this.handoff = handoff;
        this.sync = sync;
    }

    @GetMapping("/ring")
    ResponseEntity<?> ring() {
        Ring ring = cluster.ring();
        return ring == null
                ? problem(HttpStatus.NOT_FOUND, "this node has no ring yet (a lone node, or its ECS has not answered)")
                : ResponseEntity.ok(RingView.of(ring));
    }

    /** Adopts a ring pushed by the ECS: 200 when it is the node's ring now, 409 when the node has a newer one. */
    @PutMapping("/ring")
    ResponseEntity<?> adopt(@RequestBody RingView view) {
        Ring ring;
        try {
            ring = view.toRing();
        } catch (IllegalArgumentException | NullPointerException e) {
            return problem(HttpStatus.BAD_REQUEST, "invalid ring: " + e.getMessage());
        }
        return switch (cluster.adoptFromPeer(ring)) {
            case ADOPTED, SAME -> ResponseEntity.ok(Map.of("epoch", ring.epoch()));
            case STALE -> problem(HttpStatus.CONFLICT, "this node already routes by ring epoch " + cluster.epoch()
                    + ", newer than " + ring.epoch());
            case REFUSED -> problem(HttpStatus.CONFLICT, "ring epoch " + ring.epoch() + " keeps "
                    + ring.replicationFactor() + " copies of every key; this cluster keeps "
                    + cluster.ring().replicationFactor());
            case NOT_FROM_PEERS -> problem(HttpStatus.CONFLICT, "this node computes its rings from its membership"
                    + " (ringkv.cluster.peers) and takes none from outside");
        };
    }

    /** What {@code POST /handoff} takes: the ring the cluster is moving to. */
    record HandoffRequest(RingView ring) {}

    @PostMapping("/handoff")
    ResponseEntity<?> startHandoff(@RequestBody HandoffRequest request) {
        Ring current = cluster.ring();
        if (current == null) {
            return problem(HttpStatus.CONFLICT, "this node has no ring: publish one before a handoff");
        }
        if (request == null || request.ring() == null) {
            return problem(HttpStatus.BAD_REQUEST, "body must be {\"ring\": {epoch, vnodes, members}}");
        }
        try {
            Ring target = request.ring().toRing();
            return ResponseEntity.accepted().body(handoff.start(current, target));
        } catch (IllegalArgumentException | NullPointerException e) {
            return problem(HttpStatus.BAD_REQUEST, "invalid handoff: " + e.getMessage());
        } catch (IllegalStateException e) {
            return problem(HttpStatus.CONFLICT, e.getMessage());
        }
    }

    @GetMapping("/handoff")
    Handoff.Status handoffStatus() {
        return handoff.status();
    }

    @DeleteMapping("/handoff")
    Handoff.Status abortHandoff() {
        return handoff.abort();
    }

    /** What {@code POST /repair} may take: the ring epoch the caller waits for (informational). */
    record RepairRequest(Long epoch) {}

    /**
     * Repair towards the node's current ring: the sync of the ranges it is primary of runs by
     * itself on every ring it adopts, so this reports it, and starts a failed one again at once.
     * The caller polls {@code GET /repair} until {@code state} is DONE for an epoch at least the
     * one it published.
     */
    @PostMapping("/repair")
    ResponseEntity<RangeSync.Status> repair(@RequestBody(required = false) RepairRequest request) {
        return ResponseEntity.accepted().body(sync.retry());
    }

    @GetMapping("/repair")
    RangeSync.Status repairStatus() {
        return sync.status();
    }

    private static ResponseEntity<ProblemDetail> problem(HttpStatus status, String detail) {
        return ResponseEntity.of(ProblemDetail.forStatusAndDetail(status, detail)).build();
    }
}
