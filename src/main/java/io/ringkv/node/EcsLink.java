package io.ringkv.node;

import io.ringkv.admin.AdminToken;
import io.ringkv.cluster.ClusterState;
import io.ringkv.ring.Member;
import io.ringkv.ring.RingView;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationListener;
import tools.jackson.databind.json.JsonMapper;

/**
 * The node's side of its link to the ECS ({@code ringkv.node.ecs}): once the node is ready it
 * registers ({@code POST /api/v1/nodes}, retried until the ECS answers), and from then on pulls
 * the ring ({@code GET /api/v1/ring}) every {@link #PULL_PERIOD} as a fallback for pushes it may
 * have missed. While the ECS is down the node keeps serving with the last ring it knows.
 */
final class EcsLink implements ApplicationListener<ApplicationReadyEvent>, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EcsLink.class);
    static final Duration PULL_PERIOD = Duration.ofSeconds(2);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);

    private final URI ecs;
    private final String selfId;
    private final String host;
    private final int port;
    private final AdminToken token;
    private final ClusterState cluster;
    private final JsonMapper json;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).build();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("ringkv-ecs-link").factory());
    private volatile boolean registered;
    private volatile int restPort;
    private volatile String lastError;

    EcsLink(String ecsUrl, String selfId, String host, int port, AdminToken token, ClusterState cluster,
            JsonMapper json) {
        this.ecs = URI.create(ecsUrl.endsWith("/") ? ecsUrl : ecsUrl + "/");
        this.selfId = selfId;
        this.host = host;
        this.port = port;
        this.token = token;
        this.cluster = cluster;
        this.json = json;
    }

    @Override
    public void onApplicationEvent(ApplicationReadyEvent event) {
        if (event.getApplicationContext() instanceof WebServerApplicationContext web) {
            restPort = web.getWebServer().getPort();
        }
        timer.scheduleWithFixedDelay(this::tick, 0, PULL_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
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
        timer.shutdownNow();
        http.close();
    }
}
