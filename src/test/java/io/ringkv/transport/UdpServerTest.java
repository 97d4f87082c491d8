package io.ringkv.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A real UDP listener on loopback (epoll where available, so reads are recvmmsg batches): every
 * datagram of a burst reaches the handler whole and is answered; one a byte over the limit is
 * discarded as oversized, and one at the limit is not.
 */
class UdpServerTest {
    private static final int DATAGRAM_BYTES_MAX = 2_000;

    @Test
    void burstsArriveWholeAndOversizedDatagramsAreToldApart() throws Exception {
        List<byte[]> received = new CopyOnWriteArrayList<>();
        List<PacketHandler.Discard> discarded = new CopyOnWriteArrayList<>();
        PacketHandler echo = new PacketHandler() {
            @Override
            public void handle(io.netty.buffer.ByteBuf packet, InetSocketAddress sender, Replier replier) {
                byte[] bytes = new byte[packet.readableBytes()];
                packet.getBytes(packet.readerIndex(), bytes);
                received.add(bytes);
                replier.reply(bytes);
            }

            @Override
            public void discarded(InetSocketAddress sender, Discard why) {
                discarded.add(why);
            }
        };
        InetSocketAddress bind = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (var server = new UdpServer(Transports.best(), bind, 1, DATAGRAM_BYTES_MAX, echo, ChannelHook.NONE);
                var client = new DatagramSocket()) {
            client.setSoTimeout(5_000);
            int burst = 200;
            byte[] buf = new byte[65_536];
            // Bursts of 50, each answered before the next: the client's socket buffer, not the
            // server, would drop replies of a longer one.
            for (int round = 0; round < burst / 50; round++) {
                for (int i = round * 50; i < (round + 1) * 50; i++) {
                    byte[] bytes = new byte[1 + i * 9];
                    Arrays.fill(bytes, (byte) i);
                    client.send(new DatagramPacket(bytes, bytes.length, server.address()));
                }
                for (int i = 0; i < 50; i++) {
                    var reply = new DatagramPacket(buf, buf.length);
                    client.receive(reply);
                    int length = reply.getLength();
                    int fill = (length - 1) / 9;
                    assertThat(length).isEqualTo(1 + fill * 9);
                    assertThat(fill / 50).isEqualTo(round);
                    for (int j = 0; j < length; j++) {
                        assertThat(buf[j]).isEqualTo((byte) fill);
                    }
                }
            }
            assertThat(received).hasSize(burst);

            client.send(new DatagramPacket(new byte[DATAGRAM_BYTES_MAX + 1], DATAGRAM_BYTES_MAX + 1, server.address()));
            client.send(new DatagramPacket(new byte[DATAGRAM_BYTES_MAX * 4], DATAGRAM_BYTES_MAX * 4, server.address()));
            client.send(new DatagramPacket(new byte[DATAGRAM_BYTES_MAX], DATAGRAM_BYTES_MAX, server.address()));
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> discarded.size() == 2 && received.size() == burst + 1);
            assertThat(discarded).containsOnly(PacketHandler.Discard.OVERSIZED_DATAGRAM);
            assertThat(received.getLast()).hasSize(DATAGRAM_BYTES_MAX);
        }
    }
}
