package io.ringkv.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: runs its commands as they arrive (pipelined) and writes the replies
 * strictly in the order of the commands, although commands complete asynchronously and out of
 * order (a GET answers at once, a SET when storage has made it durable).
 *
 * <p>Read-your-writes: the store makes a write visible to readers only once its stage completes (a
 * log write waits for its fsync), so a read pipelined behind a write of the same connection waits
 * for the connection's earlier writes, as a Redis client expects {@code SET k v; GET k} to see v,
 * and data commands behind a waiting one wait as well, so they keep their order. Writes behind
 * writes are issued at once (the store keeps their order per key), so pipelined SETs stay
 * pipelined.
 *
 * <p>Bounded: reading stops while {@link #PENDING_MAX} commands wait for their replies or while
 * the peer is not reading what we wrote (outbound buffer above the high-water mark), and resumes
 * when both have drained. Only the connection's event loop touches its state; completions from
 * other threads hop onto it.
 */
final class RespConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(RespConnection.class);
    /** Commands executing or waiting for an earlier reply before this connection stops reading. */
    static final int PENDING_MAX = 4096;
    private static final RespReply TOO_MANY_CLIENTS = RespReply.error("ERR max number of clients reached");
    private static final RespReply INTERNAL = RespReply.error("ERR internal error, see the node's log");
    /** Encoded replies are handed to the channel in chunks of about this size (see {@link #out}). */
    static final int OUT_CHUNK_BYTES = 64 * 1024;

    private final RespCommands commands;
    private final Clients clients;
    private final RespMetrics metrics;
    private final LongSupplier clockMillis;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private Session session;
    /** Set once a reply that ends the connection (QUIT, a protocol error) has been queued. */
    private boolean ending;
    /** Inside a read batch: replies are flushed once at its end rather than one by one. */
    private boolean reading;
    /**
     * Completions handed to the event loop from other threads and not run yet. A group commit
     * completes many writes of one connection at once; the replies are flushed when the last of
     * them has run, so they leave in one syscall instead of one each.
     */
    private final java.util.concurrent.atomic.AtomicInteger hopsQueued = new java.util.concurrent.atomic.AtomicInteger();
    /**
     * Replies encoded but not yet handed to the channel: every reply of a read batch goes into
     * one buffer, handed over (one outbound message, one iovec) when the batch ends or the buffer
     * passes {@link #OUT_CHUNK_BYTES}.
     */
    private ByteBuf out;
    /** Replies handed to the channel but not flushed yet. */
    private boolean unflushed;
    /** When the current read batch began: the receipt time of each of its commands. */
    private long batchNanos;
    /** A flush is queued on the event loop, to run after the completions queued before it. */
    private boolean flushQueued;
    /** Writes issued on this connection whose stage has not completed yet. */
    private int writesInFlight;
    /** Data commands held back for read-your-writes, in arrival order. */
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    /** Set while {@link #resume} runs, so that completions inside it do not nest another. */
    private boolean resuming;

    RespConnection(RespCommands commands, Clients clients, RespMetrics metrics, LongSupplier clockMillis) {
        this.commands = commands;
        this.clients = clients;
        this.metrics = metrics;
        this.clockMillis = clockMillis;
    }

    /** A command's place in the reply order; {@code reply} is set when it completes. */
    private static final class Pending {
        final RespCommand command;
        final long startNanos;
        final boolean close;
        RespReply reply;

        Pending(RespCommand command, long startNanos, boolean close) {
            this.command = command;
            this.startNanos = startNanos;
            this.close = close;
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        Channel channel = ctx.channel();
        session = clients.open(inet(channel.remoteAddress()), inet(channel.localAddress()), clockMillis.getAsLong());
        if (session == null) {
            metrics.rejected("connections-max");
            log.warn("refusing RESP connection from {}: {} connections open", channel.remoteAddress(),
                    clients.connectionsMax());
            ending = true;
            ByteBuf refusal = ctx.alloc().ioBuffer();
            TOO_MANY_CLIENTS.writeTo(refusal);
            ctx.writeAndFlush(refusal).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.fireChannelActive();
    }

    /** Null for the addresses of channels that are not sockets (tests' embedded channels). */
    private static InetSocketAddress inet(SocketAddress address) {
        return address instanceof InetSocketAddress inet ? inet : null;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ending = true;
        if (out != null) {
            out.release();
            out = null;
        }
        pending.clear();
        waiting.clear();
        if (session != null) {
            clients.closed(session);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        if (!reading) {
            reading = true;
            batchNanos = System.nanoTime();
            if (session != null) {
                session.lastCommandMillis = clockMillis.getAsLong();
            }
        }
        try {
            if (ending) {
                return;
            }
            switch (message) {
                case RespParser.Command command -> run(command.args());
                case RespParser.Malformed malformed -> {
                    metrics.rejected("malformed");
                    log.warn("closing RESP connection from {}: {}", ctx.channel().remoteAddress(), malformed.message());
                    Pending last = enqueue(null, true);
                    complete(last, RespReply.error("ERR " + malformed.message()));
                }
                default -> throw new IllegalStateException("unexpected message " + message.getClass());
            }
        } finally {
            ReferenceCountUtil.release(message);
        }
    }

    private void run(List<byte[]> args) {
        RespCommand command = RespCommand.of(args.getFirst());
        session.lastCommand = command == null ? "unknown" : command.lowerName();
        Pending slot = enqueue(command, command == RespCommand.QUIT);
        RespCommand.Access access = command == null ? RespCommand.Access.NONE : command.access(args.size());
        Waiting call = new Waiting(slot, command, args, access);
        // A data command waits when it reads behind unfinished writes, or when an earlier data
        // command waits: so reads see earlier writes and data commands keep their order.
        if (access != RespCommand.Access.NONE && (!waiting.isEmpty() || (call.reads() && writesInFlight > 0))) {
            waiting.addLast(call);
        } else {
            start(call);
        }
    }

    /** A command held back for read-your-writes. */
    private record Waiting(Pending slot, RespCommand command, List<byte[]> args, RespCommand.Access access) {
        boolean reads() {
            return access == RespCommand.Access.READ || access == RespCommand.Access.READ_WRITE;
        }

        boolean writes() {
            return access == RespCommand.Access.WRITE || access == RespCommand.Access.READ_WRITE;
        }
    }

    private void start(Waiting call) {
        boolean writes = call.writes();
        if (writes) {
            writesInFlight++;
        }
        var loop = ctx.channel().eventLoop();
        commands.execute(session, call.command(), call.args()).whenComplete((reply, failure) -> {
            RespReply answer = reply;
            Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                    ? failure.getCause()
                    : failure;
            if (cause instanceof RespBackend.OutcomeUnknown unknown) {
                answer = RespReply.error("ERR outcome unknown: " + unknown.getMessage());
            } else if (failure != null) {
                log.error("RESP {} failed unexpectedly", call.command(), failure);
                answer = INTERNAL;
            }
            RespReply done = answer;
            if (loop.inEventLoop()) {
                finish(call, writes, done);
            } else {
                hopsQueued.incrementAndGet();
                loop.execute(() -> {
                    hopsQueued.decrementAndGet();
                    finish(call, writes, done);
                });
            }
        });
    }

    private void finish(Waiting call, boolean writes, RespReply reply) {
        if (writes) {
            writesInFlight--;
        }
        complete(call.slot(), reply);
        resume();
    }

    /**
     * Starts the held-back commands that may run now, in order. A command that completes at once
     * calls back in here; that inner call returns at once and this loop goes on, so thousands of
     * held-back GETs do not nest thousands of frames deep.
     */
    private void resume() {
        if (resuming) {
            return;
        }
        resuming = true;
        try {
            while (!waiting.isEmpty() && !(waiting.peekFirst().reads() && writesInFlight > 0)) {
                start(waiting.pollFirst());
            }
        } finally {
            resuming = false;
        }
    }

    private Pending enqueue(RespCommand command, boolean close) {
        Pending slot = new Pending(command, reading ? batchNanos : System.nanoTime(), close);
        pending.addLast(slot);
        ending |= close;
        updateAutoRead();
        return slot;
    }

    private void complete(Pending slot, RespReply reply) {
        slot.reply = reply;
        metrics.completed(slot.command, reply instanceof RespReply.Error, slot.startNanos);
        while (!pending.isEmpty() && pending.peekFirst().reply != null) {
            Pending next = pending.pollFirst();
            if (out == null) {
                out = ctx.alloc().ioBuffer();
            }
            next.reply.writeTo(out);
            if (next.close) {
                pending.clear();
                waiting.clear();
                ByteBuf last = out;
                out = null;
                ctx.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            if (out.readableBytes() >= OUT_CHUNK_BYTES) {
                handOver();
            }
        }
        if ((out != null || unflushed) && !reading && hopsQueued.get() == 0 && !flushQueued) {
            // Completed outside a read: others of this connection may complete in the same round of
            // the loop's tasks (a batch the log appended on this loop); one flush after them all.
            flushQueued = true;
            ctx.channel().eventLoop().execute(this::flushQueuedReplies);
        }
        updateAutoRead();
    }

    /** Hands the encoded replies to the channel, unflushed. */
    private void handOver() {
        if (out != null) {
            ctx.write(out, ctx.voidPromise());
            out = null;
            unflushed = true;
        }
    }

    private void flushQueuedReplies() {
        flushQueued = false;
        handOver();
        if (unflushed) {
            unflushed = false;
            ctx.flush();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        handOver();
        unflushed = false;
        ctx.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateAutoRead();
        ctx.fireChannelWritabilityChanged();
    }

    /** Back-pressure: read only while the peer reads our replies and the pipeline has room. */
    private void updateAutoRead() {
        Channel channel = ctx.channel();
        boolean read = !ending && channel.isWritable() && pending.size() < PENDING_MAX;
        if (channel.config().isAutoRead() != read) {
            channel.config().setAutoRead(read);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ending = true;
        log.warn("closing RESP connection from {} after an error", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
