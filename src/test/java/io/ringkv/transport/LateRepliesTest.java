package io.ringkv.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.ringkv.common.CallerLoop;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A reply that is not given while the listener dispatches the request still leaves at once, alone,
 * with no later request to carry it: given later on the listener's own event loop (as the log
 * answers a write it appended on the loop) or from another thread (as the log's writer thread
 * answers a durable write). Each case sends one request and waits for its reply; a reply left
 * unflushed until the next read would never come.
 */
class LateRepliesTest {
    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static ExecutorService elsewhere;

    enum When {
        DURING_THE_READ,
        LATER_ON_THE_LOOP,
        FROM_ANOTHER_THREAD
    }

    @BeforeAll
    static void startThread() {
        elsewhere = Executors.newSingleThreadExecutor();
    }

    @AfterAll
    static void stopThread() throws InterruptedException {
        elsewhere.shutdownNow();
        assertThat(elsewhere.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }

    /** Echoes each request, with its reply given {@code when}. */
    private static PacketHandler echo(When when) {
        return (packet, sender, replier) -> {
            byte[] bytes = bytesOf(packet);
            switch (when) {
                case DURING_THE_READ -> replier.reply(bytes);
                case LATER_ON_THE_LOOP -> CallerLoop.current().execute(() -> replier.reply(bytes));
                case FROM_ANOTHER_THREAD -> elsewhere.execute(() -> replier.reply(bytes));
            }
        };
    }

    private static byte[] bytesOf(ByteBuf packet) {
        byte[] bytes = new byte[packet.readableBytes()];
        packet.getBytes(packet.readerIndex(), bytes);
        return bytes;
    }

    @ParameterizedTest
    @EnumSource(When.class)
    void aLoneDatagramIsAnswered(When when) throws Exception {
        try (var server = new UdpServer(Transports.best(), ANY_LOOPBACK, 1, 1_000, echo(when), ChannelHook.NONE);
                var client = new DatagramSocket()) {
            client.setSoTimeout(2_000);
            for (int i = 0; i < 3; i++) {
                byte[] request = ("request " + i).getBytes(StandardCharsets.UTF_8);
                client.send(new DatagramPacket(request, request.length, server.address()));
                var reply = new DatagramPacket(new byte[100], 100);
                client.receive(reply); // SocketTimeoutException if the reply stayed behind
                assertThat(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8))
                        .isEqualTo("request " + i);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(When.class)
    void aLoneFrameIsAnswered(When when) throws Exception {
        try (var server = new TcpServer(Transports.best(), ANY_LOOPBACK, 1, 1_000, echo(when), ChannelHook.NONE);
                var client = new Socket(server.address().getAddress(), server.address().getPort())) {
            client.setSoTimeout(2_000);
            var in = new DataInputStream(client.getInputStream());
            for (int i = 0; i < 3; i++) {
                byte[] request = ("request " + i).getBytes(StandardCharsets.UTF_8);
                // Frames of under 128 bytes: a one-byte varint length.
                client.getOutputStream().write(request.length);
                client.getOutputStream().write(request);
                client.getOutputStream().flush();
                assertThat(readFrame(in)).isEqualTo("request " + i);
            }
        }
    }

    private static String readFrame(DataInputStream in) throws IOException {
        int length = in.readUnsignedByte();
        assertThat(length).isLessThan(128);
        byte[] bytes = in.readNBytes(length);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
