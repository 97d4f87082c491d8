package io.ringkv.membership;

import java.util.Objects;

/**
 * One piece of membership news, gossiped piggyback on probes and sent whole in state syncs: what
 * {@code from} believes about {@code member} at {@code incarnation}.
 *
 * <p>Ordering, for updates about the same member (SWIM §4.2, with Lifeguard's confirmations): an
 * update at a higher incarnation overrides any at a lower one; at the same incarnation SUSPECT
 * overrides ALIVE, and DEAD or LEFT override both. Only the member itself raises its incarnation,
 * so a member refutes a suspicion (or a death) by announcing ALIVE at a higher incarnation.
 *
 * @param from the member that raised a SUSPECT or DEAD (distinct ones count as independent
 *     confirmations of a suspicion); the member itself for ALIVE and LEFT
 */
public record Update(Kind kind, Endpoint member, long incarnation, String from) {
    /**
     * ONLY APPEND: the codes are written on the wire.
     */
    public enum Kind {
        ALIVE(1),
        SUSPECT(2),
        DEAD(3),
        /** Left of its own will: like DEAD, but nobody needs to repair anything urgently or suspect it. */
        LEFT(4);

        final int code;

        Kind(int code) {
            this.code = code;
        }

        static Kind ofCode(int code) {
            for (Kind kind : values()) {
                if (kind.code == code) {
                    return kind;
                }
            }
            return null;
        }
    }

    public Update {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(member, "member");
        Objects.requireNonNull(from, "from");
        if (from.isEmpty() || from.length() > Endpoint.ID_BYTES_MAX
                || from.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > Endpoint.ID_BYTES_MAX) {
            throw new IllegalArgumentException("from must be a member id: '" + from + "'");
        }
        if (incarnation < 0) {
            throw new IllegalArgumentException("incarnation must not be negative: " + incarnation);
        }
    }

    public static Update alive(Endpoint member, long incarnation) {
        return new Update(Kind.ALIVE, member, incarnation, member.id());
    }

    public static Update suspect(Endpoint member, long incarnation, String from) {
        return new Update(Kind.SUSPECT, member, incarnation, from);
    }

    public static Update dead(Endpoint member, long incarnation, String from) {
        return new Update(Kind.DEAD, member, incarnation, from);
    }

    public static Update left(Endpoint member, long incarnation) {
        return new Update(Kind.LEFT, member, incarnation, member.id());
    }
}
