package io.ringkv.ecs;

import io.ringkv.admin.Caller;
import io.ringkv.ring.Member;
import io.ringkv.ring.RingView;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link NodeClient} over HTTP/1.1 with the JDK client: every request carries the cluster's admin
 * token and is bounded by {@code requestTimeout}. Nodes answer small JSON bodies, so a blocking
 * client on the caller's thread is enough; the coordinator calls nodes one at a time.
 */
public final class HttpNodeClient implements NodeClient {
    private final HttpClient http;
    private final String token;
    private final Duration requestTimeout;
    private final JsonMapper json = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    public HttpNodeClient(String token, Duration connectTimeout, Duration requestTimeout) {
        this.token = token;
        this.requestTimeout = requestTimeout;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .build();
    }

    @Override
    public NodeInfo info(Member node) {
        JsonNode body = parse(node, "GET /api/v1/node", call(node, "GET", "/api/v1/node", null, Set.of(200)));
        return new NodeInfo(body.path("id").asString(""), body.path("pid").asLong(0));
    }

    @Override
    public boolean ready(Member node) {
        try {
            call(node, "GET", "/actuator/health/readiness", null, Set.of(200));
            return true;
        } catch (NodeCallException notReady) {
            return false;
        }
    }

    @Override
    public void putRing(Member node, RingView ring) {
        call(node, "PUT", "/api/v1/node/ring", json.writeValueAsString(ring), Set.of(200));
    }

    @Override
    public void startHandoff(Member node, RingView target) {
        call(node, "POST", "/api/v1/node/handoff", json.writeValueAsString(Map.of("ring", target)),
                Set.of(200, 202));
    }

    @Override
    public HandoffStatus handoff(Member node) {
        String what = "GET /api/v1/node/handoff";
        JsonNode body = parse(node, what, call(node, "GET", "/api/v1/node/handoff", null, Set.of(200)));
        return new HandoffStatus(state(node, what, body, HandoffState.class), body.path("targetEpoch").asLong(0),
                body.path("keysSent").asLong(0), body.path("bytesSent").asLong(0),
                body.path("error").isNull() ? null : body.path("error").asString(null),
                body.path("ranges").asInt(0), body.path("rangesDone").asInt(0));
    }

    @Override
    public void abortHandoff(Member node) {
        call(node, "DELETE", "/api/v1/node/handoff", null, Set.of(200, 204));
    }

    @Override
    public void startRepair(Member node, long epoch) {
        call(node, "POST", "/api/v1/node/repair", json.writeValueAsString(Map.of("epoch", epoch)), Set.of(200, 202));
    }

    @Override
    public RepairStatus repair(Member node) {
        String what = "GET /api/v1/node/repair";
        JsonNode body = parse(node, what, call(node, "GET", "/api/v1/node/repair", null, Set.of(200)));
        return new RepairStatus(body.path("epoch").asLong(0), state(node, what, body, RepairState.class),
                body.path("ranges").asInt(0), body.path("rangesDone").asInt(0), body.path("keys").asLong(0),
                body.path("bytes").asLong(0), body.path("error").isString() ? body.path("error").asString() : null);
    }

    /** The body's {@code state}, one of {@code type}'s names; anything else is the node's error. */
    private static <E extends Enum<E>> E state(Member node, String what, JsonNode body, Class<E> type) {
        String state = body.path("state").asString("");
        try {
            return Enum.valueOf(type, state);
        } catch (IllegalArgumentException e) {
            throw new NodeCallException("node " + node.id() + " answered " + what + " with unknown state '"
                    + state + "'", 200, e);
        }
    }

    @Override
    public void shutdown(Member node) {
        call(node, "POST", "/api/v1/node/shutdown", null, Set.of(200, 202, 204));
    }

    private String call(Member node, String method, String path, String body, Set<Integer> expected) {
        String what = method + " " + path;
        var builder = HttpRequest.newBuilder(URI.create("http://" + node.host() + ":" + node.restPort() + path))
                .timeout(requestTimeout)
                .header("Authorization", "Bearer " + token)
                .header(Caller.HEADER, Caller.ECS)
                .header("Accept", "application/json, application/problem+json");
        if (body != null) {
            builder.header("Content-Type", "application/json");
        }
        builder.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response;
        try {
            response = http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new NodeCallException("node " + node.id() + " at " + node.host() + ":" + node.restPort()
                    + " did not answer " + what + ": " + e, 0, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NodeCallException("interrupted during " + what + " to node " + node.id(), 0, e);
        }
        if (!expected.contains(response.statusCode())) {
            throw new NodeCallException("node " + node.id() + " answered " + what + " with " + response.statusCode()
                    + explain(response.statusCode()) + detail(response.body()), response.statusCode(), null);
        }
        return response.body();
    }

    private JsonNode parse(Member node, String what, String body) {
        try {
            return json.readTree(body);
        } catch (JacksonException e) {
            throw new NodeCallException("node " + node.id() + " answered " + what + " with a body that is not JSON",
                    200, e);
        }
    }

    /** What a status means here, for the operator reading an operation's errors. */
    private static String explain(int status) {
        return switch (status) {
            case 401 -> " (the node has another admin token than the ECS)";
            case 404 -> " (the node does not know this endpoint: is it older than the ECS?)";
            case 409 -> " (the node is ahead of this request, e.g. it has a newer ring epoch)";
            default -> "";
        };
    }

    /** The problem's detail, if the node sent one, else nothing. */
    private String detail(String body) {
        try {
            JsonNode detail = json.readTree(body).path("detail");
            return detail.isString() ? ": " + detail.asString() : "";
        } catch (JacksonException | IllegalArgumentException notJson) {
            return "";
        }
    }
}
