package io.ringkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ringkv.wire.Envelope;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The UDP protocol suite of {@link NodeProtocolIT} on the {@code log} engine with {@code
 * fsync=never}: writes are appended by the event loop that received them, after the read, and
 * answered from there rather than from the writer thread. Every request is sent once: a reply that
 * waited for more traffic to be flushed would not come.
 */
class LogEngineNoFsyncProtocolIT extends NodeProtocolIT {
    @Override
    protected Map<String, String> storageArgs() {
        return Map.of("ringkv.storage.engine", "log", "ringkv.storage.fsync", "never");
    }

    @Test
    void writesOverTcpAreAnsweredWithoutFurtherTraffic() {
        try (TcpKv tcp = node().tcp()) {
            ByteString key = Kv.bytes("tcp-lone-write");
            for (KVRequest request : List.of(Kv.put(key, Kv.bytes("v"), 3), Kv.remove(key))) {
                ByteString id = Kv.newId();
                tcp.write(id, request);
                tcp.flush();
                Envelope.Reply reply = tcp.read(); // fails after TcpKv.READ_TIMEOUT without a reply
                assertThat(reply.messageId()).isEqualTo(id);
                assertThat(reply.response().getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            }
        }
    }
}
