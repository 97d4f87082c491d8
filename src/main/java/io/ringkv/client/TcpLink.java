package io.ringkv.client;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;

/**
 * One TCP connection carrying varint-length-prefixed frames (protobuf's delimited format), with
 * requests pipelined and replies matched by messageID in any order.
 *
 * <p>Senders only enqueue; a writer thread drains the queue and flushes once it is empty, so a
 * burst of requests leaves in few segments and a node that stops reading never blocks a caller.
 * The queue holds at most the client's in-flight limit of envelopes, because every envelope
 * belongs to a request holding a permit. When the connection breaks, its outstanding requests are
 * reported lost (their replies could only come back on that connection, and a resend on a new one
 * would come from a new address, which the node's at-most-once cache would not recognise); the
 * next request connects again.
 */
final class TcpLink implements Link {
    private static final System.Logger log = System.getLogger("io.ringkv.client");
    /** A 10,000-byte value plus the envelope fits many times over; anything longer is a broken stream. */
    static final int FRAME_BYTES_MAX = 1 << 20;
    private static final int VARINT_BYTES_MAX = 5;
    private static final int BUFFER_BYTES = 64 << 10;
    private static final long JOIN_MS_MAX = 1_000;

    private final InetSocketAddress server;
    private final int connectTimeoutMs;
    private Receiver receiver;
    private ThreadFactory threads;
    // Guarded by this.
    private Connection current;
    private long generation;
    private boolean closed;

    /** Connects right away, so that a wrong address fails when the client is built. */
    TcpLink(InetSocketAddress server, int connectTimeoutMs) throws IOException {
        this.server = server;
        this.connectTimeoutMs = connectTimeoutMs;
        current = new Connection(connect(), 0);
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(server, connectTimeoutMs);
            return socket;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    @Override
    public synchronized void start(Receiver receiver, ThreadFactory threads) {
        this.receiver = receiver;
        this.threads = threads;
        current.startThreads();
    }

    @Override
    public long send(byte[] envelope) throws IOException {
        Connection connection = connection();
        connection.enqueue(envelope);
        return connection.generation;
    }

    private synchronized Connection connection() throws IOException {
        if (closed) {
            throw new NotSentException("client is closed", new ClosedChannelException());
        }
        if (current.broken) {
            Socket socket;
            try {
                socket = connect();
            } catch (IOException e) {
                throw new NotSentException("cannot connect to " + server + ": " + e.getMessage(), e);
            }
            current = new Connection(socket, ++generation);
            current.startThreads();
        }
        return current;
    }

    @Override
    public boolean retransmits() {
        return false;
    }

    @Override
    public int envelopeBytesMax() {
        return FRAME_BYTES_MAX;
    }

    @Override
    public void close() {
        Connection connection;
        synchronized (this) {
            closed = true;
            connection = current;
        }
        connection.shutDown(null);
        connection.join();
    }

    private final class Connection {
        /** Tells the writer to stop; compared by identity. */
        private static final byte[] POISON = new byte[0];

        private final Socket socket;
        private final long generation;
        private final LinkedBlockingQueue<byte[]> outbound = new LinkedBlockingQueue<>();
        private volatile boolean broken;
        private Thread reader;
        private Thread writer;

        Connection(Socket socket, long generation) {
            this.socket = socket;
            this.generation = generation;
        }

        void startThreads() {
            reader = threads.newThread(this::read);
            reader.setName("ringkv-client-tcp-rx-" + server.getPort());
            writer = threads.newThread(this::write);
            writer.setName("ringkv-client-tcp-tx-" + server.getPort());
            reader.start();
            writer.start();
        }

        void enqueue(byte[] envelope) throws IOException {
            if (broken) {
                throw new IOException("connection to " + server + " lost");
            }
            outbound.add(envelope);
        }

        private void write() {
            try (OutputStream out = new BufferedOutputStream(socket.getOutputStream(), BUFFER_BYTES)) {
                while (true) {
                    byte[] envelope = outbound.take();
                    while (envelope != null) {
                        if (envelope == POISON) {
                            return;
                        }
                        writeFrame(out, envelope);
                        envelope = outbound.poll();
                    }
                    out.flush();
                }
            } catch (IOException e) {
                shutDown(e);
            } catch (InterruptedException e) {
                shutDown(new IOException("writer interrupted", e));
            }
        }

        private void read() {
            try (InputStream in = new BufferedInputStream(socket.getInputStream(), BUFFER_BYTES)) {
                while (true) {
                    int length = readVarint(in);
                    if (length > FRAME_BYTES_MAX) {
                        throw new IOException("reply frame of " + length + " bytes exceeds " + FRAME_BYTES_MAX);
                    }
                    byte[] frame = in.readNBytes(length);
                    if (frame.length < length) {
                        throw new EOFException("node closed the connection in the middle of a frame");
                    }
                    receiver.onReply(ByteBuffer.wrap(frame));
                }
            } catch (IOException | RuntimeException e) {
                shutDown(e instanceof IOException io ? io : new IOException(e));
            }
        }

        /** Marks the connection broken once; {@code cause} is null for a deliberate close. */
        void shutDown(IOException cause) {
            synchronized (this) {
                if (broken) {
                    return;
                }
                broken = true;
            }
            outbound.clear();
            outbound.add(POISON);
            try {
                socket.close();
            } catch (IOException e) {
                log.log(System.Logger.Level.DEBUG, "closing the TCP socket failed", e);
            }
            if (cause != null && receiver != null) {
                log.log(System.Logger.Level.DEBUG, () -> "connection to " + server + " lost: " + cause);
                receiver.onLost(generation, cause);
            }
        }

        void join() {
            for (Thread thread : new Thread[] {reader, writer}) {
                if (thread != null && thread != Thread.currentThread()) {
                    try {
                        thread.join(JOIN_MS_MAX);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }

    static void writeFrame(OutputStream out, byte[] envelope) throws IOException {
        int value = envelope.length;
        while ((value & ~0x7f) != 0) {
            out.write((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        out.write(value);
        out.write(envelope);
    }

    /** The next frame length; throws EOFException at a clean end of stream too, since a reply was owed. */
    static int readVarint(InputStream in) throws IOException {
        int value = 0;
        for (int i = 0; i < VARINT_BYTES_MAX; i++) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("node closed the connection");
            }
            value |= (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                if (value < 0) {
                    throw new IOException("negative frame length");
                }
                return value;
            }
        }
        throw new IOException("frame length varint longer than " + VARINT_BYTES_MAX + " bytes");
    }
}
