package io.ringkv.ecs.api;

import io.ringkv.admin.AdminToken;
import io.ringkv.admin.SignedHeartbeat;
import io.ringkv.ecs.ClusterException;
import io.ringkv.ecs.ClusterException.Kind;
import io.ringkv.ecs.ClusterView;
import io.ringkv.ecs.Coordinator;
import io.ringkv.ecs.Heartbeat;
import io.ringkv.ecs.HeartbeatReply;
import io.ringkv.ecs.OperationView;
import io.ringkv.ecs.RingDocument;
import io.ringkv.ring.Ring;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import org.springframework.context.annotation.Profile;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The ECS's admin REST API. Thin: bodies are parsed strictly (an unknown field is a mistake the
 * operator should hear about), everything else is the {@link Coordinator}'s. Ring changes answer
 * 202 with the operation and its {@code Location}.
 */
@RestController
@Profile("ecs")
@RequestMapping("/api/v1")
class EcsController {
    /** Strict, unlike Spring's mapper: unknown or mistyped fields are refused with 400. */
    private static final JsonMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    /** Members one heartbeat may report dead: the ECS builds at most ringkv.ecs.nodes-max (1024). */
    static final int DEAD_REPORTED_MAX = 1024;

    private final Coordinator coordinator;
    private final AdminToken token;

    EcsController(Coordinator coordinator, AdminToken token) {
        this.coordinator = coordinator;
        this.token = token;
    }

    /** POST /nodes: either {@code count}, or a node's address (with its id when it registers itself). */
    record NodesRequest(Integer count, String id, String host, Integer port, Integer restPort) {}

    /** POST /scale. */
    record ScaleRequest(Integer nodes) {}

    /**
     * POST /nodes/{id}/heartbeat: the node's process (chosen at its start), the ring epoch it routes
     * by and, from nodes that gossip, the members they find dead; {@code seq} numbers the process's
     * heartbeats and {@code sig} signs them ({@link SignedHeartbeat}), both required when relayed.
     */
    record HeartbeatRequest(String incarnation, Long epoch, Long seq, List<String> dead, String sig) {}

    @GetMapping("/cluster")
    ClusterView cluster() {
        return coordinator.cluster();
    }

    @GetMapping("/ring")
    RingDocument ring() {
        Ring ring = coordinator.ring();
        if (ring.isEmpty()) {
            throw new ClusterException(Kind.NOT_FOUND, "the ring has no members yet (epoch " + ring.epoch()
                    + "); the first nodes are still starting or none has registered");
        }
        return RingDocument.of(ring);
    }

    @PostMapping("/nodes")
    ResponseEntity<?> addNodes(@RequestBody(required = false) String body) {
        NodesRequest request = parse(body, NodesRequest.class);
        if (request.count() != null) {
            if (request.host() != null || request.port() != null || request.restPort() != null || request.id() != null) {
                throw badRequest("give either count, or host, port and restPort (and id), not both");
            }
            return accepted(coordinator.addNodes(request.count()));
        }
        if (request.host() == null || request.host().isBlank() || request.port() == null
                || request.restPort() == null) {
            throw badRequest("give {\"count\": n} to launch n nodes, or {\"host\": …, \"port\": …, \"restPort\": …}"
                    + " to admit a node that runs already");
        }
        checkPort("port", request.port());
        checkPort("restPort", request.restPort());
        if (request.id() != null && (request.id().isBlank() || request.id().length() > 128)) {
            throw badRequest("id must be 1..128 characters");
        }
        Optional<OperationView> admitting = coordinator.register(request.id(), request.host(), request.port(),
                request.restPort());
        return admitting.<ResponseEntity<?>>map(this::accepted).orElseGet(() -> ResponseEntity.ok(coordinator.cluster()));
    }

