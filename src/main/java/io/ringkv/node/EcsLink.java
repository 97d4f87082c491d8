package io.ringkv.node;

import io.ringkv.admin.AdminToken;
import io.ringkv.cluster.ClusterState;
import io.ringkv.ring.Member;
import io.ringkv.ring.RingView;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * <p>While the ECS is down the node keeps the last ring it knows, forwarding by it, but its lease
 * runs out: it stops acting as owner until the ECS answers again (it cannot tell an ECS that is down
 * from one that declared it failed).
 */
final class EcsLink implements ApplicationListener<ApplicationReadyEvent>, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EcsLink.class);
    static final Duration PULL_PERIOD = Duration.ofSeconds(2);
    /** The status a heartbeat reply gives when the ECS does not know this node. */
    static final String HEARTBEAT_UNKNOWN = "UNKNOWN";
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);
    /** Heartbeats awaiting a reply: beyond it a beat is skipped (the ECS is slow; a late reply renews little). */
    static final int HEARTBEATS_IN_FLIGHT_MAX = 4;

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

    EcsLink(String ecsUrl, String selfId, String host, int port, AdminToken token, ClusterState cluster,
            JsonMapper json, Duration heartbeatInterval, UnaryOperator<HttpClient> network) {
        this.http = network.apply(HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).build());
        this.ecs = URI.create(ecsUrl.endsWith("/") ? ecsUrl : ecsUrl + "/");
        this.selfId = selfId;
        this.host = host;
        this.port = port;
        this.token = token;
        this.cluster = cluster;
        this.json = json;
        this.heartbeatInterval = heartbeatInterval;
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
            heartbeatProblem("the ECS has not answered the last " + HEARTBEATS_IN_FLIGHT_MAX + " heartbeats; skipping");
            return;
        }
        long sentAt = cluster.lease().now();
        try {
            String body = json.writeValueAsString(Map.of("incarnation", cluster.incarnation(), "epoch", cluster.epoch()));
            HttpRequest request = HttpRequest.newBuilder(ecs.resolve("api/v1/nodes/"
                            + URLEncoder.encode(selfId, StandardCharsets.UTF_8) + "/heartbeat"))
                    .timeout(REQUEST_TIMEOUT)
                    .header("Authorization", "Bearer " + token.value())
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build();
            http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, failure) -> {
                heartbeatsInFlight.release();
                onHeartbeatReply(sentAt, response, failure);
            });
        } catch (RuntimeException e) {
            heartbeatsInFlight.release();
            heartbeatProblem("heartbeat not sent: " + e);
        }
    }

    private void onHeartbeatReply(long sentAt, HttpResponse<String> response, Throwable failure) {
        if (failure != null) {
            heartbeatProblem("heartbeat unanswered: " + failure);
            return;
        }
        if (response.statusCode() != 200) {
            heartbeatProblem("heartbeat answered " + response.statusCode() + ": " + response.body());
            return;
        }
        JsonNode reply;
        try {
            reply = json.readTree(response.body());
        } catch (RuntimeException e) {
            heartbeatProblem("heartbeat answered with a body that is not JSON: " + e);
            return;
        }
        boolean granted = reply.path("lease").asBoolean(false);
        String reason = reply.path("reason").isString() ? reply.path("reason").asString() : null;
        cluster.lease().answered(sentAt, Duration.ofMillis(reply.path("leaseMs").asLong(0)), granted, reason);
        if (granted) {
            if (lastHeartbeatProblem != null) {
                log.info("the ECS grants the lease again");
            }
            lastHeartbeatProblem = null;
        } else if (!("no lease: " + reason).equals(lastHeartbeatProblem)) {
            // Routine around every ring change (the node is behind for a moment): not a warning.
            log.info("heartbeat acknowledged without renewing the lease: {}", reason);
            lastHeartbeatProblem = "no lease: " + reason;
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
