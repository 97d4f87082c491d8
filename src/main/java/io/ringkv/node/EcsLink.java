package io.ringkv.node;

import com.google.protobuf.ByteString;
import io.ringkv.admin.AdminToken;
import io.ringkv.admin.SignedHeartbeat;
import io.ringkv.cluster.ClusterState;
import io.ringkv.cluster.Peers;
import io.ringkv.ring.Member;
import io.ringkv.ring.RingView;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationListener;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The node's side of its link to the ECS ({@code ringkv.node.ecs}): once the node is ready it
 * registers ({@code POST /api/v1/nodes}, retried until the ECS answers), and from then on pulls
 * the ring ({@code GET /api/v1/ring}) every {@link #PULL_PERIOD} as a fallback for pushes it may
 * have missed.
 *
 * <p>Heartbeats ({@code POST /api/v1/nodes/{id}/heartbeat}, every heartbeat interval) go out on a
 * timer of their own and asynchronously, so that neither a slow pull nor a slow reply delays the
 * next one. Each carries this process's incarnation and ring epoch; each reply renews (or refuses)
 * the {@link io.ringkv.cluster.Lease}, counted from when the heartbeat was sent, and announces the
 * ECS's epoch: a newer one is pulled at once. A reply saying the ECS does not know the node makes it
 * register again.
 *
 * <p>With gossip ({@link EcsGossip}) each heartbeat also reports the ring members this node finds
 * dead, and a node whose last heartbeat went unanswered sends each next one through up to {@link
 * #RELAYS_PER_BEAT} members it finds alive as well ({@link io.ringkv.wire.Command#HEARTBEAT_RELAY}
 * over the data plane), so that a broken link between it and the ECS alone neither costs it its
 * lease nor gets it failed over. The lease is counted from the moment the node sent the heartbeat
 * whichever way its reply came back, so the relay changes nothing in the lease's argument. A relayed
 * heartbeat carries a sequence number and an HMAC under the admin token: the ECS takes it only
 * when the signature is the node's and the number is newer than every one it has seen from that
 * process, so a relay can neither forge nor replay one.
 *
 * <p>While the ECS is unreachable every way the node keeps the last ring it knows, forwarding by
 * it, but its lease runs out: it stops acting as owner until the ECS answers again (it cannot tell
 * an ECS that is down from one that declared it failed).
 */
final class EcsLink implements ApplicationListener<ApplicationReadyEvent>, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EcsLink.class);
    static final Duration PULL_PERIOD = Duration.ofSeconds(2);
    /** The status a heartbeat reply gives when the ECS does not know this node. */
    static final String HEARTBEAT_UNKNOWN = "UNKNOWN";
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);
    /** Heartbeats awaiting a reply: beyond it a beat is skipped (the ECS is slow; a late reply renews little). */
    static final int HEARTBEATS_IN_FLIGHT_MAX = 4;
    /** Peers each heartbeat goes through while the direct way fails: two, lest one of them be cut off too. */
    static final int RELAYS_PER_BEAT = 2;
    /** Other nodes' heartbeats this node relays at once; beyond it they are answered OVERLOAD. */
    static final int RELAYED_IN_FLIGHT_MAX = 16;

    private final URI ecs;
    private final String selfId;
    private final String host;
    private final int port;
    private final AdminToken token;
    private final ClusterState cluster;
    private final JsonMapper json;
    private final HttpClient http;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("ringkv-ecs-link").factory());
    private final ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("ringkv-heartbeat").factory());
    private final Duration heartbeatInterval;
    private final Semaphore heartbeatsInFlight = new Semaphore(HEARTBEATS_IN_FLIGHT_MAX);
    /** A pull is queued on the link's timer (at most one). */
    private final AtomicBoolean pullQueued = new AtomicBoolean();
    private volatile boolean registered;
    private volatile int restPort;
    private volatile String lastError;
    private volatile String lastHeartbeatProblem;
    /** Gossip among the ring's members, or null without it: the dead it reports and the relays it offers. */
    private final EcsGossip gossip;
    private final Peers peers;
    /** Numbers every heartbeat of this process, so that the ECS can refuse a replayed relayed one. */
    private final AtomicLong heartbeatSeq = new AtomicLong();
    /**
     * Why the last direct heartbeat went unanswered (or was refused), as last logged; null while the
     * direct way works. While it is set, heartbeats go through relays too.
     */
    private volatile String directProblem;
    private final Semaphore relayedInFlight = new Semaphore(RELAYED_IN_FLIGHT_MAX);

    EcsLink(String ecsUrl, String selfId, String host, int port, AdminToken token, ClusterState cluster,
            JsonMapper json, Duration heartbeatInterval, UnaryOperator<HttpClient> network, EcsGossip gossip,
            Peers peers) {
        this.http = network.apply(HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).build());
        this.ecs = URI.create(ecsUrl.endsWith("/") ? ecsUrl : ecsUrl + "/");
        this.selfId = selfId;
        this.host = host;
        this.port = port;
        this.token = token;
        this.cluster = cluster;
        this.json = json;
        this.heartbeatInterval = heartbeatInterval;
        this.gossip = gossip;
        this.peers = peers;
    }

    @Override
    public void onApplicationEvent(ApplicationReadyEvent event) {
        if (event.getApplicationContext() instanceof WebServerApplicationContext web) {
            restPort = web.getWebServer().getPort();
        }
        timer.scheduleWithFixedDelay(this::tick, 0, PULL_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
        // Fixed delay: after a pause (GC, SIGSTOP) the missed beats are not sent in a burst.
        beats.scheduleWithFixedDelay(this::heartbeat, 0, heartbeatInterval.toMillis(), TimeUnit.MILLISECONDS);
        // The ECS renews no lease while the node is behind its ring: report a new ring at once.
        cluster.onAdopted(ring -> {
            try {
                beats.execute(this::heartbeat);
            } catch (RejectedExecutionException closing) {
                // The node is shutting down: no more heartbeats.
            }
        });
    }

    private void heartbeat() {
        if (!heartbeatsInFlight.tryAcquire()) {
            directProblem("the ECS has not answered the last " + HEARTBEATS_IN_FLIGHT_MAX + " heartbeats; skipping");
            relay(cluster.lease().now(), heartbeatBody());
            return;
        }
        long sentAt = cluster.lease().now();
        String body;
        try {
            body = heartbeatBody();
            http.sendAsync(heartbeatRequest(selfId, null, body), HttpResponse.BodyHandlers.ofString())
                    .whenComplete((response, failure) -> {
                        heartbeatsInFlight.release();
                        if (failure != null) {
                            directProblem("heartbeat unanswered: " + failure);
                        } else if (response.statusCode() != 200) {
                            directProblem("heartbeat answered " + response.statusCode() + ": " + response.body());
                        } else {
                            directAnswered();
                            onHeartbeatReply(sentAt, response.body(), null);
                        }
                    });
        } catch (RuntimeException e) {
            heartbeatsInFlight.release();
            directProblem("heartbeat not sent: " + e);
            return;
        }
        if (directProblem != null) {
            relay(sentAt, body);
        }
    }

    /**
     * The heartbeat's JSON: this process, the epoch it routes by, the members its gossip finds dead,
     * and a sequence number and signature that let it travel through a relay.
     */
    private String heartbeatBody() {
        long seq = heartbeatSeq.incrementAndGet();
        List<String> dead = gossip == null ? List.of() : gossip.dead();
        String incarnation = cluster.incarnation();
        long epoch = cluster.epoch();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("incarnation", incarnation);
        body.put("epoch", epoch);
        body.put("seq", seq);
        body.put("dead", dead);
        body.put("sig", new SignedHeartbeat(selfId, incarnation, epoch, seq, dead).sign(token));
        return json.writeValueAsString(body);
    }

    /** {@code POST /api/v1/nodes/{id}/heartbeat}, with {@code ?via=} when this node relays another's. */
    private HttpRequest heartbeatRequest(String id, String via, String body) {
        URI uri = ecs.resolve("api/v1/nodes/" + URLEncoder.encode(id, StandardCharsets.UTF_8) + "/heartbeat"
                + (via == null ? "" : "?via=" + URLEncoder.encode(via, StandardCharsets.UTF_8)));
        return HttpRequest.newBuilder(uri)
                .timeout(REQUEST_TIMEOUT)
                .header("Authorization", "Bearer " + token.value())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    /** Sends the heartbeat through up to {@link #RELAYS_PER_BEAT} members this node's gossip finds alive. */
    private void relay(long sentAt, String body) {
        if (gossip == null) {
            return;
        }
        List<Member> candidates = new ArrayList<>(gossip.relays());
        Collections.shuffle(candidates);
        KVRequest request = KVRequest.newBuilder()
                .setCommand(Command.HEARTBEAT_RELAY.code())
                .setKey(ByteString.copyFromUtf8(selfId))
                .setValue(ByteString.copyFromUtf8(body))
                .build();
        for (Member relay : candidates.subList(0, Math.min(RELAYS_PER_BEAT, candidates.size()))) {
            try {
                peers.exchange(relay, request).whenComplete((reply, failure) -> {
                    if (failure == null && reply.getErrCode() == ErrorCode.SUCCESS.code()) {
                        onHeartbeatReply(sentAt, reply.getValue().toStringUtf8(), relay.id());
                    } else {
                        log.debug("heartbeat through {} unanswered: {}", relay.id(),
                                failure != null ? failure.toString() : reply.getValue().toStringUtf8());
                    }
                });
            } catch (RuntimeException e) {
                log.debug("heartbeat through {} not sent: {}", relay.id(), e.toString());
            }
        }
    }

    /**
     * Another node's heartbeat, relayed to this node's ECS ({@link Command#HEARTBEAT_RELAY}): the
     * ECS's answer (200) as the reply's value, or INTERNAL_FAILURE saying why there is none.
     */
    CompletionStage<KVResponse> forwardHeartbeat(String originId, String body) {
        if (!relayedInFlight.tryAcquire()) {
            return CompletableFuture.completedFuture(KVResponse.newBuilder()
                    .setErrCode(ErrorCode.OVERLOAD.code()).setOverloadWaitTime(100).build());
        }
        try {
            return http.sendAsync(heartbeatRequest(originId, selfId, body), HttpResponse.BodyHandlers.ofString())
                    .handle((response, failure) -> {
                        relayedInFlight.release();
                        if (failure != null) {
                            return relayFailure("the ECS is unreachable from " + selfId + " too: " + failure);
                        }
                        if (response.statusCode() != 200) {
                            return relayFailure("the ECS answered " + response.statusCode() + ": " + response.body());
                        }
                        return KVResponse.newBuilder().setErrCode(ErrorCode.SUCCESS.code())
                                .setValue(ByteString.copyFromUtf8(response.body())).build();
                    });
        } catch (RuntimeException e) {
            relayedInFlight.release();
            return CompletableFuture.completedFuture(relayFailure("not relayed: " + e));
        }
    }

    private static KVResponse relayFailure(String why) {
        return KVResponse.newBuilder().setErrCode(ErrorCode.INTERNAL_FAILURE.code())
                .setValue(ByteString.copyFromUtf8(why)).build();
    }

    /** An answer (200) to the heartbeat sent at {@code sentAt}, directly or through {@code via}. */
    private void onHeartbeatReply(long sentAt, String body, String via) {
        JsonNode reply;
        try {
            reply = json.readTree(body);
        } catch (RuntimeException e) {
            heartbeatProblem("heartbeat answered with a body that is not JSON: " + e);
            return;
        }
        boolean granted = reply.path("lease").asBoolean(false);
        String reason = reply.path("reason").isString() ? reply.path("reason").asString() : null;
        cluster.lease().answered(sentAt, Duration.ofMillis(reply.path("leaseMs").asLong(0)), granted, reason);
        if (granted) {
            if (lastHeartbeatProblem != null) {
                log.info("the ECS grants the lease again{}", via == null ? "" : " (through " + via + ")");
            }
            lastHeartbeatProblem = null;
        } else if (!("no lease: " + reason).equals(lastHeartbeatProblem)) {
            // Routine around every ring change (the node is behind for a moment): not a warning.
            log.info("heartbeat acknowledged without renewing the lease: {}", reason);
            lastHeartbeatProblem = "no lease: " + reason;
        }
        if (gossip != null && reply.path("deadBy").isArray() && !reply.path("deadBy").isEmpty()) {
            // Others find this node dead though it runs: their news of its refutation was lost.
            gossip.refute(reply.path("deadBy").toString());
        }
        if (HEARTBEAT_UNKNOWN.equals(reply.path("status").asString(""))) {
            registered = false;
        }
        if (reply.path("epoch").asLong(0) > cluster.epoch()) {
            pullSoon();
        }
    }

    /** Queues one pull on the link's timer, unless one is queued already. */
    private void pullSoon() {
        if (pullQueued.compareAndSet(false, true)) {
            timer.execute(() -> {
                pullQueued.set(false);
                tick();
            });
        }
    }

    /**
     * The direct way to the ECS failed: heartbeats go through peers too from now on. Logged once
     * per kind of failure, not once per heartbeat.
     */
    private void directProblem(String problem) {
        if (!problem.equals(directProblem)) {
            log.warn("{} (the lease is {}{})", problem, cluster.leaseValid() ? "still valid" : "not valid",
                    gossip == null ? "" : "; heartbeats go through peers as well");
        }
        directProblem = problem;
    }

    private void directAnswered() {
        if (directProblem != null) {
            log.info("heartbeats reach the ECS directly again");
            directProblem = null;
        }
    }

    private void heartbeatProblem(String problem) {
        if (!problem.equals(lastHeartbeatProblem)) {
            log.warn("{} (the lease is {})", problem, cluster.leaseValid() ? "still valid" : "not valid");
        }
        lastHeartbeatProblem = problem;
    }

    private void tick() {
        try {
            if (!registered) {
                register();
            }
            pull();
            lastError = null;
        } catch (Exception e) {
            if (!e.toString().equals(lastError)) {
                log.warn("ECS at {} unreachable or refusing: {} (keeps serving with ring epoch {})", ecs, e,
                        cluster.epoch());
            }
            lastError = e.toString();
        }
    }

    private void register() throws Exception {
        String body = json.writeValueAsString(new Member(selfId, host, port, restPort));
        HttpResponse<String> response = send(HttpRequest.newBuilder(ecs.resolve("api/v1/nodes"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException("registration answered " + response.statusCode() + ": " + response.body());
        }
        registered = true;
        log.info("registered with the ECS at {} as {}", ecs, selfId);
    }

    private void pull() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(ecs.resolve("api/v1/ring")).GET());
        if (response.statusCode() == 404) {
            return; // the ECS has no ring yet
        }
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET ring answered " + response.statusCode());
        }
        RingView view = json.readValue(response.body(), RingView.class);
        if (view.epoch() > cluster.epoch() && cluster.adopt(view.toRing()) == ClusterState.Adoption.ADOPTED) {
            log.info("pulled ring epoch {} from the ECS", view.epoch());
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(REQUEST_TIMEOUT).header("Authorization", "Bearer " + token.value()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        beats.shutdownNow();
        timer.shutdownNow();
        http.close();
    }
}
