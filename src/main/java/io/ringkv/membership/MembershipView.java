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
 * @param syncReplies state-sync replies received (whole member tables heard from others)
 */
public record MembershipView(Endpoint self, long incarnation, List<Update> members, long deathsRefuted,
        long deathsHeard, long syncReplies) {

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
