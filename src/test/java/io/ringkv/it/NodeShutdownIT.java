package io.ringkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ringkv.wire.Command;
import io.ringkv.wire.Envelope;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The SHUTDOWN command ends the node process cleanly. Each test starts its own node. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeShutdownIT {
    private static final Duration EXIT_WAIT = Duration.ofSeconds(10);

    @Test
    void udpShutdownRepliesSuccessAndTheProcessExitsWithZero() {
        try (NodeProcess node = NodeProcess.start("NodeShutdownIT-udp"); UdpKv udp = node.udp()) {
            ByteString id = Kv.newId();
            // Sent once, not retried: a retry could reach a port the exiting node no longer owns.
            udp.send(Envelope.sealRequest(id, Kv.command(Command.SHUTDOWN)));

            Optional<KVResponse> reply = udp.awaitReply(id, Duration.ofSeconds(2));
            // The reply may be lost on its way out of a process that is ending; if it came, it says SUCCESS.
            reply.ifPresent(r -> assertThat(r.getErrCode()).isEqualTo(ErrorCode.SUCCESS.code()));
            assertThat(node.awaitExit(EXIT_WAIT))
                    .as("exit code of %s; log tail:%n%s", node, node.logTail())
                    .hasValue(0);
        }
    }

    @Test
    void tcpShutdownRepliesSuccessAndTheProcessExitsWithZero() {
        try (NodeProcess node = NodeProcess.start("NodeShutdownIT-tcp"); TcpKv tcp = node.tcp()) {
            assertThat(tcp.call(Kv.command(Command.SHUTDOWN)).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());

            assertThat(node.awaitExit(EXIT_WAIT))
                    .as("exit code of %s; log tail:%n%s", node, node.logTail())
                    .hasValue(0);
        }
    }
}
