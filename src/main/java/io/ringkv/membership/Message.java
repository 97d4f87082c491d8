package io.ringkv.membership;

import java.util.List;
import java.util.Objects;

/**
 * What members send each other, one message per datagram. Every message carries {@code gossip}:
 * membership updates piggybacked on it (SWIM's infection-style dissemination), at most
 * {@link SwimConfig#updatesPerMessageMax} of them and within the datagram size limit.
 *
 * <p>Nothing here assumes delivery, ordering or a single copy: any message may be lost, delayed,
 * duplicated or reordered, and the core must stay correct (if less accurate) under all of that.
 */
public sealed interface Message {
    List<Update> gossip();

    /**
     * Are you there? Answered by an {@link Ack} with the same {@code seq} to the sender's address.
     * {@code targetId} lets a member that took over the address of another ignore probes meant for
     * that other one (a restart under a new id), instead of acknowledging them.
     */
    record Ping(int seq, String targetId, List<Update> gossip) implements Message {
        public Ping {
            Objects.requireNonNull(targetId, "targetId");
            gossip = List.copyOf(gossip);
        }
    }

    /**
     * Probe {@code target} for me: the receiver pings it under a seq of its own and forwards the
     * {@link Ack} to the requester under {@code seq}; if none comes within its nack timeout it
     * answers a {@link Nack} (Lifeguard), which tells the requester that its own link works.
     */
    record PingReq(int seq, Endpoint target, List<Update> gossip) implements Message {
        public PingReq {
            Objects.requireNonNull(target, "target");
            gossip = List.copyOf(gossip);
        }
    }

    /** The answer to a {@link Ping}, or one forwarded for a {@link PingReq}. */
    record Ack(int seq, List<Update> gossip) implements Message {
        public Ack {
            gossip = List.copyOf(gossip);
        }
    }

    /** An intermediary got no ack from the target of a {@link PingReq} in time. */
    record Nack(int seq, List<Update> gossip) implements Message {
        public Nack {
            gossip = List.copyOf(gossip);
        }
    }

    /**
     * Send me one page of your member table, the members whose ids sort after {@code afterId}
     * ("" for the first page). {@code self} announces the sender, which is how a joining member
     * becomes known to its seed.
     */
    record SyncRequest(Update self, String afterId, List<Update> gossip) implements Message {
        public SyncRequest {
            Objects.requireNonNull(self, "self");
            Objects.requireNonNull(afterId, "afterId");
            gossip = List.copyOf(gossip);
        }
    }

    /**
     * One page of the sender's member table, every state included, sorted by id. {@code nextAfterId}
     * is the cursor for the next page, or "" when this was the last one.
     */
    record SyncReply(List<Update> members, String nextAfterId, List<Update> gossip) implements Message {
        public SyncReply {
            members = List.copyOf(members);
            Objects.requireNonNull(nextAfterId, "nextAfterId");
            gossip = List.copyOf(gossip);
        }
    }

    /** Updates alone, unasked: how a leaving member tells a few others before it goes. */
    record Gossip(List<Update> gossip) implements Message {
        public Gossip {
            gossip = List.copyOf(gossip);
        }
    }
}
