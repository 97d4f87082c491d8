package io.ringkv.transport;

import io.netty.channel.Channel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.RejectedExecutionException;

/**
 * Writes a channel's replies and sees that each is flushed, with as few flushes (system calls) as
 * the order of events allows. One per channel; its state is touched only on the channel's event
 * loop.
 *
 * <ul>
 *   <li>A reply written while the loop dispatches a read waits for the flush at the read's end
 *       ({@link #readComplete}): the replies of a burst of datagrams or frames leave together.
 *   <li>A reply written on the loop outside a read (a completion the loop ran as a task, such as a
 *       batch of writes the log appended on the loop) is flushed by one task queued behind the
 *       loop's pending tasks, so that the other completions of the same batch go with it.
 *   <li>A reply from another thread (a write made durable by the log's writer thread, an answer
 *       from another node) is handed to the loop as a task and then treated as above: the replies
 *       of one fsync, completed one after another, leave in one flush instead of one each.
 * </ul>
 */
final class ReplyFlusher {
    private final Channel channel;
    private boolean reading;
    private boolean flushQueued;

    ReplyFlusher(Channel channel) {
        this.channel = channel;
    }

    /** The loop is dispatching a read: replies wait for {@link #readComplete}. */
    void reading() {
        reading = true;
    }

    void readComplete() {
        reading = false;
        channel.flush();
    }

    void write(Object reply) {
        if (!channel.eventLoop().inEventLoop()) {
            try {
                channel.eventLoop().execute(() -> write(reply));
            } catch (RejectedExecutionException e) {
                // The listener is closing: the reply is lost with the channel, as any unsent one.
                ReferenceCountUtil.release(reply);
            }
            return;
        }
        channel.write(reply, channel.voidPromise());
        if (!reading && !flushQueued) {
            flushQueued = true;
            channel.eventLoop().execute(this::flushQueued);
        }
    }

    private void flushQueued() {
        flushQueued = false;
        channel.flush();
    }
}
