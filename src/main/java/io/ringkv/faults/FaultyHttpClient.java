package io.ringkv.faults;

import io.ringkv.faults.NetworkRule.Direction;
import io.ringkv.faults.NetworkRule.Protocol;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Authenticator;
import java.net.ConnectException;
import java.net.CookieHandler;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A node's HTTP calls to the ECS (registration, ring pulls, heartbeats) put through the node's
 * {@link NetworkFaults} plan as TCP traffic to the request's host and port: the request is
 * outbound, the response inbound. With a cut to the ECS's address, a node is partitioned from its
 * coordinator while its clients and peers still reach it; together with cuts to its peers, and the
 * ECS's own calls refused on the node's side, that is a node alone on the minority side.
 *
 * <p>Fault model, per call: request or response cut (fails at once with a {@link ConnectException},
 * as a refused connection does), lost (fails when the request's timeout runs out, as an
 * unanswered call does), or delayed. Duplication and reordering do not apply: HTTP runs over a
 * connection that neither duplicates nor reorders.
 *
 * <p>Thread-safe. {@link #sendAsync} never blocks; {@link #send} blocks as long as the call it
 * stands for would.
 */
final class FaultyHttpClient extends HttpClient {
    /** How long a lost call takes to fail when its request sets no timeout of its own. */
    static final Duration LOST_CALL_TIMEOUT = Duration.ofSeconds(10);

    private final HttpClient http;
    private final NetworkFaults faults;
    private final Delayer delayer;

    FaultyHttpClient(HttpClient http, NetworkFaults faults) {
        this.http = http;
        this.faults = faults;
        this.delayer = faults.delayer();
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
            HttpResponse.BodyHandler<T> handler) {
        return sendAsync(request, handler, null);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
            HttpResponse.PushPromiseHandler<T> pushes) {
        InetSocketAddress address = NetworkFaults.addressOf(request.uri());
        long timeoutMs = request.timeout().orElse(LOST_CALL_TIMEOUT).toMillis();
        CompletableFuture<HttpResponse<T>> result = new CompletableFuture<>();
        switch (faults.decide(Protocol.TCP, Direction.OUTBOUND, address)) {
            case Fate.Cut cut -> result.completeExceptionally(cut(address));
            case Fate.Drop drop -> lost(result, request, timeoutMs);
            case Fate.Deliver deliver -> later(result, deliver.delayMs(), () -> http.sendAsync(request, handler, pushes)
                    .whenComplete((response, failure) -> {
                        if (failure != null) {
                            result.completeExceptionally(failure);
                            return;
                        }
                        switch (faults.decide(Protocol.TCP, Direction.INBOUND, address)) {
                            case Fate.Cut cut -> result.completeExceptionally(cut(address));
                            case Fate.Drop drop -> lost(result, request, timeoutMs);
                            case Fate.Deliver late -> later(result, late.delayMs(), () -> result.complete(response));
                        }
                    }));
        }
        return result;
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        try {
            return sendAsync(request, handler).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        }
    }

    private void later(CompletableFuture<?> result, long delayMs, Runnable task) {
        if (delayMs == 0) {
            task.run();
            return;
        }
        try {
            delayer.schedule(task, delayMs);
        } catch (RuntimeException e) {
            result.completeExceptionally(new InterruptedIOException("the fault delayer is closed: " + e));
        }
    }

    private void lost(CompletableFuture<?> result, HttpRequest request, long timeoutMs) {
        later(result, Math.max(1, timeoutMs), () -> result.completeExceptionally(new HttpTimeoutException(
                request.method() + " " + request.uri() + " timed out after " + timeoutMs + " ms (lost by ringkv.faults)")));
    }

    private static ConnectException cut(InetSocketAddress address) {
        return new ConnectException("connection to " + address + " refused: link cut by ringkv.faults");
    }

    // The rest is the decorated client's.

    @Override
    public Optional<CookieHandler> cookieHandler() {
        return http.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
        return http.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
        return http.followRedirects();
    }

    @Override
    public Optional<ProxySelector> proxy() {
        return http.proxy();
    }

    @Override
    public SSLContext sslContext() {
        return http.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
        return http.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
        return http.authenticator();
    }

    @Override
    public Version version() {
        return http.version();
    }

    @Override
    public Optional<Executor> executor() {
        return http.executor();
    }

    @Override
    public void shutdown() {
        http.shutdown();
    }

    @Override
    public void shutdownNow() {
        http.shutdownNow();
    }

    @Override
    public boolean awaitTermination(Duration duration) throws InterruptedException {
        return http.awaitTermination(duration);
    }

    @Override
    public boolean isTerminated() {
        return http.isTerminated();
    }

    @Override
    public void close() {
        http.close();
    }
}
