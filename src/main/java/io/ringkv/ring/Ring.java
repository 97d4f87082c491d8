package io.ringkv.ring;

import io.ringkv.common.RingPosition;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiPredicate;

/**
 * An immutable snapshot of the consistent-hash ring: members, their virtual-node tokens, and an
 * epoch that grows with every change the ECS publishes.
 *
 * <p>Each member has {@code vnodes} tokens, the ring positions of {@code "<id>#<i>"} for i in
 * 0..vnodes-1 (see {@link RingPosition}): deterministic from the id, so every process computes the
 * same ring from the same members and only (epoch, vnodes, members) travels on the wire. A token
 * owns the range from the previous token (exclusive) to itself (inclusive); a key belongs to the
 * first token at or clockwise after its position. Two members whose tokens collide (probability
 * about n²·v²/2⁶⁵) are ordered by id, so the lookup stays deterministic.
 *
 * <p>Thread-safe: immutable after construction.
 */
public final class Ring {
    /** Upper bound on tokens per member: beyond it lookups gain nothing and snapshots grow. */
    public static final int VNODES_MAX = 4096;
    /** Upper bound on members, so a snapshot's arrays stay small. */
    public static final int MEMBERS_MAX = 4096;
    /** Upper bound on copies of a key: every write waits for each of them. */
    public static final int REPLICATION_FACTOR_MAX = 7;

    private final long epoch;
    private final int vnodes;
    private final int replicationFactor;
    private final List<Member> members;
    private final Map<String, Integer> indexById;
    /** Token positions, sorted unsigned; tokenOwner[i] indexes members. */
    private final long[] tokens;
    private final int[] tokenOwner;

