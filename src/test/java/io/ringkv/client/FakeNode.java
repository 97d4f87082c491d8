package io.ringkv.client;

import com.google.protobuf.ByteString;
import io.ringkv.wire.Command;
import io.ringkv.wire.Envelope;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A throwaway UDP responder on loopback for client and bench tests: a scripted {@link Behavior}
 * decides, datagram by datagram, what to answer or whether to drop it. It records every datagram
 * it received, with its arrival time, sender and messageID. It has no at-most-once cache: the
 * behavior sees retries as the new datagrams they are.
 */
public final class FakeNode implements AutoCloseable {
    /** What arrived: {@code request} is null when the datagram was not a valid request envelope. */
    public record Received(int index, long atNanos, InetSocketAddress sender, ByteString messageId, KVRequest request) {}

    /** Returns the reply datagram for a received one, or null to drop it. Runs on the fake's thread. */
    @FunctionalInterface
    public interface Behavior {
        byte[] respond(Received received);
    }

    private final DatagramChannel channel;
    private final Thread thread;
    private final List<Received> received = new ArrayList<>();

    private FakeNode(Behavior behavior) throws IOException {
        channel = DatagramChannel.open();
        channel.bind(new InetSocketAddress("127.0.0.1", 0));
        thread = Thread.ofPlatform().daemon().name("fake-node").start(() -> serve(behavior));
    }

    public static FakeNode start(Behavior behavior) {
        try {
            return new FakeNode(behavior);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        try {
            return ((InetSocketAddress) channel.getLocalAddress()).getPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A snapshot of what arrived so far, in order. */
    public List<Received> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    private void serve(Behavior behavior) {
        ByteBuffer buffer = ByteBuffer.allocate(65_536);
        int index = 0;
        while (channel.isOpen()) {
            try {
                buffer.clear();
                InetSocketAddress sender = (InetSocketAddress) channel.receive(buffer);
                long now = System.nanoTime();
                buffer.flip();
                Received r = switch (Envelope.open(buffer)) {
                    case Envelope.Opened.Request req -> new Received(index, now, sender, req.messageId(), req.request());
                    default -> new Received(index, now, sender, null, null);
                };
                index++;
                synchronized (received) {
                    received.add(r);
                }
                byte[] reply = behavior.respond(r);
                if (reply != null) {
                    channel.send(ByteBuffer.wrap(reply), sender);
                }
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                // A test fake: keep serving, the test's assertions will tell.
            }
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
            thread.join(1_000);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- behaviors -------------------------------------------------------------------------------

    /** Seals {@code response} as the reply to {@code r}. */
    public static byte[] reply(Received r, KVResponse response) {
        return Envelope.sealReply(r.messageId(), response);
    }

    public static KVResponse code(ErrorCode code) {
        return KVResponse.newBuilder().setErrCode(code.code()).build();
    }

    public static KVResponse overload(int waitMs) {
        return KVResponse.newBuilder().setErrCode(ErrorCode.OVERLOAD.code()).setOverloadWaitTime(waitMs).build();
    }

    /** Never answers. */
    public static Behavior silent() {
        return r -> null;
    }

    /** Answers every valid request with {@code response}. */
    public static Behavior always(KVResponse response) {
        return r -> r.request() == null ? null : reply(r, response);
    }

    /** Drops the first {@code k} datagrams, then behaves like {@code then}. */
    public static Behavior dropFirst(int k, Behavior then) {
        return r -> r.index() < k ? null : then.respond(r);
    }

    /** Answers the first {@code n} datagrams OVERLOAD with the given wait, then behaves like {@code then}. */
    public static Behavior overloadFirst(int n, int waitMs, Behavior then) {
        return r -> r.index() < n ? reply(r, overload(waitMs)) : then.respond(r);
    }

    /**
     * A minimal key-value node: PUT, GET, REMOVE, WIPEOUT, IS_ALIVE, GET_PID (4242),
     * GET_MEMBERSHIP_COUNT (1), SHUTDOWN, with the protocol's key and value limits.
     */
    public static Behavior store() {
        Map<ByteString, KVResponse> data = new ConcurrentHashMap<>();
        AtomicInteger shutdowns = new AtomicInteger();
        return r -> {
            if (r.request() == null) {
                return null;
            }
            KVRequest q = r.request();
            Command command = Command.of(q.getCommand());
            if (command == null) {
                return reply(r, code(ErrorCode.UNKNOWN_COMMAND));
            }
            boolean keyed = command == Command.PUT || command == Command.GET || command == Command.REMOVE;
            if (keyed && (q.getKey().isEmpty() || q.getKey().size() > 32)) {
                return reply(r, code(ErrorCode.INVALID_KEY));
            }
            KVResponse response = switch (command) {
                case PUT -> {
                    if (q.getValue().size() > 10_000) {
                        yield code(ErrorCode.INVALID_VALUE);
                    }
                    data.put(q.getKey(), KVResponse.newBuilder().setErrCode(0).setValue(q.getValue())
                            .setVersion(q.getVersion()).build());
                    yield code(ErrorCode.SUCCESS);
                }
                case GET -> data.getOrDefault(q.getKey(), code(ErrorCode.NO_SUCH_KEY));
                case REMOVE -> data.remove(q.getKey()) != null ? code(ErrorCode.SUCCESS) : code(ErrorCode.NO_SUCH_KEY);
                case WIPEOUT -> {
                    data.clear();
                    yield code(ErrorCode.SUCCESS);
                }
                case SHUTDOWN -> {
                    shutdowns.incrementAndGet();
                    yield code(ErrorCode.SUCCESS);
                }
                case IS_ALIVE -> code(ErrorCode.SUCCESS);
                case GET_PID -> KVResponse.newBuilder().setErrCode(0).setPid(4242).build();
                case GET_MEMBERSHIP_COUNT -> KVResponse.newBuilder().setErrCode(0).setMembershipCount(1).build();
                case STORE_PUT, STORE_REMOVE, GET_RING, RANGE_PULL, HEARTBEAT_RELAY, RANGE_KEYS -> code(ErrorCode.UNKNOWN_COMMAND);
            };
            return reply(r, response);
        };
    }
}
