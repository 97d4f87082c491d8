package io.ringkv.resp;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A RESP2 reply, written by {@link #writeTo}. Simple strings and errors are single lines: any
 * CR or LF in their text is replaced by a blank so a message can never break the framing.
 */
public sealed interface RespReply {
    RespReply OK = new Simple("OK");
    RespReply PONG = new Simple("PONG");
    RespReply NULL = new Bulk(null);
    RespReply EMPTY_ARRAY = new Array(List.of());
    /** {@code \r\n} as one big-endian short. */
    int CRLF = 0x0d0a;

    void writeTo(ByteBuf out);

    /** {@code +text}. */
    record Simple(String text) implements RespReply {
        @Override
        public void writeTo(ByteBuf out) {
            if (this == OK) {
                out.writeBytes(Encoded.OK);
                return;
            }
            out.writeByte('+');
            writeLine(out, text);
        }
    }

    /** {@code -CODE message}: {@code text} starts with the code (ERR, WRONGPASS, NOPROTO...). */
    record Error(String text) implements RespReply {
        @Override
        public void writeTo(ByteBuf out) {
            out.writeByte('-');
            writeLine(out, text);
        }
    }

    /** {@code :n}. */
    record Integer(long value) implements RespReply {
        @Override
        public void writeTo(ByteBuf out) {
            if (value == 0 || value == 1) {
                out.writeBytes(value == 0 ? Encoded.ZERO : Encoded.ONE);
                return;
            }
            out.writeByte(':');
            writeAscii(out, Long.toString(value));
        }
    }

    /** {@code $n} and the bytes of {@code value}, or {@code $-1} (nil) when it is null. */
    record Bulk(ByteBuffer value) implements RespReply {
        @Override
        public void writeTo(ByteBuf out) {
            if (value == null) {
                out.writeBytes(Encoded.NIL);
                return;
            }
            out.writeByte('$');
            writeAscii(out, java.lang.Integer.toString(value.remaining()));
            out.writeBytes(value.duplicate());
            out.writeShort(CRLF);
        }
    }

    /** {@code *n} and the elements; RESP2 has no map type, so maps are flat key-value arrays. */
    record Array(List<RespReply> elements) implements RespReply {
        @Override
        public void writeTo(ByteBuf out) {
            out.writeByte('*');
            writeAscii(out, java.lang.Integer.toString(elements.size()));
            for (RespReply element : elements) {
                element.writeTo(out);
            }
        }
    }

    static RespReply error(String text) {
        return new Error(text);
    }

    static RespReply bulk(byte[] bytes) {
        return new Bulk(ByteBuffer.wrap(bytes));
    }

    static RespReply bulk(String text) {
        return bulk(text.getBytes(StandardCharsets.UTF_8));
    }

    static RespReply integer(long value) {
        return new Integer(value);
    }

    static RespReply array(RespReply... elements) {
        return new Array(List.of(elements));
    }

    private static void writeLine(ByteBuf out, String text) {
        out.writeCharSequence(text.replace('\r', ' ').replace('\n', ' '), StandardCharsets.UTF_8);
        out.writeShort(CRLF);
    }

    /** Digits and a sign only: no CR or LF to replace, one byte per char. */
    private static void writeAscii(ByteBuf out, String digits) {
        io.netty.buffer.ByteBufUtil.writeAscii(out, digits);
        out.writeShort(CRLF);
    }

    /** The most frequent replies, encoded once (SET's +OK, DEL's and EXISTS's :0 and :1, GET's nil). */
    final class Encoded {
        static final byte[] OK = "+OK\r\n".getBytes(StandardCharsets.US_ASCII);
        static final byte[] ZERO = ":0\r\n".getBytes(StandardCharsets.US_ASCII);
        static final byte[] ONE = ":1\r\n".getBytes(StandardCharsets.US_ASCII);
        static final byte[] NIL = "$-1\r\n".getBytes(StandardCharsets.US_ASCII);

        private Encoded() {}
    }
}
