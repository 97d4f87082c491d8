package io.ringkv.ring;

import java.util.List;

/**
 * The three-member cluster the replication and routing unit tests share: members "a", "b" and "c"
 * on loopback (ports that nothing binds: the tests' peers are stand-ins), and their ring at epoch 5
 * with 16 tokens each and three copies of every key.
 */
public final class ThreeMembers {
    public static final Member A = new Member("a", "127.0.0.1", 1, 2);
    public static final Member B = new Member("b", "127.0.0.1", 3, 4);
    public static final Member C = new Member("c", "127.0.0.1", 5, 6);
    public static final Ring RING = Ring.of(5, 16, 3, List.of(A, B, C));

    private ThreeMembers() {}
}
