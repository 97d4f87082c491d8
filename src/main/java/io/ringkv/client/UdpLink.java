package io.ringkv.client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.ThreadFactory;

/**
 * One connected UDP socket for the client's lifetime. Keeping the socket (and so the source port)
 * is what makes retries safe: the node's at-most-once cache is keyed by the sender's address.
 * Connecting it also makes the kernel drop datagrams from anyone but the node.
 */
final class UdpLink implements Link {
    private static final System.Logger log = System.getLogger("io.ringkv.client");
    /** The largest UDP payload over IPv4. */
    static final int DATAGRAM_BYTES_MAX = 65_507;
    private static final long JOIN_MS_MAX = 1_000;

    private final InetSocketAddress server;
    /** host:port, for messages (InetSocketAddress.toString adds a slash and the resolved address). */
    private final String label;
    private final DatagramChannel channel;
    private Thread receiverThread;

    UdpLink(InetSocketAddress server, int receiveBufferBytes) throws IOException {
        this.server = server;
        this.label = server.getHostString() + ":" + server.getPort();
        channel = DatagramChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, receiveBufferBytes);
            channel.connect(server);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    @Override
    public void start(Receiver receiver, ThreadFactory threads) {
        receiverThread = threads.newThread(() -> receive(receiver));
        receiverThread.setName("ringkv-client-udp-" + server.getPort());
        receiverThread.start();
    }

    private void receive(Receiver receiver) {
        ByteBuffer buffer = ByteBuffer.allocate(DATAGRAM_BYTES_MAX);
        while (channel.isOpen()) {
            buffer.clear();
            try {
                channel.read(buffer);
                buffer.flip();
                receiver.onReply(buffer);
            } catch (PortUnreachableException e) {
                receiver.onUnreachable("ICMP port unreachable: is anything listening on " + label + "?");
            } catch (ClosedChannelException e) {
                return; // close() was called
            } catch (IOException | RuntimeException e) {
                if (!channel.isOpen()) {
                    return;
                }
                // A receive error loses at most that datagram; the retry timers cover it.
                log.log(System.Logger.Level.WARNING, "UDP receive from " + label + " failed; still receiving", e);
            }
        }
    }

    @Override
    public long send(byte[] envelope) throws IOException {
        try {
            channel.write(ByteBuffer.wrap(envelope));
        } catch (PortUnreachableException e) {
            // Linux reports an earlier ICMP error on the next call; treat it like a lost datagram,
            // because the node may be starting and the next try may reach it.
            log.log(System.Logger.Level.DEBUG, () -> "send to " + label + " after ICMP port unreachable");
        }
        return 0;
    }

    @Override
    public boolean retransmits() {
        return true;
    }

    @Override
    public int envelopeBytesMax() {
        return DATAGRAM_BYTES_MAX;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            log.log(System.Logger.Level.DEBUG, "closing the UDP socket failed", e);
        }
        Thread thread = receiverThread;
        if (thread != null && thread != Thread.currentThread()) {
            try {
                thread.join(JOIN_MS_MAX);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
