package io.ringkv.client;

import com.google.protobuf.ByteString;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

/**
 * A client of one ringkv node over the CPEN 431 request/reply protocol (design §2.1), by UDP (the
 * default) or pipelined TCP frames.
 *
 * <p>Outcomes: a method returns its result when the node answered SUCCESS; throws
 * {@link RingKvException} when the node answered an error code (the node's word is final); throws
 * {@link OutcomeUnknownException} when no answer came after every try, in which case a write may
 * or may not have been applied. A request that could not be admitted (too many in flight) fails
 * with {@link RejectedExecutionException} and was not sent; one that could not be sent at all
 * (TCP connect failed) fails with {@link RequestNotSentException}.
 *
 * <p>Retries reuse the request's messageID and this client's socket, so the node's at-most-once
 * cache answers them without executing the request twice. OVERLOAD replies are waited out (within
 * bounds) without using up a try.
 *
 * <p>Thread-safe; one client per node is meant to be shared. The async methods return futures that
 * complete on the client's I/O or timer thread: code chained onto them must not block, and the
 * blocking methods refuse to run there. Close the client to release its socket and threads.
 */
public final class RingKvClient implements AutoCloseable {
    private final InetSocketAddress server;
    private final Protocol protocol;
    private final Requester requester;

    RingKvClient(InetSocketAddress server, Protocol protocol, Requester requester) {
        this.server = server;
        this.protocol = protocol;
        this.requester = requester;
    }

    public static RingKvClientBuilder builder() {
        return new RingKvClientBuilder();
    }

    /** A UDP client with the default retry policy. */
    public static RingKvClient connect(String host, int port) {
        return builder().host(host).port(port).build();
    }

    public InetSocketAddress server() {
        return server;
    }

    public Protocol protocol() {
        return protocol;
    }

    public ClientStats stats() {
        return requester.stats();
    }

    // ---- async -------------------------------------------------------------------------------

    public CompletableFuture<Void> putAsync(byte[] key, byte[] value) {
        return expectSuccess(Command.PUT, kv(Command.PUT, key).setValue(ByteString.copyFrom(value)));
    }

    public CompletableFuture<Void> putAsync(byte[] key, byte[] value, int version) {
        return expectSuccess(Command.PUT, kv(Command.PUT, key).setValue(ByteString.copyFrom(value)).setVersion(version));
    }

    /** Completes with the value and its version, or fails with NO_SUCH_KEY. */
    public CompletableFuture<VersionedValue> getAsync(byte[] key) {
        return expect(Command.GET, kv(Command.GET, key),
                r -> new VersionedValue(r.getValue().toByteArray(), r.getVersion()));
    }

    /** Fails with NO_SUCH_KEY when nothing was stored under the key. */
    public CompletableFuture<Void> removeAsync(byte[] key) {
        return expectSuccess(Command.REMOVE, kv(Command.REMOVE, key));
    }

    public CompletableFuture<Void> isAliveAsync() {
        return expectSuccess(Command.IS_ALIVE, KVRequest.newBuilder().setCommand(Command.IS_ALIVE.code()));
    }

    /** The node's process id. */
    public CompletableFuture<Integer> pidAsync() {
        return expect(Command.GET_PID, KVRequest.newBuilder().setCommand(Command.GET_PID.code()), KVResponse::getPid);
    }

    /** How many members the node counts in its cluster, itself included. */
    public CompletableFuture<Integer> membershipCountAsync() {
        return expect(Command.GET_MEMBERSHIP_COUNT,
                KVRequest.newBuilder().setCommand(Command.GET_MEMBERSHIP_COUNT.code()),
                KVResponse::getMembershipCount);
    }

    /** Deletes every key on the node. */
    public CompletableFuture<Void> wipeoutAsync() {
        return expectSuccess(Command.WIPEOUT, KVRequest.newBuilder().setCommand(Command.WIPEOUT.code()));
    }

    /**
     * Asks the node process to exit. The node replies first, but the reply can be lost as the process
     * goes away, so an {@link OutcomeUnknownException} here usually means it worked.
     */
    public CompletableFuture<Void> shutdownAsync() {
        return expectSuccess(Command.SHUTDOWN, KVRequest.newBuilder().setCommand(Command.SHUTDOWN.code()));
    }

    /**
     * Sends any request and completes with the node's reply as it is, whatever its errCode (OVERLOAD
     * only once the client stopped waiting it out). For tests and tools that need the raw protocol.
     */
    public CompletableFuture<KVResponse> exchangeAsync(KVRequest request) {
        return requester.exchange(request).copy();
    }

    // ---- blocking ----------------------------------------------------------------------------

    public void put(byte[] key, byte[] value) {
        await(putAsync(key, value));
    }

    public void put(byte[] key, byte[] value, int version) {
        await(putAsync(key, value, version));
    }

    /** Stores the UTF-8 bytes of {@code value} under the UTF-8 bytes of {@code key}. */
    public void put(String key, String value) {
        put(utf8(key), utf8(value));
    }

    public void put(String key, String value, int version) {
        put(utf8(key), utf8(value), version);
    }

    public VersionedValue get(byte[] key) {
        return await(getAsync(key));
    }

    public VersionedValue get(String key) {
        return get(utf8(key));
    }

    public void remove(byte[] key) {
        await(removeAsync(key));
    }

    public void remove(String key) {
        remove(utf8(key));
    }

    /**
     * True when the node answered; false when no answer came after every try. An error reply still
     * throws, since the node is then alive but unwell.
     */
    public boolean isAlive() {
        try {
            await(isAliveAsync());
            return true;
        } catch (OutcomeUnknownException e) {
            if (e.reason() == OutcomeUnknownException.Reason.INTERRUPTED) {
                throw e;
            }
            return false;
        }
    }

    public int pid() {
        return await(pidAsync());
    }

    public int membershipCount() {
        return await(membershipCountAsync());
    }

    public void wipeout() {
        await(wipeoutAsync());
    }

    public void shutdown() {
        await(shutdownAsync());
    }

    /** Releases the socket and threads; requests still outstanding fail with an unknown outcome. */
    @Override
    public void close() {
        requester.close();
    }

    @Override
    public String toString() {
        return "RingKvClient[" + protocol + " " + server + "]";
    }

    // ---- plumbing ----------------------------------------------------------------------------

    private static KVRequest.Builder kv(Command command, byte[] key) {
        return KVRequest.newBuilder().setCommand(command.code()).setKey(ByteString.copyFrom(key));
    }

    private CompletableFuture<Void> expectSuccess(Command command, KVRequest.Builder request) {
        return expect(command, request, r -> null);
    }

    private <T> CompletableFuture<T> expect(Command command, KVRequest.Builder request, Function<KVResponse, T> result) {
        return requester.exchange(request.build()).thenApply(r -> {
            if (r.getErrCode() != ErrorCode.SUCCESS.code()) {
                throw new RingKvException(command, r.getErrCode(), r.getOverloadWaitTime());
            }
            return result.apply(r);
        });
    }

    private <T> T await(CompletableFuture<T> future) {
        if (requester.onOwnThread()) {
            throw new IllegalStateException(
                    "blocking call on the client's own I/O or timer thread would deadlock; chain an async call instead");
        }
        try {
            // Every request ends by itself (reply, last timeout, or close), so this wait is bounded.
            return future.get();
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OutcomeUnknownException(null, OutcomeUnknownException.Reason.INTERRUPTED, 0, 0, null, e);
        }
    }

    private static RuntimeException unwrap(Throwable cause) {
        if (cause instanceof RuntimeException runtime) {
            return runtime;
        }
        return new IllegalStateException(cause);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
