package io.ringkv.common;

import java.util.concurrent.Executor;

/**
 * The event loop that the current thread runs, if it runs one. Work handed to it runs on this same
 * thread after the loop has dispatched its current batch of I/O events, so a layer below the
 * transport can gather what a burst of requests produced (a pipelined read, a run of datagrams)
 * and act on it once, on the thread that will send the replies, instead of handing every request
 * to a thread of its own. Transports register their loops; on every other thread there is none.
 */
public final class CallerLoop {
    private static final ThreadLocal<Executor> LOOP = new ThreadLocal<>();

    private CallerLoop() {}

    /** Called on the loop's own thread, before it serves any request. */
    public static void register(Executor loop) {
        LOOP.set(loop);
    }

    /** The current thread's loop, or null when the thread runs none. */
    public static Executor current() {
        return LOOP.get();
    }
}
