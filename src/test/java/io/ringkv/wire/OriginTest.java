package io.ringkv.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.net.InetSocketAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OriginTest {

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "10.1.2.3", "::1", "fe80::1"})
    void roundTripsAddressPortAndMessageId(String ip) {
        InetSocketAddress client = new InetSocketAddress(ip, 65_535);
        ByteString id = ByteString.copyFromUtf8("0123456789abcdef");
        Origin origin = Origin.decode(Origin.encode(client, id));
        assertThat(origin.client()).isEqualTo(client);
        assertThat(origin.messageId()).isEqualTo(id.toByteArray());
        Origin noId = Origin.decode(Origin.encode(new InetSocketAddress(ip, 1), ByteString.EMPTY));
        assertThat(noId.client().getPort()).isEqualTo(1);
        assertThat(noId.messageId()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "00", "05 01 02 03 04 05 00 01", "04 7f 00 00", "10 00"})
    void malformedOriginsDecodeToNull(String hex) {
        byte[] bytes = hex.isEmpty() ? new byte[0] : java.util.HexFormat.ofDelimiter(" ").parseHex(hex);
        assertThat(Origin.decode(ByteString.copyFrom(bytes))).isNull();
    }

    @org.junit.jupiter.api.Test
    void anOverlongMessageIdIsRefused() {
        ByteString id = ByteString.copyFrom(new byte[Envelope.MESSAGE_ID_BYTES_MAX + 1]);
        assertThat(Origin.decode(Origin.encode(new InetSocketAddress("127.0.0.1", 9), id))).isNull();
    }
}
