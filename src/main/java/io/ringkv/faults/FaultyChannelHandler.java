package io.ringkv.faults;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.ringkv.faults.NetworkRule.Direction;
import io.ringkv.faults.NetworkRule.Protocol;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener channel's messages, both ways, put through the node's {@link NetworkFaults} plan. It
 * sits between the transport's framing and its request handling (see
 * {@code io.ringkv.transport.ChannelHook}), so it handles whole datagrams and whole frames and never
 * splits a TCP stream mid-frame.
 *
 * <p>Fault model, per message: lost (the sender learns nothing; an outbound write is reported
 * successful, as the network would); delivered twice; delayed by a fixed time plus jitter; held
 * back until a later message of the same direction has passed, or for at most
 * {@link NetworkFaults#REORDER_HOLD_MS}; or cut. A cut UDP datagram is lost; a cut TCP frame is
 * lost and its connection closed, and a new connection from a cut peer is closed as soon as it is
 * accepted. Delays are scheduled on the channel's event loop, never slept; what waits is bounded
 * by {@link NetworkFaults#reserve} (and by {@link #HELD_PER_DIRECTION_MAX} per direction here) and
 * dropped, counted, beyond it.
 *
 * <p>One instance per channel, used only on its event loop.
 */
final class FaultyChannelHandler extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(FaultyChannelHandler.class);
    /** Messages held for reordering per direction; a handful is enough to shuffle a stream. */
    static final int HELD_PER_DIRECTION_MAX = 16;

    private final NetworkFaults faults;
    private final Protocol protocol;
    private final ArrayDeque<Waiting> heldInbound = new ArrayDeque<>();
    private final ArrayDeque<Waiting> heldOutbound = new ArrayDeque<>();

    /** A message that waits; its promise is null inbound. Compared by identity, never by content. */
    private static final class Waiting {
        final Object msg;
        final ChannelPromise promise;
        final int bytes;

        Waiting(Object msg, ChannelPromise promise) {
            this.msg = msg;
            this.promise = promise;
            this.bytes = FaultyChannelHandler.bytes(msg);
        }
    }

    FaultyChannelHandler(NetworkFaults faults, Protocol protocol) {
        this.faults = faults;
        this.protocol = protocol;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (protocol == Protocol.TCP && faults.cuts(protocol, remote(ctx.channel().remoteAddress()))) {
            log.debug("refusing TCP connection from {}: link cut", ctx.channel().remoteAddress());
            ctx.close();
            return;
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        carryOut(ctx, Direction.INBOUND, msg, null);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        carryOut(ctx, Direction.OUTBOUND, msg, promise);
    }

    private void carryOut(ChannelHandlerContext ctx, Direction way, Object msg, ChannelPromise promise) {
        switch (faults.decide(protocol, way, peerOf(ctx, way, msg))) {
            case Fate.Drop drop -> lose(msg, promise);
            case Fate.Cut cut -> {
                lose(msg, promise);
                if (protocol == Protocol.TCP) {
                    ctx.close();
                }
            }
            case Fate.Deliver deliver -> {
                if (deliver.copies() == 2) {
                    Object copy = duplicate(msg);
                    if (copy != null) {
                        deliverOne(ctx, way, copy, way == Direction.OUTBOUND ? ctx.voidPromise() : null, deliver);
                    }
                }
                deliverOne(ctx, way, msg, promise, deliver);
            }
        }
    }

    private void deliverOne(ChannelHandlerContext ctx, Direction way, Object msg, ChannelPromise promise,
            Fate.Deliver fate) {
        if (fate.hold()) {
            hold(ctx, way, msg, promise);
        } else if (fate.delayMs() > 0) {
            Waiting waiting = new Waiting(msg, promise);
            if (!faults.reserve(waiting.bytes)) {
                lose(msg, promise);
                return;
            }
            ctx.executor().schedule(() -> {
                faults.release(waiting.bytes);
                emit(ctx, way, waiting, true);
            }, fate.delayMs(), TimeUnit.MILLISECONDS);
        } else {
            emit(ctx, way, new Waiting(msg, promise), false);
        }
    }

    private void hold(ChannelHandlerContext ctx, Direction way, Object msg, ChannelPromise promise) {
        ArrayDeque<Waiting> held = held(way);
        Waiting waiting = new Waiting(msg, promise);
        if (held.size() >= HELD_PER_DIRECTION_MAX) {
            faults.overflowed();
            lose(msg, promise);
            return;
        }
        if (!faults.reserve(waiting.bytes)) {
            lose(msg, promise);
            return;
        }
        held.add(waiting);
        ctx.executor().schedule(() -> {
            if (held.remove(waiting)) {
                faults.release(waiting.bytes);
                emit(ctx, way, waiting, true);
            }
        }, NetworkFaults.REORDER_HOLD_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Passes a message on, then whatever was held in that direction, which it thereby overtook.
     * {@code later}: outside the read or write that brought it, so it must be completed (read
     * batch) or flushed here, since nothing else will.
     */
    private void emit(ChannelHandlerContext ctx, Direction way, Waiting first, boolean later) {
        ArrayDeque<Waiting> held = held(way);
        Waiting next = first;
        while (next != null) {
            if (way == Direction.INBOUND) {
                ctx.fireChannelRead(next.msg);
            } else {
                ctx.write(next.msg, next.promise);
            }
            next = held.poll();
            if (next != null) {
                faults.release(next.bytes);
            }
        }
        if (later) {
            if (way == Direction.INBOUND) {
                ctx.fireChannelReadComplete();
            } else {
                ctx.flush();
            }
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        for (ArrayDeque<Waiting> held : List.of(heldInbound, heldOutbound)) {
            for (Waiting waiting; (waiting = held.poll()) != null; ) {
                faults.release(waiting.bytes);
                lose(waiting.msg, waiting.promise);
            }
        }
    }

    private ArrayDeque<Waiting> held(Direction way) {
        return way == Direction.INBOUND ? heldInbound : heldOutbound;
    }

    private static void lose(Object msg, ChannelPromise promise) {
        ReferenceCountUtil.release(msg);
        if (promise != null) {
            promise.trySuccess();
        }
    }

    private static InetSocketAddress peerOf(ChannelHandlerContext ctx, Direction way, Object msg) {
        if (msg instanceof AddressedEnvelope<?, ?> envelope) {
            return remote(way == Direction.INBOUND ? envelope.sender() : envelope.recipient());
        }
        return remote(ctx.channel().remoteAddress());
    }

    private static InetSocketAddress remote(SocketAddress address) {
        return address instanceof InetSocketAddress inet ? inet : null;
    }

    private static Object duplicate(Object msg) {
        return switch (msg) {
            case ByteBufHolder holder -> holder.retainedDuplicate();
            case ByteBuf buf -> buf.retainedDuplicate();
            default -> null;
        };
    }

    private static int bytes(Object msg) {
        return switch (msg) {
            case ByteBufHolder holder -> holder.content().readableBytes();
            case ByteBuf buf -> buf.readableBytes();
            default -> 0;
        };
    }
}
