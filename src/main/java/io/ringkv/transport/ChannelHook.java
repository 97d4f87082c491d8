package io.ringkv.transport;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;

/**
 * An optional handler that whoever opens a listener puts into each of its channels, between the
 * listener's framing and its request handling. It sees whole messages both ways: inbound a
 * {@code DatagramPacket} (UDP) or one frame's {@code ByteBuf} without its length prefix (TCP);
 * outbound a reply {@code DatagramPacket} or a framed reply {@code ByteBuf}.
 *
 * <p>Why it exists: decorators such as fault injection ({@code io.ringkv.faults}) wrap the transport
 * from outside instead of living in it as flags; the transport only offers this seam and knows
 * nothing of what the handler does. With {@link #NONE} nothing is added and the pipeline is exactly
 * what it is without the hook.
 */
@FunctionalInterface
public interface ChannelHook {
    /** Adds nothing. */
    ChannelHook NONE = () -> null;

    /**
     * A new handler for one channel, or null to add none. Called once per channel, on its event loop
     * while the channel is being set up; the handler then runs on that event loop and must not block.
     */
    ChannelHandler newHandler();

    /** Adds a new handler, if there is one, at the end of {@code pipeline} as it is being built. */
    default void addTo(ChannelPipeline pipeline) {
        ChannelHandler handler = newHandler();
        if (handler != null) {
            pipeline.addLast("hook", handler);
        }
    }
}
