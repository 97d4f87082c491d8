package io.ringkv.it;

import com.google.protobuf.ByteString;
import io.ringkv.wire.Envelope;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * A raw UDP client for tests: one socket (so one client address and port, which is what the
 * at-most-once cache keys on), chosen messageIDs, and bounded waits.
 *
 * <p>{@link #call} behaves like the reference clients: it resends the same messageID when no reply
 * comes within {@link #attemptTimeout}, and after an OVERLOAD reply once the advised wait has passed.
 * Replies to other messageIDs (late answers to earlier attempts) are skipped. Not thread-safe: one
 * client per thread.
 */
public final class UdpKv implements AutoCloseable {
    private static final int DATAGRAM_BYTES_MAX = 65_535;
    private static final int ATTEMPTS_MAX = 5;
    private static final Duration OVERLOAD_WAIT_MAX = Duration.ofSeconds(1);
    /** How often {@link #tryCall} looks at its abandon condition while it waits for a reply. */
    private static final Duration ABANDON_POLL = Duration.ofMillis(50);
    /** The last wait after abandoning: a reply sent before the node died is already queued locally. */
    private static final Duration ABANDON_DRAIN = Duration.ofMillis(50);

    private final DatagramSocket socket;
    private volatile InetSocketAddress node;
    private final byte[] receiveBuffer = new byte[DATAGRAM_BYTES_MAX];
    private final Duration attemptTimeout;

    public UdpKv(InetSocketAddress node) {
        this(node, Duration.ofSeconds(1));
    }

    public UdpKv(InetSocketAddress node, Duration attemptTimeout) {
        this.attemptTimeout = attemptTimeout;
        this.node = node;
        try {
            // Not connected: a connected JDK datagram socket silently sends nothing for an empty
            // datagram (no syscall for zero bytes), and the empty datagram is one of our cases.
            socket = new DatagramSocket(new InetSocketAddress(node.getAddress(), 0));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a UDP socket to " + node, e);
        }
    }

    /** Sends from now on to another node, from the same socket (so the same client address). */
    public void target(InetSocketAddress other) {
        node = other;
    }

    /** Sends the request under a fresh messageID and returns the reply (see the class comment). */
    public KVResponse call(KVRequest request) {
        return call(Kv.newId(), request);
    }

    /** Sends the request under {@code messageId}, resending the same bytes until a reply arrives. */
    public KVResponse call(ByteString messageId, KVRequest request) {
        return tryCall(messageId, request, () -> false).orElseThrow(() -> new AssertionError("no reply to messageID "
                + hex(messageId) + " (command " + request.getCommand() + ") after " + ATTEMPTS_MAX + " attempts of "
                + attemptTimeout));
    }

    /**
     * As {@link #call(ByteString, KVRequest)}, for tests in which "no reply" is an outcome to record
     * rather than a failure (the node is killed while requests are in flight): empty when no reply
     * came within the attempts, or as soon as {@code abandon} turns true and a last short wait brings
     * none. {@code abandon} is polled every {@link #ABANDON_POLL}; a caller sets it once the node is
     * known to be dead, so whatever reply the node sent before dying is already in this socket's
     * buffer and is still returned. The reply may be OVERLOAD when every attempt was answered so.
     */
    public Optional<KVResponse> tryCall(ByteString messageId, KVRequest request, BooleanSupplier abandon) {
        byte[] datagram = Envelope.sealRequest(messageId, request);
        for (int attempt = 1; attempt <= ATTEMPTS_MAX; attempt++) {
            send(datagram);
            Optional<KVResponse> reply = awaitReply(messageId, attemptTimeout, abandon);
            if (reply.isEmpty()) {
                if (abandon.getAsBoolean()) {
                    return awaitReply(messageId, ABANDON_DRAIN);
                }
                continue;
            }
            if (reply.get().getErrCode() == ErrorCode.OVERLOAD.code() && attempt < ATTEMPTS_MAX) {
                NodeProcess.sleep(min(Duration.ofMillis(reply.get().getOverloadWaitTime()), OVERLOAD_WAIT_MAX));
                continue;
            }
            return reply;
        }
        return Optional.empty();
    }

    /** As {@link #awaitReply(ByteString, Duration)}, returning early (empty) once {@code abandon} is true. */
    private Optional<KVResponse> awaitReply(ByteString messageId, Duration timeout, BooleanSupplier abandon) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long leftNanos = deadline - System.nanoTime();
            if (leftNanos <= 0 || abandon.getAsBoolean()) {
                return Optional.empty();
            }
            Optional<KVResponse> reply = awaitReply(messageId, min(Duration.ofNanos(leftNanos), ABANDON_POLL));
            if (reply.isPresent()) {
                return reply;
            }
        }
    }

    public KVResponse put(ByteString key, ByteString value, int version) {
        return call(Kv.put(key, value, version));
    }

    public KVResponse get(ByteString key) {
        return call(Kv.get(key));
    }

    public KVResponse remove(ByteString key) {
        return call(Kv.remove(key));
    }

    /** Sends any bytes as one datagram, once. */
    public void send(byte[] datagram) {
        try {
            socket.send(new DatagramPacket(datagram, datagram.length, node));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot send a datagram of " + datagram.length + " bytes", e);
        }
    }

    /** The reply to {@code messageId} if one arrives within {@code timeout}; other replies are skipped. */
    public Optional<KVResponse> awaitReply(ByteString messageId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<Envelope.Reply> reply = receive(Duration.ofNanos(deadline - System.nanoTime()));
            if (reply.isEmpty()) {
                return Optional.empty();
            }
            if (reply.get().messageId().equals(messageId)) {
                return Optional.of(reply.get().response());
            }
        }
    }

    /**
     * The next datagram that is a valid reply, if one arrives within {@code timeout}. A datagram
     * that is not a valid reply (bad checksum, unparseable) fails the test: the node must never
     * send one.
     */
    public Optional<Envelope.Reply> receive(Duration timeout) {
        long timeoutMs = timeout.toMillis();
        if (timeoutMs <= 0) {
            return Optional.empty();
        }
        DatagramPacket packet = new DatagramPacket(receiveBuffer, receiveBuffer.length);
        try {
            socket.setSoTimeout((int) Math.min(timeoutMs, Integer.MAX_VALUE));
            socket.receive(packet);
        } catch (SocketTimeoutException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("UDP receive failed", e);
        }
        if (!node.equals(packet.getSocketAddress())) {
            throw new AssertionError("a datagram from " + packet.getSocketAddress() + ", expected only " + node);
        }
        Envelope.Reply reply = Envelope.openReply(ByteBuffer.wrap(packet.getData(), 0, packet.getLength()));
        if (reply == null) {
            throw new AssertionError("the node sent a datagram of " + packet.getLength()
                    + " bytes that is not a valid reply envelope");
        }
        return Optional.of(reply);
    }

    /** The local address the node sees as this client. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    @Override
    public void close() {
        socket.close();
    }

    static String hex(ByteString bytes) {
        return java.util.HexFormat.of().formatHex(bytes.toByteArray());
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