    private Ring(long epoch, int vnodes, int replicationFactor, List<Member> members) {
        if (vnodes < 1 || vnodes > VNODES_MAX) {
            throw new IllegalArgumentException("vnodes must be 1.." + VNODES_MAX + ": " + vnodes);
        }
        if (replicationFactor < 1 || replicationFactor > REPLICATION_FACTOR_MAX) {
            throw new IllegalArgumentException("replication factor must be 1.." + REPLICATION_FACTOR_MAX + ": "
                    + replicationFactor);
        }
        if (members.size() > MEMBERS_MAX) {
            throw new IllegalArgumentException("at most " + MEMBERS_MAX + " members: " + members.size());
        }
        this.epoch = epoch;
        this.vnodes = vnodes;
        this.replicationFactor = replicationFactor;
        List<Member> sorted = new ArrayList<>(members);
        sorted.sort(Comparator.comparing(Member::id));
        this.members = List.copyOf(sorted);
        this.indexById = new HashMap<>();
        for (int i = 0; i < sorted.size(); i++) {
            if (indexById.put(sorted.get(i).id(), i) != null) {
                throw new IllegalArgumentException("duplicate member id " + sorted.get(i).id());
            }
        }
        int n = sorted.size() * vnodes;
        long[][] pairs = new long[n][];
        for (int m = 0; m < sorted.size(); m++) {
            long[] own = tokensOf(sorted.get(m).id(), vnodes);
            for (int v = 0; v < vnodes; v++) {
                pairs[m * vnodes + v] = new long[] {own[v], m};
            }
        }
        Arrays.sort(pairs, (a, b) -> a[0] != b[0] ? Long.compareUnsigned(a[0], b[0]) : Long.compare(a[1], b[1]));
        this.tokens = new long[n];
        this.tokenOwner = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = pairs[i][0];
            tokenOwner[i] = (int) pairs[i][1];
        }
    }

    /** A ring of these members (in any order) with {@code vnodes} tokens each and one copy of every key. */
    public static Ring of(long epoch, int vnodes, List<Member> members) {
        return new Ring(epoch, vnodes, 1, members);
    }

    /**
     * A ring of these members with {@code vnodes} tokens each, keeping {@code replicationFactor}
     * copies of every key (fewer while the ring has fewer members).
     */
    public static Ring of(long epoch, int vnodes, int replicationFactor, List<Member> members) {
        return new Ring(epoch, vnodes, replicationFactor, members);
    }

    /** The tokens of a member id, in vnode order. */
    public static long[] tokensOf(String id, int vnodes) {
        long[] out = new long[vnodes];
        for (int i = 0; i < vnodes; i++) {
            out[i] = RingPosition.of((id + "#" + i).getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    public long epoch() {
        return epoch;
    }

    public int vnodes() {
        return vnodes;
    }

    /** Copies of every key the ring asks for: the primary and {@code replicationFactor - 1} backups. */
    public int replicationFactor() {
        return replicationFactor;
    }

    /** Members sorted by id. */
    public List<Member> members() {
        return members;
    }

    public boolean isEmpty() {
        return members.isEmpty();
    }

    public Optional<Member> member(String id) {
        Integer i = indexById.get(id);
        return i == null ? Optional.empty() : Optional.of(members.get(i));
    }

    /** The same members and tokens under another epoch. */
    public Ring withEpoch(long newEpoch) {
        return new Ring(newEpoch, vnodes, replicationFactor, members);
    }

    /** Other members, the same tokens per member and replication factor, under another epoch. */
    public Ring withMembers(long newEpoch, List<Member> newMembers) {
        return new Ring(newEpoch, vnodes, replicationFactor, newMembers);
    }

    /** This ring plus a member (replacing one of the same id), at epoch + 1. */
    public Ring plus(Member member) {
        List<Member> next = new ArrayList<>(members);
        next.removeIf(m -> m.id().equals(member.id()));
        next.add(member);
        return new Ring(epoch + 1, vnodes, replicationFactor, next);
    }

    /** This ring without a member, at epoch + 1. */
    public Ring minus(String id) {
        List<Member> next = new ArrayList<>(members);
        next.removeIf(m -> m.id().equals(id));
        return new Ring(epoch + 1, vnodes, replicationFactor, next);
    }

    /** The member owning a ring position. */
    public Member ownerOf(long position) {
        requireMembers();
        return members.get(tokenOwner[successor(position)]);
    }

    /** The member owning a key. */
    public Member ownerOfKey(byte[] key) {
        return ownerOf(RingPosition.of(key));
    }

    /**
     * The first {@code n} distinct members clockwise from the position: the primary, then its
     * backups in order. Fewer when the ring has fewer members.
     */
    public List<Member> preferenceList(long position, int n) {
        requireMembers();
        int want = Math.min(n, members.size());
        // On every routed request: a small array and a linear check, no set (want is RF, a handful).
        Member[] out = new Member[want];
        int found = 0;
        int at = successor(position);
        for (int step = 0; step < tokens.length && found < want; step++) {
            Member m = members.get(tokenOwner[(at + step) % tokens.length]);
            int i = 0;
            while (i < found && out[i] != m) {
                i++;
            }
            if (i == found) {
                out[found++] = m;
            }
        }
        return List.of(found == want ? out : Arrays.copyOf(out, found));
    }

    /** The replica set of a position: its primary first, then the backups, {@link #replicationFactor} at most. */
    public List<Member> replicasOf(long position) {
        return preferenceList(position, replicationFactor);
    }

    /** The ranges a member owns as primary, in ring order; adjacent ranges are merged. */
    public List<TokenRange> rangesOf(String id) {
        Integer m = indexById.get(id);
        if (m == null) {
            return List.of();
        }
        if (members.size() == 1) {
            return List.of(new TokenRange(0, 0));
        }
        List<TokenRange> out = new ArrayList<>();
        for (int i = 0; i < tokens.length; i++) {
            if (tokenOwner[i] == m && tokens[i] != previousToken(i)) {
                long start = previousToken(i);
                TokenRange last = out.isEmpty() ? null : out.getLast();
                if (last != null && last.endInclusive() == start) {
                    out.set(out.size() - 1, new TokenRange(last.startExclusive(), tokens[i]));
                } else {
                    out.add(new TokenRange(start, tokens[i]));
                }
            }
        }
        // The last range may continue into the first across the top of the ring.
        if (out.size() > 1 && out.getLast().endInclusive() == out.getFirst().startExclusive()) {
            TokenRange first = out.removeFirst();
            TokenRange last = out.removeLast();
            out.add(new TokenRange(last.startExclusive(), first.endInclusive()));
        }
        return out;
    }

    /**
     * What must be streamed for {@code after} to take over from {@code before}: for every range,
     * one transfer to each member of its replica set in {@code after} that was not in its replica
     * set in {@code before}, from the range's primary in {@code before} (the member that orders its
     * writes, so that it can also track the writes made while it streams). With one copy per key
     * this is the ranges whose owner changes. Ranges owned by nobody before (an empty ring) are not
     * listed: there is nothing to move. Adjacent ranges with the same source and target are merged.
     */
    public static List<Transfer> transfers(Ring before, Ring after) {
        if (before.isEmpty() || after.isEmpty()) {
            return List.of();
        }
        long[] points = cutPoints(before, after);
        List<Transfer> out = new ArrayList<>();
        Map<String, Integer> lastByPair = new HashMap<>();
        for (int i = 0; i < points.length; i++) {
            long end = points[i];
            long start = points[(i - 1 + points.length) % points.length];
            if (points.length == 1) {
                start = end; // one distinct point: the whole ring
            }
            List<Member> was = before.replicasOf(end);
            String from = was.getFirst().id();
            for (Member target : after.replicasOf(end)) {
                if (names(was, target.id())) {
                    continue;
                }
                String pair = from + "\n" + target.id();
                Integer at = lastByPair.get(pair);
                Transfer last = at == null ? null : out.get(at);
                if (last != null && last.range().endInclusive() == start) {
                    out.set(at, new Transfer(new TokenRange(last.range().startExclusive(), end), from, target.id()));
                } else {
                    lastByPair.put(pair, out.size());
                    out.add(new Transfer(new TokenRange(start, end), from, target.id()));
                }
            }
        }
        return out;
    }

    /**
     * The ranges where {@code test} holds for the replica sets of {@code before} and {@code after}
     * (in that order), in ring order, adjacent ones merged. {@code before} may be null or empty: the
     * test then sees an empty list for it. An empty {@code after} has no ranges.
     */
    public static List<TokenRange> rangesWhere(Ring before, Ring after, BiPredicate<List<Member>, List<Member>> test) {
        if (after == null || after.isEmpty()) {
            return List.of();
        }
        boolean hadMembers = before != null && !before.isEmpty();
        long[] points = hadMembers ? cutPoints(before, after) : cutPoints(after, after);
        List<TokenRange> out = new ArrayList<>();
        for (int i = 0; i < points.length; i++) {
            long end = points[i];
            long start = points.length == 1 ? end : points[(i - 1 + points.length) % points.length];
            if (!test.test(hadMembers ? before.replicasOf(end) : List.of(), after.replicasOf(end))) {
                continue;
            }
            TokenRange last = out.isEmpty() ? null : out.getLast();
            if (last != null && last.endInclusive() == start) {
                out.set(out.size() - 1, new TokenRange(last.startExclusive(), end));
            } else {
                out.add(new TokenRange(start, end));
            }
        }
        if (out.size() > 1 && out.getLast().endInclusive() == out.getFirst().startExclusive()) {
            TokenRange first = out.removeFirst();
            TokenRange last = out.removeLast();
            out.add(new TokenRange(last.startExclusive(), first.endInclusive()));
        }
        return out;
    }

    /** Whether the two replica lists name the same members in the same order (addresses aside). */
    public static boolean sameReplicas(List<Member> a, List<Member> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).id().equals(b.get(i).id())) {
                return false;
            }
        }
        return true;
    }

    /** Whether the list names the member. */
    public static boolean names(List<Member> replicas, String id) {
        for (Member m : replicas) {
            if (m.id().equals(id)) {
                return true;
            }
        }
        return false;
    }

    /** Every token of both rings, sorted unsigned and distinct: replica sets are constant between two. */
    private static long[] cutPoints(Ring a, Ring b) {
        long[] cuts = new long[a.tokens.length + b.tokens.length];
        System.arraycopy(a.tokens, 0, cuts, 0, a.tokens.length);
        System.arraycopy(b.tokens, 0, cuts, a.tokens.length, b.tokens.length);
        return Arrays.stream(cuts).map(t -> t ^ Long.MIN_VALUE).sorted().distinct()
                .map(t -> t ^ Long.MIN_VALUE).toArray();
    }

    /** Index of the first token at or after position, wrapping to 0. */
    private int successor(long position) {
        int lo = 0;
        int hi = tokens.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(tokens[mid], position) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo == tokens.length ? 0 : lo;
    }

    private long previousToken(int i) {
        return tokens[(i - 1 + tokens.length) % tokens.length];
    }

    private void requireMembers() {
        if (members.isEmpty()) {
            throw new IllegalStateException("the ring at epoch " + epoch + " has no members");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Ring r && r.epoch == epoch && r.vnodes == vnodes
                && r.replicationFactor == replicationFactor && r.members.equals(members);
    }

    @Override
    public int hashCode() {
        return Objects.hash(epoch, vnodes, replicationFactor, members);
    }

    @Override
    public String toString() {
        return "Ring{epoch=" + epoch + ", vnodes=" + vnodes + ", rf=" + replicationFactor + ", members="
                + members.stream().map(Member::id).toList() + "}";
    }
}
