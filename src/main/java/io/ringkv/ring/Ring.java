package io.ringkv.ring;

import io.ringkv.common.RingPosition;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

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

    private final long epoch;
    private final int vnodes;
    private final List<Member> members;
    private final Map<String, Integer> indexById;
    /** Token positions, sorted unsigned; tokenOwner[i] indexes members. */
    private final long[] tokens;
    private final int[] tokenOwner;

    private Ring(long epoch, int vnodes, List<Member> members) {
        if (vnodes < 1 || vnodes > VNODES_MAX) {
            throw new IllegalArgumentException("vnodes must be 1.." + VNODES_MAX + ": " + vnodes);
        }
        if (members.size() > MEMBERS_MAX) {
            throw new IllegalArgumentException("at most " + MEMBERS_MAX + " members: " + members.size());
        }
        this.epoch = epoch;
        this.vnodes = vnodes;
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

    /** A ring of these members (in any order) with {@code vnodes} tokens each. */
    public static Ring of(long epoch, int vnodes, List<Member> members) {
        return new Ring(epoch, vnodes, members);
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
        return new Ring(newEpoch, vnodes, members);
    }

    /** This ring plus a member (replacing one of the same id), at epoch + 1. */
    public Ring plus(Member member) {
        List<Member> next = new ArrayList<>(members);
        next.removeIf(m -> m.id().equals(member.id()));
        next.add(member);
        return new Ring(epoch + 1, vnodes, next);
    }

    /** This ring without a member, at epoch + 1. */
    public Ring minus(String id) {
        List<Member> next = new ArrayList<>(members);
        next.removeIf(m -> m.id().equals(id));
        return new Ring(epoch + 1, vnodes, next);
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
        Set<Integer> seen = new LinkedHashSet<>();
        int at = successor(position);
        for (int step = 0; step < tokens.length && seen.size() < want; step++) {
            seen.add(tokenOwner[(at + step) % tokens.length]);
        }
        List<Member> out = new ArrayList<>(want);
        for (int i : seen) {
            out.add(members.get(i));
        }
        return out;
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
     * The ranges whose owner differs between {@code before} and {@code after}, with both owners:
     * what must be streamed for {@code after} to take over. Ranges owned by nobody before (an
     * empty ring) are not listed: there is nothing to move.
     */
    public static List<Transfer> transfers(Ring before, Ring after) {
        if (before.isEmpty() || after.isEmpty()) {
            return List.of();
        }
        long[] cuts = new long[before.tokens.length + after.tokens.length];
        System.arraycopy(before.tokens, 0, cuts, 0, before.tokens.length);
        System.arraycopy(after.tokens, 0, cuts, before.tokens.length, after.tokens.length);
        long[] points = Arrays.stream(cuts).map(t -> t ^ Long.MIN_VALUE).sorted().distinct()
                .map(t -> t ^ Long.MIN_VALUE).toArray();
        List<Transfer> out = new ArrayList<>();
        for (int i = 0; i < points.length; i++) {
            long end = points[i];
            long start = points[(i - 1 + points.length) % points.length];
            if (points.length == 1) {
                start = end; // one distinct point: the whole ring
            }
            String from = before.ownerOf(end).id();
            String to = after.ownerOf(end).id();
            if (from.equals(to)) {
                continue;
            }
            Transfer last = out.isEmpty() ? null : out.getLast();
            if (last != null && last.from().equals(from) && last.to().equals(to)
                    && last.range().endInclusive() == start) {
                out.set(out.size() - 1, new Transfer(new TokenRange(last.range().startExclusive(), end), from, to));
            } else {
                out.add(new Transfer(new TokenRange(start, end), from, to));
            }
        }
        return out;
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
        return o instanceof Ring r && r.epoch == epoch && r.vnodes == vnodes && r.members.equals(members);
    }

    @Override
    public int hashCode() {
        return Objects.hash(epoch, vnodes, members);
    }

    @Override
    public String toString() {
        return "Ring{epoch=" + epoch + ", vnodes=" + vnodes + ", members="
                + members.stream().map(Member::id).toList() + "}";
    }
}
