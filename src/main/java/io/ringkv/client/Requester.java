package io.ringkv.client;

import com.google.protobuf.ByteString;
import io.ringkv.wire.Command;
import io.ringkv.wire.Envelope;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Request/reply over a {@link Link}: gives each request a messageID, keeps it in a table until its
 * reply arrives, resends it with the same messageID when a try times out, and waits out OVERLOAD
 * replies. Every request ends exactly once: with the node's reply (whatever its code), or with an
 * exception saying why no reply will come.
 *
 * <p>Thread-safe. Requests are sent from the calling thread; replies are matched on the link's
 * receiver thread and timeouts fire on one timer thread, and futures complete on those two
 * threads, so code chained onto them must not block (blocking there is refused where it would
 * deadlock, see {@link #onOwnThread()}).
 */
final class Requester implements AutoCloseable {
    private static final System.Logger log = System.getLogger("io.ringkv.client");
    /** Marks the threads a requester owns, to refuse blocking calls that would wait on themselves. */
    private static final ThreadLocal<Requester> OWNER = new ThreadLocal<>();

    private final Link link;
    private final String server;
    private final RetryPolicy policy;
    private final int inFlightMax;
    private final long inFlightWaitMs;
    private final MessageIds ids;
    private final SplittableRandom jitter;
    private final Semaphore permits;
    private final ScheduledThreadPoolExecutor timer;
    private final ConcurrentHashMap<ByteString, Pending> pending = new ConcurrentHashMap<>();
    private final LongAdder sent = new LongAdder();
    private final LongAdder resent = new LongAdder();
    private final LongAdder overloadWaits = new LongAdder();
    private final LongAdder timedOut = new LongAdder();
    private final LongAdder staleReplies = new LongAdder();
    private final LongAdder badReplies = new LongAdder();
    private volatile boolean closed;
    /** The last "nobody listens there" report, cleared by any valid reply; added to timeout messages. */
    private volatile String unreachable;

    Requester(Link link, String server, RetryPolicy policy, int inFlightMax, long inFlightWaitMs, long seed) {
        this.link = link;
        this.server = server;
        this.policy = policy;
        this.inFlightMax = inFlightMax;
        this.inFlightWaitMs = inFlightWaitMs;
        SplittableRandom random = new SplittableRandom(seed);
        this.ids = new MessageIds(random.nextLong());
        this.jitter = random.split();
        this.permits = new Semaphore(inFlightMax);
        ThreadFactory threads = ownedThreads();
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = threads.newThread(r);
            t.setName("ringkv-client-timer-" + server);
            return t;
        });
        // Cancelled timeouts (the common case: the reply came) must not pile up in the queue.
        timer.setRemoveOnCancelPolicy(true);
        link.start(new Replies(), threads);
    }

    private ThreadFactory ownedThreads() {
        return task -> {
            Thread thread = new Thread(() -> {
                OWNER.set(this);
                task.run();
            });
            // Daemon, so that a client someone forgot to close does not keep the JVM alive.
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Whether the calling thread is one of this requester's, where waiting for a reply would deadlock. */
    boolean onOwnThread() {
        return OWNER.get() == this;
    }

    /**
     * Sends a request and completes with the node's reply, whatever its errCode, except that OVERLOAD
     * is retried (within the policy) before it is returned.
     *
     * <p>Waits up to inFlightWaitMs for a free slot when inFlightMax requests are outstanding (not at
     * all on the client's own threads), then fails with {@link RejectedExecutionException}: such a
     * request was never sent.
     */
    CompletableFuture<KVResponse> exchange(KVRequest request) {
        Command command = Command.of(request.getCommand());
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("client is closed"));
        }
        try {
            boolean admitted = onOwnThread()
                    ? permits.tryAcquire()
                    : permits.tryAcquire(inFlightWaitMs, TimeUnit.MILLISECONDS);
            if (!admitted) {
                return CompletableFuture.failedFuture(new RejectedExecutionException(
                        inFlightMax + " requests already in flight to " + server + "; not sent"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(e);
        }
        ByteString id = ids.next();
        byte[] envelope = Envelope.sealRequest(id, request);
        if (envelope.length > link.envelopeBytesMax()) {
            permits.release();
            return CompletableFuture.failedFuture(new IllegalArgumentException("request of " + envelope.length
                    + " bytes does not fit in one message (max " + link.envelopeBytesMax() + ")"));
        }
        Pending p = new Pending(id, envelope, command);
        pending.put(id, p);
        if (closed) {
            // close() may have swept the table before the put; do not leave this one behind.
            p.abandon(OutcomeUnknownException.Reason.CLIENT_CLOSED, null);
        } else {
            p.transmit(true);
        }
        return p.future;
    }

    ClientStats stats() {
        return new ClientStats(sent.sum(), resent.sum(), overloadWaits.sum(), timedOut.sum(), staleReplies.sum(),
                badReplies.sum(), pending.size());
    }

    @Override
    public void close() {
        closed = true;
        link.close();
        timer.shutdownNow();
        for (Pending p : pending.values()) {
            p.abandon(OutcomeUnknownException.Reason.CLIENT_CLOSED, null);
        }
    }

    private ScheduledFuture<?> schedule(Runnable task, long delayMs) {
        try {
            return timer.schedule(task, delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            return null; // closing: close() fails every request still in the table
        }
    }

    private double nextUniform() {
        synchronized (jitter) {
            return jitter.nextDouble();
        }
    }

    private static String shortId(ByteString id) {
        return HexFormat.of().formatHex(id.substring(0, Math.min(4, id.size())).toByteArray());
    }

    /** One outstanding request. Its fields are guarded by the object's monitor; sends happen outside it. */
    private final class Pending {
        final ByteString id;
        final byte[] envelope;
        final Command command;
        final CompletableFuture<KVResponse> future = new CompletableFuture<>();
        final long startNanos = System.nanoTime();
        private int tries;
        private int overloadRetries;
        private long generation = -1;
        private ScheduledFuture<?> timeout;
        private boolean done;

        Pending(ByteString id, byte[] envelope, Command command) {
            this.id = id;
            this.envelope = envelope;
            this.command = command;
        }

        /**
         * Arms the timeout, then sends. A new try uses the next timeout of the schedule; a resend
         * after OVERLOAD repeats the current one, since it does not use up a try.
         */
        void transmit(boolean newTry) {
            boolean firstSend;
            synchronized (this) {
                if (done) {
                    return;
                }
                if (newTry) {
                    tries++;
                }
                firstSend = tries == 1 && overloadRetries == 0;
                long waitMs = link.retransmits() ? policy.timeoutMs(tries - 1) : policy.totalTimeoutMs();
                timeout = schedule(this::onTimeout, waitMs);
            }
            // Counted before the send: the reply may complete the caller before send returns.
            LongAdder counter = firstSend ? sent : resent;
            counter.increment();
            try {
                long g = link.send(envelope);
                synchronized (this) {
                    generation = g;
                }
            } catch (Link.NotSentException e) {
                counter.decrement();
                if (firstSend) {
                    finish(null, new RequestNotSentException(e.getMessage(), e));
                } else {
                    abandon(OutcomeUnknownException.Reason.CONNECTION_LOST, e);
                }
            } catch (IOException e) {
                if (link.retransmits()) {
                    // Like a lost datagram: the armed timeout sends it again.
                    log.log(System.Logger.Level.DEBUG, () -> "sending " + command + " to " + server + " failed: " + e);
                } else {
                    abandon(OutcomeUnknownException.Reason.CONNECTION_LOST, e);
                }
            }
        }

        void onTimeout() {
            boolean resend;
            int triesSoFar;
            synchronized (this) {
                if (done) {
                    return;
                }
                triesSoFar = tries;
                resend = link.retransmits() && tries < policy.tries();
            }
            if (resend) {
                log.log(System.Logger.Level.DEBUG, () -> "no reply to " + command + " " + shortId(id) + " from "
                        + server + " after " + policy.timeoutMs(triesSoFar - 1) + " ms; sending try "
                        + (triesSoFar + 1) + " of " + policy.tries());
                transmit(true);
            } else {
                timedOut.increment();
                abandon(OutcomeUnknownException.Reason.TIMED_OUT, null);
            }
        }

        void onReply(KVResponse response) {
            if (response.getErrCode() == ErrorCode.OVERLOAD.code()) {
                synchronized (this) {
                    if (done) {
                        return;
                    }
                    if (overloadRetries < policy.overloadRetriesMax()) {
                        overloadRetries++;
                        cancelTimeout();
                        long delayMs = policy.overloadDelayMs(response.getOverloadWaitTime(), nextUniform());
                        log.log(System.Logger.Level.DEBUG, () -> server + " is overloaded; resending " + command
                                + " " + shortId(id) + " in " + delayMs + " ms");
                        overloadWaits.increment();
                        timeout = schedule(() -> transmit(false), delayMs);
                        return;
                    }
                }
            }
            finish(response, null);
        }

        void abandon(OutcomeUnknownException.Reason reason, Throwable cause) {
            int triesSoFar;
            synchronized (this) {
                triesSoFar = tries;
            }
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
            String detail = reason == OutcomeUnknownException.Reason.TIMED_OUT ? unreachable : null;
            finish(null, new OutcomeUnknownException(command, reason, triesSoFar, elapsedMs, detail, cause));
        }

        /** Ends the request exactly once; later calls do nothing. */
        private void finish(KVResponse response, Throwable failure) {
            synchronized (this) {
                if (done) {
                    return;
                }
                done = true;
                cancelTimeout();
            }
            pending.remove(id, this);
            // Released before completing, so that code chained onto the future can send again.
            permits.release();
            if (failure == null) {
                future.complete(response);
            } else {
                future.completeExceptionally(failure);
            }
        }

        private void cancelTimeout() {
            if (timeout != null) {
                timeout.cancel(false);
                timeout = null;
            }
        }

        synchronized boolean sentOn(long lostGeneration) {
            return generation <= lostGeneration;
        }
    }

    private final class Replies implements Link.Receiver {
        @Override
        public void onReply(ByteBuffer bytes) {
            Envelope.Reply reply = Envelope.openReply(bytes);
            if (reply == null) {
                badReplies.increment();
                log.log(System.Logger.Level.DEBUG, () -> "dropped a reply from " + server + " that does not parse or fails its checksum");
                return;
            }
            unreachable = null;
            Pending p = pending.get(reply.messageId());
            if (p == null) {
                // A second reply to a resent request, or one that came after we gave up.
                staleReplies.increment();
                return;
            }
            p.onReply(reply.response());
        }

        @Override
        public void onUnreachable(String detail) {
            unreachable = detail;
        }

        @Override
        public void onLost(long generation, IOException cause) {
            for (Pending p : pending.values()) {
                if (p.sentOn(generation)) {
                    p.abandon(OutcomeUnknownException.Reason.CONNECTION_LOST, cause);
                }
            }
        }
    }
}
