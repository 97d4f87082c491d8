package io.ringkv.client;

import com.google.protobuf.ByteString;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.RingMessages;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A ring-aware client for a whole cluster: it caches the ring, sends each request straight to the
 * key's owner over TCP, and marks it with the ring epoch it routed by. A node that disagrees
 * answers NOT_RESPONSIBLE with its ring; the client adopts the newer ring and resends to the owner
 * it names, at most {@link #REROUTES_MAX} times per request. WRITE_LOCKED (the key's range is
 * moving) is waited out the way OVERLOAD is.
 *
 * <p>Thread-safe. One {@link RingKvClient} per member, opened on first use.
 */
public final class ClusterClient implements AutoCloseable {
    /** A request is resent to another owner at most this often before the error reaches the caller. */
    static final int REROUTES_MAX = 3;
    /** WRITE_LOCKED replies waited out per request; a handoff locks a range for well under a second. */
    static final int LOCKED_RETRIES_MAX = 100;

    private final Map<String, RingKvClient> byAddress = new ConcurrentHashMap<>();
    private final Function<InetSocketAddress, RingKvClient> opener;
    private final AtomicLong notResponsible = new AtomicLong();
    private final AtomicLong writeLocked = new AtomicLong();
    private volatile Ring ring;

    private ClusterClient(Function<InetSocketAddress, RingKvClient> opener) {
        this.opener = opener;
    }

    /** Connects through any one of {@code seeds} (the first that answers) and learns the ring from it. */
    public static ClusterClient connect(List<InetSocketAddress> seeds) {
        return connect(seeds, address -> RingKvClient.builder().server(address).protocol(Protocol.TCP).build());
    }

    /** As {@link #connect(List)}, with each member's client built by {@code opener} (any protocol, any settings). */
    public static ClusterClient connect(List<InetSocketAddress> seeds, Function<InetSocketAddress, RingKvClient> opener) {
        ClusterClient client = new ClusterClient(opener);
        RuntimeException last = null;
        for (InetSocketAddress seed : seeds) {
            try {
                KVResponse reply = await(client.clientFor(seed).exchangeAsync(
                        KVRequest.newBuilder().setCommand(Command.GET_RING.code()).build()));
                if (reply.getErrCode() == ErrorCode.SUCCESS.code() && reply.hasRing()) {
                    client.ring = RingMessages.fromInfo(reply.getRing());
                    return client;
                }
                last = new IllegalStateException(seed + " has no ring (a lone node?): " + reply.getErrCode());
            } catch (RuntimeException e) {
                last = e;
            }
        }
        client.close();
        throw new IllegalStateException("no seed answered with a ring: " + seeds, last);
    }

    /** The ring the client routes by. */
    public Ring ring() {
        return ring;
    }

    /** NOT_RESPONSIBLE replies received: each one taught the client a newer ring. */
    public long notResponsibleReplies() {
        return notResponsible.get();
    }

    public long writeLockedReplies() {
        return writeLocked.get();
    }

    public void put(byte[] key, byte[] value, int version) {
        expectSuccess(Command.PUT, KVRequest.newBuilder().setCommand(Command.PUT.code()).setKey(ByteString.copyFrom(key))
                .setValue(ByteString.copyFrom(value)).setVersion(version));
    }

    public void put(String key, String value) {
        put(utf8(key), utf8(value), 0);
    }

    public VersionedValue get(byte[] key) {
        KVResponse r = expectSuccess(Command.GET, KVRequest.newBuilder().setCommand(Command.GET.code())
                .setKey(ByteString.copyFrom(key)));
        return new VersionedValue(r.getValue().toByteArray(), r.getVersion());
    }

    public VersionedValue get(String key) {
        return get(utf8(key));
    }

    public void remove(byte[] key) {
        expectSuccess(Command.REMOVE, KVRequest.newBuilder().setCommand(Command.REMOVE.code())
                .setKey(ByteString.copyFrom(key)));
    }

    /** The member the client would send this key to now. */
    public Member ownerOf(byte[] key) {
        return ring.ownerOfKey(key);
    }

    private KVResponse expectSuccess(Command command, KVRequest.Builder request) {
        byte[] key = request.getKey().toByteArray();
        int reroutes = 0;
        int lockedRetries = 0;
        while (true) {
            Ring routing = ring;
            Member owner = routing.ownerOfKey(key);
            KVResponse reply = await(clientFor(new InetSocketAddress(owner.host(), owner.port()))
                    .exchangeAsync(request.setRingEpoch(routing.epoch()).build()));
            int code = reply.getErrCode();
            if (code == ErrorCode.NOT_RESPONSIBLE.code() && reply.hasRing() && reroutes < REROUTES_MAX) {
                notResponsible.incrementAndGet();
                adopt(RingMessages.fromInfo(reply.getRing()));
                reroutes++;
                continue;
            }
            if (code == ErrorCode.WRITE_LOCKED.code() && lockedRetries < LOCKED_RETRIES_MAX) {
                writeLocked.incrementAndGet();
                lockedRetries++;
                sleep(Math.max(1, reply.getOverloadWaitTime()));
                continue;
            }
            if (code != ErrorCode.SUCCESS.code()) {
                throw new RingKvException(command, code, reply.getOverloadWaitTime());
            }
            return reply;
        }
    }

    private synchronized void adopt(Ring theirs) {
        if (ring == null || theirs.epoch() > ring.epoch()) {
            ring = theirs;
        }
    }

    private RingKvClient clientFor(InetSocketAddress address) {
        return byAddress.computeIfAbsent(address.getHostString() + ":" + address.getPort(), a -> opener.apply(address));
    }

    private static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(1, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OutcomeUnknownException(null, OutcomeUnknownException.Reason.INTERRUPTED, 0, 0, null, e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new OutcomeUnknownException(null, OutcomeUnknownException.Reason.TIMED_OUT, 0, 0, "no answer in 1 min", e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OutcomeUnknownException(null, OutcomeUnknownException.Reason.INTERRUPTED, 0, 0, null, e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        byAddress.values().forEach(RingKvClient::close);
        byAddress.clear();
    }
}
