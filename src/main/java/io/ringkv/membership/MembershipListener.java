package io.ringkv.membership;

/**
 * Told of every membership change, in the order the protocol saw them. Called on the runner's
 * single thread: it must not block (hand work to another thread), and what it throws is logged and
 * otherwise ignored.
 */
@FunctionalInterface
public interface MembershipListener {
    void onEvent(MembershipEvent event);
}
