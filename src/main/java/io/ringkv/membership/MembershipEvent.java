package io.ringkv.membership;

/**
 * A change of a member's state as this member sees it, in the order the core saw it. Events about
 * the local member itself are never emitted.
 */
public sealed interface MembershipEvent {
    Endpoint member();

    long incarnation();

    /** A member not known before, or known as dead or left, is alive (again). */
    record Joined(Endpoint member, long incarnation) implements MembershipEvent {}

    /** A suspected member refuted the suspicion. */
    record Alive(Endpoint member, long incarnation) implements MembershipEvent {}

    /** A member failed a probe (here or elsewhere) and has until its suspicion timeout to refute. */
    record Suspected(Endpoint member, long incarnation) implements MembershipEvent {}

    /** A member was declared dead: its suspicion ran out here, or the news came from elsewhere. */
    record Dead(Endpoint member, long incarnation) implements MembershipEvent {}

    /** A member announced that it leaves. */
    record Left(Endpoint member, long incarnation) implements MembershipEvent {}
}
