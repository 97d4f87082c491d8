package io.ringkv.wire;

import com.google.protobuf.ByteString;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * The {@code KVRequest.origin} field a forwarding node sets: who first sent the request, so the
 * owner can key its at-most-once cache as if the client had come to it directly.
 *
 * <p>Layout, byte by byte: 1 byte address length (4 or 16), the IP address, 2 bytes port
 * (big-endian), then the client's messageID (0..{@link Envelope#MESSAGE_ID_BYTES_MAX} bytes).
 */
public record Origin(InetSocketAddress client, byte[] messageId) {

    public static ByteString encode(InetSocketAddress client, ByteString messageId) {
        byte[] ip = client.getAddress().getAddress();
        byte[] out = new byte[1 + ip.length + 2 + messageId.size()];
        out[0] = (byte) ip.length;
        System.arraycopy(ip, 0, out, 1, ip.length);
        out[1 + ip.length] = (byte) (client.getPort() >>> 8);
        out[2 + ip.length] = (byte) client.getPort();
        messageId.copyTo(out, 3 + ip.length);
        return ByteString.copyFrom(out);
    }

    /** The origin, or null when the bytes are not one (the request is then treated as unforwarded). */
    public static Origin decode(ByteString bytes) {
        if (bytes.isEmpty()) {
            return null;
        }
        int ipLength = bytes.byteAt(0);
        if (ipLength != 4 && ipLength != 16) {
            return null;
        }
        int idLength = bytes.size() - 3 - ipLength;
        if (idLength < 0 || idLength > Envelope.MESSAGE_ID_BYTES_MAX) {
            return null;
        }
        try {
            InetAddress address = InetAddress.getByAddress(bytes.substring(1, 1 + ipLength).toByteArray());
            int port = (bytes.byteAt(1 + ipLength) & 0xff) << 8 | bytes.byteAt(2 + ipLength) & 0xff;
            return new Origin(new InetSocketAddress(address, port),
                    bytes.substring(3 + ipLength).toByteArray());
        } catch (UnknownHostException e) {
            return null; // cannot happen for 4 or 16 bytes
        }
    }
}
