package io.ringkv.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.ringkv.wire.ErrorCode;
import java.net.PortUnreachableException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Drives one UDP socket: keeps {@code window} requests outstanding and sends the next one as soon
 * as a reply frees a slot, so the socket's window is always full (closed-loop load).
 *
 * <p>Runs entirely on its channel's event loop, so its state needs no locks; {@link #snapshot()}
 * must be called there too. Requests written while handling a read batch are flushed once at the
 * end of the batch, which lets epoll send them with one sendmmsg.
 *
 * <p>Only what completes inside the measured window [warmupEnd, end) is counted; at {@code end}
 * the driver stops sending.
 */
final class SocketDriver extends ChannelInboundHandlerAdapter {
    static final long LATENCY_US_MAX = 60_000_000;
    /** The longest OVERLOAD wait honoured, so a confused node cannot park the bench. */
    static final int OVERLOAD_WAIT_MS_MAX = 1_000;
    private static final int CODES = 256;

    private final LoadSpec spec;
    private final RequestEncoder encoder;
    private final ReplyDecoder decoder = new ReplyDecoder();
    private final SplittableRandom random;
    private final long timeoutNanos;
    private final int window;
    private final long[] sentNanos;
    private final int[] seq;
    private final boolean[] busy;
    private final Histogram latencyUs = new Histogram(LATENCY_US_MAX, 3);
    private final long[] codes = new long[CODES];
    private long unknownCodes;
    private long timeouts;
    private long late;
    private long undecodable;
    private long sent;
    private long socketErrors;
    private String firstSocketError;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> scanner;
    // Set by start(); until then the window is [MAX, MAX) and nothing is sent or counted.
    private long warmupEndNanos = Long.MAX_VALUE;
    private long endNanos = Long.MAX_VALUE;

    SocketDriver(LoadSpec spec, int window, RequestEncoder encoder, SplittableRandom random) {
        this.spec = spec;
        this.window = window;
        this.encoder = encoder;
        this.random = random;
        this.timeoutNanos = spec.timeout().toNanos();
        this.sentNanos = new long[window];
        this.seq = new int[window];
        this.busy = new boolean[window];
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /**
     * Fills the window and starts the timeout scan. Called on the channel's event loop once every
     * socket of the run is connected, so that setting up sockets is not part of any window.
     */
    void start(long warmupEndNanos, long endNanos) {
        this.warmupEndNanos = warmupEndNanos;
        this.endNanos = endNanos;
        for (int slot = 0; slot < window; slot++) {
            send(slot);
        }
        ctx.flush();
        long scanNanos = Math.clamp(timeoutNanos / 4, 1_000_000L, 20_000_000L);
        scanner = ctx.executor().scheduleAtFixedRate(this::scanTimeouts, scanNanos, scanNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (scanner != null) {
            scanner.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            ByteBuf content = msg instanceof DatagramPacket p ? p.content() : msg instanceof ByteBuf b ? b : null;
            if (content != null) {
                onReply(content, System.nanoTime());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof PortUnreachableException) {
            return; // Nothing listens (yet): the requests time out and are counted as lost.
        }
        // Anything else is unexpected; keep going, but make it visible in the report.
        socketErrors++;
        if (firstSocketError == null) {
            firstSocketError = cause.toString();
        }
    }

    private void onReply(ByteBuf content, long now) {
        if (!decoder.decode(content, !spec.expectEcho()) || decoder.idBytes() != RequestEncoder.ID_BYTES
                || content.getLong(decoder.idAt()) != encoder.salt()) {
            undecodable += measuring(now) ? 1 : 0;
            return;
        }
        int slot = content.getInt(decoder.idAt() + 8);
        int replySeq = content.getInt(decoder.idAt() + 12);
        if (slot < 0 || slot >= window || !busy[slot] || seq[slot] != replySeq) {
            // The reply to a request already counted as lost, or a duplicate.
            late += measuring(now) ? 1 : 0;
            return;
        }
        busy[slot] = false;
        int code = decoder.errCode();
        if (measuring(now)) {
            latencyUs.recordValue(Math.min((now - sentNanos[slot]) / 1_000, LATENCY_US_MAX));
            if (code >= 0 && code < CODES) {
                codes[code]++;
            } else {
                unknownCodes++;
            }
        }
        if (now >= endNanos) {
            return;
        }
        if (code == ErrorCode.OVERLOAD.code() && decoder.overloadWaitMs() > 0) {
            long waitMs = Math.min(decoder.overloadWaitMs(), OVERLOAD_WAIT_MS_MAX);
            ctx.executor().schedule(() -> {
                if (System.nanoTime() < endNanos && ctx.channel().isActive()) {
                    send(slot);
                    ctx.flush();
                }
            }, waitMs, TimeUnit.MILLISECONDS);
        } else {
            send(slot);
        }
    }

    private void send(int slot) {
        int command = random.nextDouble() < spec.getRatio() ? RequestEncoder.COMMAND_GET : RequestEncoder.COMMAND_PUT;
        long key = random.nextLong(spec.keys());
        int s = ++seq[slot];
        int length = encoder.encode(command, slot, s, key);
        ByteBuf buf = ctx.alloc().directBuffer(length);
        buf.writeBytes(encoder.buffer(), 0, length);
        busy[slot] = true;
        sentNanos[slot] = System.nanoTime();
        sent++;
        ctx.write(buf, ctx.voidPromise());
    }

    private void scanTimeouts() {
        long now = System.nanoTime();
        boolean wrote = false;
        for (int slot = 0; slot < window; slot++) {
            if (busy[slot] && now - sentNanos[slot] > timeoutNanos) {
                busy[slot] = false;
                timeouts += measuring(now) ? 1 : 0;
                if (now < endNanos) {
                    send(slot);
                    wrote = true;
                }
            }
        }
        if (wrote) {
            ctx.flush();
        }
    }

    private boolean measuring(long now) {
        return now >= warmupEndNanos && now < endNanos;
    }

    /** This socket's figures so far. Call on the channel's event loop. */
    Figures snapshot() {
        return new Figures(latencyUs.copy(), codes.clone(), unknownCodes, timeouts, late, undecodable, sent, socketErrors,
                firstSocketError);
    }

    /** What one socket measured (or several, once merged). */
    record Figures(Histogram latencyUs, long[] codes, long unknownCodes, long timeouts, long late, long undecodable,
            long sent, long socketErrors, String firstSocketError) {
        static Figures empty() {
            return new Figures(new Histogram(LATENCY_US_MAX, 3), new long[CODES], 0, 0, 0, 0, 0, 0, null);
        }

        Figures plus(Figures other) {
            Histogram h = latencyUs.copy();
            h.add(other.latencyUs);
            long[] c = codes.clone();
            for (int i = 0; i < c.length; i++) {
                c[i] += other.codes[i];
            }
            return new Figures(h, c, unknownCodes + other.unknownCodes, timeouts + other.timeouts, late + other.late,
                    undecodable + other.undecodable, sent + other.sent, socketErrors + other.socketErrors,
                    firstSocketError != null ? firstSocketError : other.firstSocketError);
        }

        /** Replies received in the window, whatever their code. */
        long replies() {
            return latencyUs.getTotalCount();
        }

        /**
         * Replies that answered their request: all but OVERLOAD, which asks for the same request
         * again later (the node's reply cache is full of replies it must keep, or too much is in
         * flight) and is not work done.
         */
        long answered() {
            return replies() - codes[ErrorCode.OVERLOAD.code()];
        }
    }
}
