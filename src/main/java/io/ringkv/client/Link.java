package io.ringkv.client;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ThreadFactory;

/**
 * Moves request envelopes to one node and hands the reply envelopes back. It knows nothing of
 * messageIDs, retries or commands.
 *
 * <p>Assumptions the {@link Requester} relies on: replies may arrive in any order, duplicated, or
 * not at all; {@link #send} never blocks for long (a full TCP socket buffer must not stall the
 * caller, because the caller may be the thread that has to read the replies); the receiver's
 * callbacks run on the link's own threads, one at a time per link.
 */
interface Link extends AutoCloseable {
    /** Starts the receiving side; called once, before the first {@link #send}. */
    void start(Receiver receiver, ThreadFactory threads);

    /**
     * Hands one envelope to the network.
     *
     * @return the generation of the connection that took it (always 0 for UDP), so that a
     *     connection loss fails only the requests that were on that connection
     * @throws NotSentException when the envelope certainly did not leave (no connection could be made)
     * @throws IOException when it may or may not have left
     */
    long send(byte[] envelope) throws IOException;

    /** Whether sending the same envelope again after a timeout can help: true for UDP, false for TCP. */
    boolean retransmits();

    /** The largest envelope {@link #send} accepts. */
    int envelopeBytesMax();

    /** Releases the socket and stops the link's threads; no callbacks follow once it returns. */
    @Override
    void close();

    /** Where replies go. Called on the link's threads; implementations must not block. */
    interface Receiver {
        /** One reply envelope; the buffer is only valid during the call. */
        void onReply(ByteBuffer envelope);

        /** The network said nobody listens at the node's address (ICMP port unreachable). */
        void onUnreachable(String detail);

        /** The connection of this generation broke; none of its outstanding requests will get a reply. */
        void onLost(long generation, IOException cause);
    }

    /** The envelope was not handed to the network at all, so the request was certainly not executed. */
    final class NotSentException extends IOException {
        NotSentException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
