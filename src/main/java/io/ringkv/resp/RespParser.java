package io.ringkv.resp;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cuts one client command out of a RESP2 byte stream: a multibulk array of bulk strings
 * ({@code *2\r\n$3\r\nGET\r\n$1\r\nk\r\n}) or an inline line typed by hand ({@code GET k\r\n}).
 *
 * <p>Every length the peer announces is checked against a limit before anything is buffered or
 * allocated for it, and a command that is not complete yet costs no allocation: the stream is
 * scanned for completeness first and the arguments are copied out only once the whole command is
 * there. An incomplete command is rescanned from its start on the next read, which costs at most
 * {@link Limits#commandBytesMax()} per read and keeps the parser free of state between calls.
 *
 * <p>Errors use Redis's wording ({@code Protocol error: invalid bulk length}) so clients show what
 * they show for Redis. After an error the stream cannot be resynchronised; the caller answers the
 * error and closes the connection. Stateless apart from its limits, so one instance serves every
 * connection; it only moves the reader index of the buffer it is given.
 */
public final class RespParser {
    /**
     * Redis's PROTO_INLINE_MAX_SIZE: an inline command line longer than this, or than one argument
     * may be, is refused.
     */
    public static final int INLINE_BYTES_MAX = 64 * 1024;
    /** Redis's limit on the argument count of one command. */
    public static final int ARGS_MAX = 1024 * 1024;
    /** {@code *1048576\r\n}: a count line longer than this is garbage, whatever follows. */
    private static final int COUNT_LINE_BYTES_MAX = 32;

    /**
     * What one command may cost.
     *
     * @param bulkBytesMax longest single argument (ringkv.limits.frame-bytes-max)
     * @param commandBytesMax longest whole command, headers included: what one connection may
     *     make us buffer
     */
    public record Limits(int bulkBytesMax, int commandBytesMax) {
        public Limits {
            if (bulkBytesMax <= 0 || commandBytesMax < bulkBytesMax) {
                throw new IllegalArgumentException("need 0 < bulkBytesMax <= commandBytesMax, got "
                        + bulkBytesMax + ", " + commandBytesMax);
            }
        }
    }

    /** What {@link #next} found at the reader index. */
    public sealed interface Result {}

    /**
     * A whole command; the reader index moved past it. Arguments are never empty. Equal to another
     * with the same argument bytes.
     */
    public record Command(List<byte[]> args) implements Result {
        @Override
        public boolean equals(Object other) {
            if (!(other instanceof Command that) || that.args.size() != args.size()) {
                return false;
            }
            for (int i = 0; i < args.size(); i++) {
                if (!Arrays.equals(args.get(i), that.args.get(i))) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int hashCode() {
            int hash = 1;
            for (byte[] arg : args) {
                hash = 31 * hash + Arrays.hashCode(arg);
            }
            return hash;
        }

        @Override
        public String toString() {
            return "Command" + args.stream().map(a -> new String(a, StandardCharsets.ISO_8859_1)).toList();
        }
    }

    /** More bytes are needed; the reader index did not move. */
    public enum NeedMore implements Result {
        INSTANCE
    }

    /**
     * The stream is not RESP or breaks a limit; {@code message} is the error reply's text without
     * its {@code ERR } prefix. The reader index is undefined.
     */
    public record Malformed(String message) implements Result {}

    private final Limits limits;
    private final int inlineBytesMax;

    public RespParser(Limits limits) {
        this.limits = limits;
        this.inlineBytesMax = Math.min(INLINE_BYTES_MAX, limits.bulkBytesMax());
    }

    public Limits limits() {
        return limits;
    }

    /**
     * Parses the next command at {@code in}'s reader index. Empty inline lines and empty arrays
     * ({@code *0}, {@code *-1}), which Redis ignores, are skipped.
     */
    public Result next(ByteBuf in) {
        while (in.isReadable()) {
            int start = in.readerIndex();
            Result result = in.getByte(start) == '*' ? multibulk(in, start) : inline(in, start);
            if (result != null) {
                return result;
            }
            // null: an empty command was consumed; look at what follows.
        }
        return NeedMore.INSTANCE;
    }

    private Result multibulk(ByteBuf in, int start) {
        int end = in.writerIndex();
        int countEol = lineEnd(in, start + 1, COUNT_LINE_BYTES_MAX);
        if (countEol == NOT_YET) {
            return NeedMore.INSTANCE;
        }
        if (countEol == TOO_LONG) {
            return new Malformed("Protocol error: too big mbulk count string");
        }
        long count = countEol == BAD_LINE ? BAD_NUMBER : parseLong(in, start + 1, countEol);
        if (count == BAD_NUMBER || count > ARGS_MAX) {
            return new Malformed("Protocol error: invalid multibulk length");
        }
        int position = countEol + 2;
        if (count <= 0) {
            in.readerIndex(position);
            return null;
        }
        // Offsets and lengths of the arguments, found before anything is copied; never sized by
        // the peer's claim, only by what actually arrived.
        int[] spans = new int[(int) Math.min(count, 8) * 2];
        for (int i = 0; i < count; i++) {
            if (position - start > limits.commandBytesMax()) {
                return tooBig();
            }
            if (position >= end) {
                return NeedMore.INSTANCE;
            }
            byte marker = in.getByte(position);
            if (marker != '$') {
                return new Malformed("Protocol error: expected '$', got '" + printable(marker) + "'");
            }
            int lengthEol = lineEnd(in, position + 1, COUNT_LINE_BYTES_MAX);
            if (lengthEol == NOT_YET) {
                return NeedMore.INSTANCE;
            }
            if (lengthEol == TOO_LONG) {
                return new Malformed("Protocol error: too big bulk count string");
            }
            long length = lengthEol == BAD_LINE ? -1 : parseLong(in, position + 1, lengthEol);
            if (length < 0) {
                return new Malformed("Protocol error: invalid bulk length");
            }
            if (length > limits.bulkBytesMax()) {
                return new Malformed("Protocol error: invalid bulk length " + length + " (max "
                        + limits.bulkBytesMax() + " bytes, see ringkv.limits.frame-bytes-max)");
            }
            int data = lengthEol + 2;
            if ((long) data + length + 2 - start > limits.commandBytesMax()) {
                return tooBig();
            }
            if ((long) data + length + 2 > end) {
                return NeedMore.INSTANCE;
            }
            int after = data + (int) length;
            if (in.getByte(after) != '\r' || in.getByte(after + 1) != '\n') {
                return new Malformed("Protocol error: expected CRLF after a bulk string of " + length + " bytes");
            }
            if (2 * i + 1 >= spans.length) {
                spans = Arrays.copyOf(spans, spans.length * 2);
            }
            spans[2 * i] = data;
            spans[2 * i + 1] = (int) length;
            position = after + 2;
        }
        List<byte[]> args = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            byte[] arg = new byte[spans[2 * i + 1]];
            in.getBytes(spans[2 * i], arg);
            args.add(arg);
        }
        in.readerIndex(position);
        return new Command(args);
    }

    private Malformed tooBig() {
        return new Malformed("Protocol error: command longer than " + limits.commandBytesMax() + " bytes");
    }

    private Result inline(ByteBuf in, int start) {
        int newline = in.indexOf(start, Math.min(in.writerIndex(), start + inlineBytesMax + 1), (byte) '\n');
        if (newline < 0) {
            return in.writerIndex() - start > inlineBytesMax
                    ? new Malformed("Protocol error: too big inline request")
                    : NeedMore.INSTANCE;
        }
        int lineEnd = newline > start && in.getByte(newline - 1) == '\r' ? newline - 1 : newline;
        byte[] line = new byte[lineEnd - start];
        in.getBytes(start, line);
        in.readerIndex(newline + 1);
        List<byte[]> args = InlineSplitter.split(line);
        if (args == null) {
            return new Malformed("Protocol error: unbalanced quotes in request");
        }
        return args.isEmpty() ? null : new Command(args);
    }

    private static final int NOT_YET = -1;
    private static final int TOO_LONG = -2;
    private static final int BAD_LINE = -3;

    /**
     * The index of the {@code \r} of the CRLF ending the line that starts at {@code from}, which
     * may hold at most {@code bytesMax} bytes: NOT_YET when it has not arrived, TOO_LONG when it is
     * not within reach, BAD_LINE when the CR is not followed by LF. How the stream was cut into
     * reads never changes the answer.
     */
    private static int lineEnd(ByteBuf in, int from, int bytesMax) {
        int end = in.writerIndex();
        int cr = in.indexOf(from, Math.min(end, from + bytesMax + 1), (byte) '\r');
        if (cr < 0) {
            return end - from > bytesMax ? TOO_LONG : NOT_YET;
        }
        if (cr + 1 >= end) {
            return NOT_YET;
        }
        return in.getByte(cr + 1) == '\n' ? cr : BAD_LINE;
    }

    private static final long BAD_NUMBER = Long.MIN_VALUE;

    /** A decimal integer in {@code [from, to)} with an optional minus; BAD_NUMBER if it is not one. */
    private static long parseLong(ByteBuf in, int from, int to) {
        boolean negative = from < to && in.getByte(from) == '-';
        int i = negative ? from + 1 : from;
        if (i == to || to - i > 18) {
            return BAD_NUMBER;
        }
        long value = 0;
        for (; i < to; i++) {
            byte b = in.getByte(i);
            if (b < '0' || b > '9') {
                return BAD_NUMBER;
            }
            value = value * 10 + (b - '0');
        }
        return negative ? -value : value;
    }

    private static String printable(byte b) {
        return b >= 0x20 && b < 0x7f ? Character.toString(b) : String.format("\\x%02x", b & 0xff);
    }
}
