package io.ringkv.transport;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/**
 * What a listener does with each datagram or frame it receives.
 *
 * <p>Called on a Netty event-loop thread: it must not block. It may answer at once or later from
 * any thread through the {@link Replier}, at most once per packet. The packet buffer is only valid
 * during the call (the listener releases it afterwards); copy what must outlive it.
 */
@FunctionalInterface
public interface PacketHandler {
    void handle(ByteBuf packet, InetSocketAddress sender, Replier replier);

    /** The listener discarded a packet before it reached {@link #handle}; for counting. */
    default void discarded(InetSocketAddress sender, Discard why) {}

    /** Why a listener discarded a packet on its own. */
    enum Discard {
        /** A datagram longer than the limit (the kernel truncated it into our buffer). */
        OVERSIZED_DATAGRAM,
        /** A TCP frame header that was malformed or announced more than the limit. */
        BAD_FRAME
    }

    /** Answers one packet over the transport it came in on. */
    interface Replier {
        /**
         * Queues the reply, from any thread. Replies given during {@link #handle} leave together at
         * the end of the read batch (one system call for many); replies given later leave together
         * with whatever else the event loop's queued tasks reply. The array must not be mutated
         * after.
         */
        void reply(byte[] bytes);

        /**
         * The packet cannot be answered (garbage, no messageID). On UDP the datagram is simply
         * dropped; on TCP the stream can no longer be trusted, so the connection is closed with
         * the reason logged.
         */
        void reject(String reason);
    }
}
