package io.ringkv.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.ringkv.faults.NetworkRule.Direction;
import io.ringkv.faults.NetworkRule.Protocol;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The ECS link's HTTP calls through a fault plan, against a real loopback HTTP server. */
@Timeout(30)
class FaultyHttpClientTest {
    private final NetworkFaults faults = new NetworkFaults();
    private final AtomicInteger served = new AtomicInteger();
    private HttpServer server;
    private HttpClient http;
    private InetSocketAddress address;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            served.incrementAndGet();
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        address = server.getAddress();
        http = faults.wrap(HttpClient.newHttpClient());
    }

    @AfterEach
    void stop() {
        http.close();
        server.stop(0);
        faults.close();
    }

    private HttpResponse<String> call(Duration timeout) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + "/beat"))
                .timeout(timeout).POST(HttpRequest.BodyPublishers.ofString("{}")).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private NetworkRule rule(InetSocketAddress peer, Direction direction, double dropPercent, int delayMs,
            boolean cut) {
        return new NetworkRule(Protocol.TCP, direction, peer, dropPercent, 0, delayMs, 0, false, cut);
    }

    @Test
    void aCallPassesUntouchedWithoutRulesAndRulesForOtherPeersOrUdp() throws Exception {
        assertThat(call(Duration.ofSeconds(5)).body()).isEqualTo("ok");
        faults.arm(List.of(rule(new InetSocketAddress("127.0.0.1", 1), Direction.BOTH, 0, 0, true),
                new NetworkRule(Protocol.UDP, Direction.BOTH, null, 100, 0, 0, 0, false, false)), 1);
        assertThat(call(Duration.ofSeconds(5)).body()).isEqualTo("ok");
        assertThat(served).hasValue(2);
    }

    @Test
    void aCutToTheAddressRefusesAtOnceAndNothingReachesTheServer() throws Exception {
        faults.arm(List.of(rule(new InetSocketAddress("127.0.0.1", address.getPort()), Direction.BOTH, 0, 0, true)),
                1);
        long start = System.nanoTime();
        assertThatThrownBy(() -> call(Duration.ofSeconds(5))).isInstanceOf(ConnectException.class)
                .hasMessageContaining("cut by ringkv.faults");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat(served).hasValue(0);
        assertThat(faults.counters().cut()).isPositive();

        faults.heal();
        assertThat(call(Duration.ofSeconds(5)).body()).as("healed").isEqualTo("ok");
        assertThat(served).hasValue(1);
    }

    @Test
    void aLostResponseFailsWhenTheRequestTimesOutThoughTheServerRanIt() {
        faults.arm(List.of(rule(null, Direction.INBOUND, 100, 0, false)), 1);
        long start = System.nanoTime();
        assertThatThrownBy(() -> call(Duration.ofMillis(300))).isInstanceOf(HttpTimeoutException.class)
                .hasMessageContaining("lost by ringkv.faults");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
        assertThat(served).as("the request went out; its answer was lost").hasValue(1);
    }

    @Test
    void aDelayedRequestArrivesLate() throws Exception {
        faults.arm(List.of(rule(null, Direction.OUTBOUND, 0, 200, false)), 1);
        long start = System.nanoTime();
        assertThat(call(Duration.ofSeconds(5)).body()).isEqualTo("ok");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(190));
    }
}
