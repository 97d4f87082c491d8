package io.ringkv.membership;

import java.util.List;

/**
 * A snapshot of what one member knows: itself, every other member it has heard of (dead ones
 * included) and the counts a node needs to decide whether its data is current. Immutable.
 *
 * @param self this member
 * @param incarnation this member's incarnation
 * @param members the others, sorted by id, as this member believes them to be
 * @param deathsRefuted times this member, while running, was declared dead (or gone) and refuted it
 * @param deathsHeard reports that this member is dead or gone, at any incarnation, older lives included
 * @param deathIncarnationMax the highest incarnation at which it was reported dead or gone, -1 for never
 * @param syncReplies state-sync replies received (whole member tables heard from others)
 * @param stalls stalls this member noticed in itself (a pause, a starved CPU)
 * @param lastStallMs how long the last one was
 */
public record MembershipView(Endpoint self, long incarnation, List<Update> members, long deathsRefuted,
        long deathsHeard, long deathIncarnationMax, long syncReplies, long stalls, long lastStallMs) {

    public MembershipView {
        members = List.copyOf(members);
    }

    /** The members believed alive or suspected, this one included. */
    public int liveCount() {
        int live = 1;
        for (Update m : members) {
            if (m.kind() == Update.Kind.ALIVE || m.kind() == Update.Kind.SUSPECT) {
                live++;
            }
        }
        return live;
    }
}
