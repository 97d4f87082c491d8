package io.ringkv.it;

import com.google.protobuf.ByteString;
import io.ringkv.wire.Envelope;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import io.ringkv.wire.proto.Msg;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * A TCP client for the protobuf frame protocol: varint-length-delimited {@code Msg} envelopes,
 * pipelined. Writes are buffered until {@link #flush()}; every read is bounded by
 * {@link #READ_TIMEOUT}. Not thread-safe.
 */
public final class TcpKv implements AutoCloseable {
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(5);

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public TcpKv(InetSocketAddress node) {
        try {
            socket = new Socket();
            socket.connect(node, (int) READ_TIMEOUT.toMillis());
            socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
            socket.setTcpNoDelay(true);
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to " + node, e);
        }
    }

    /** Queues one request frame; nothing is sent until {@link #flush()}. */
    public void write(ByteString messageId, KVRequest request) {
        try {
            Envelope.seal(messageId, request.toByteString()).writeDelimitedTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a frame", e);
        }
    }

    /** Queues raw bytes (garbage, hand-made headers). */
    public void writeRaw(byte[] bytes) {
        try {
            out.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + bytes.length + " bytes", e);
        }
    }

    public void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot flush", e);
        }
    }

    /** The next reply frame, checksum verified. Fails if none arrives within the read timeout. */
    public Envelope.Reply read() {
        try {
            Msg msg = Msg.parseDelimitedFrom(in);
            if (msg == null) {
                throw new AssertionError("the node closed the connection instead of replying");
            }
            Envelope.Reply reply = Envelope.openReply(ByteBuffer.wrap(msg.toByteArray()));
            if (reply == null) {
                throw new AssertionError("the node sent a frame that is not a valid reply envelope: " + msg);
            }
            return reply;
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no reply frame within " + READ_TIMEOUT, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read a reply frame", e);
        }
    }

    /** One request, one reply (checked to carry the same messageID). */
    public KVResponse call(KVRequest request) {
        ByteString id = Kv.newId();
        write(id, request);
        flush();
        Envelope.Reply reply = read();
        if (!reply.messageId().equals(id)) {
            throw new AssertionError("reply for messageID " + UdpKv.hex(reply.messageId()) + ", expected "
                    + UdpKv.hex(id));
        }
        return reply.response();
    }

    /**
     * True if the node closes this connection (end of stream or reset) within {@code timeout}, with
     * any replies still in flight skipped; false if the connection is still open when time runs out.
     */
    public boolean closedByPeerWithin(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] sink = new byte[4096];
        try {
            while (System.nanoTime() < deadline) {
                socket.setSoTimeout((int) Math.max(1, Duration.ofNanos(deadline - System.nanoTime()).toMillis()));
                try {
                    if (in.read(sink) < 0) {
                        return true;
                    }
                } catch (SocketTimeoutException e) {
                    return false;
                }
            }
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // Nothing left to release.
        }
    }
}