    /**
     * A node's heartbeat (every ringkv.node.heartbeat-interval). Answers 200 with the ring epoch and
     * whether the node's lease is renewed, also for a node the ECS does not know (status UNKNOWN:
     * it should register).
     */
    @PostMapping("/nodes/{id}/heartbeat")
    HeartbeatReply heartbeat(@PathVariable String id, @RequestParam(required = false) String via,
            @RequestBody(required = false) String body) {
        HeartbeatRequest request = parse(body, HeartbeatRequest.class);
        if (request.incarnation() == null || request.incarnation().isBlank() || request.incarnation().length() > 128) {
            throw badRequest("incarnation must be 1..128 characters");
        }
        if (request.epoch() == null || request.epoch() < 0) {
            throw badRequest("epoch must be a ring epoch, 0 or more");
        }
        long seq = request.seq() == null ? 0 : request.seq();
        List<String> dead = request.dead() == null ? List.of() : request.dead();
        if (seq < 0) {
            throw badRequest("seq must be 0 or more");
        }
        if (dead.size() > DEAD_REPORTED_MAX || dead.stream().anyMatch(d -> d == null || d.isBlank() || d.length() > 128)) {
            throw badRequest("dead must list at most " + DEAD_REPORTED_MAX + " node ids of 1..128 characters");
        }
        if (via != null) {
            if (via.isBlank() || via.length() > 128) {
                throw badRequest("via must be a node id of 1..128 characters");
            }
            if (seq == 0 || request.sig() == null || !new SignedHeartbeat(id, request.incarnation(), request.epoch(),
                    seq, dead).verify(token, request.sig())) {
                throw new ClusterException(Kind.FORBIDDEN, "a heartbeat relayed by " + via
                        + " must carry its node's seq and signature (HMAC under the admin token); this one does not");
            }
        }
        return coordinator.heartbeat(new Heartbeat(id, request.incarnation(), request.epoch(), seq, dead, via));
    }

    @DeleteMapping("/nodes/{id}")
    ResponseEntity<OperationView> removeNode(@PathVariable String id) {
        return accepted(coordinator.removeNode(id));
    }

    @PostMapping("/scale")
    ResponseEntity<OperationView> scale(@RequestBody(required = false) String body) {
        ScaleRequest request = parse(body, ScaleRequest.class);
        if (request.nodes() == null) {
            throw badRequest("give {\"nodes\": n}, the number of nodes the cluster should have");
        }
        return accepted(coordinator.scale(request.nodes()));
    }

    @PostMapping("/rebalance")
    ResponseEntity<OperationView> rebalance() {
        return accepted(coordinator.rebalance());
    }

    @GetMapping("/operations/{id}")
    OperationView operation(@PathVariable String id) {
        return coordinator.operation(id)
                .orElseThrow(() -> new ClusterException(Kind.NOT_FOUND, "no operation with id '" + id
                        + "' (the ECS keeps the latest " + io.ringkv.ecs.ClusterState.OPERATIONS_KEPT + ")"));
    }

    @GetMapping("/operations")
    List<OperationView> operations() {
        return coordinator.operations();
    }

    private <T> ResponseEntity<T> accepted(T operation) {
        String id = ((OperationView) operation).id();
        return ResponseEntity.accepted().location(URI.create("/api/v1/operations/" + id)).body(operation);
    }

    private static <T> T parse(String body, Class<T> type) {
        if (body == null || body.isBlank()) {
            throw badRequest("the request needs a JSON body");
        }
        try {
            T value = STRICT.readValue(body, type);
            if (value == null) {
                throw badRequest("the request needs a JSON object, not null");
            }
            return value;
        } catch (JacksonException e) {
            throw badRequest("malformed JSON body: " + e.getOriginalMessage());
        }
    }

    private static void checkPort(String name, int port) {
        if (port < 1 || port > 65_535) {
            throw badRequest(name + " must be 1..65535: " + port);
        }
    }

    private static ClusterException badRequest(String detail) {
        return new ClusterException(Kind.BAD_REQUEST, detail);
    }
}
