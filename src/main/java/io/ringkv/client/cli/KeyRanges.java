package io.ringkv.client.cli;

import io.ringkv.common.RingPosition;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.TokenRange;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/** Renders a ring for people: the keyrange output of the CLI. */
final class KeyRanges {
    /** Preference-list length printed for one key: the primary and two backups. */
    private static final int PREFERENCE_SHOWN = 3;

    private KeyRanges() {}

    static String describe(Ring ring, String key, boolean summary) {
        StringJoiner out = new StringJoiner(System.lineSeparator());
        out.add("# ring epoch " + ring.epoch() + ", " + ring.members().size() + " members, " + ring.vnodes()
                + " vnodes each");
        if (key != null) {
            long position = RingPosition.of(key.getBytes(StandardCharsets.UTF_8));
            List<Member> list = ring.preferenceList(position, PREFERENCE_SHOWN);
            out.add(String.format(Locale.ROOT, "%s at %016x: owner %s (%s)", key, position, list.getFirst().id(),
                    list.getFirst().address()));
            for (int i = 1; i < list.size(); i++) {
                out.add("  then " + list.get(i).id() + " (" + list.get(i).address() + ")");
            }
            return out.toString();
        }
        if (summary) {
            for (Member m : ring.members()) {
                List<TokenRange> ranges = ring.rangesOf(m.id());
                double share = ranges.stream().mapToDouble(TokenRange::share).sum();
                out.add(String.format(Locale.ROOT, "%s %s %d ranges %.1f%%", m.id(), m.address(), ranges.size(),
                        share * 100));
            }
            return out.toString();
        }
        record Line(TokenRange range, Member member) {}
        List<Line> lines = new ArrayList<>();
        for (Member m : ring.members()) {
            for (TokenRange r : ring.rangesOf(m.id())) {
                lines.add(new Line(r, m));
            }
        }
        lines.sort(Comparator.comparing(l -> l.range().endInclusive(), Long::compareUnsigned));
        for (Line l : lines) {
            out.add(String.format(Locale.ROOT, "%016x,%016x,%s;", l.range().startExclusive(), l.range().endInclusive(),
                    l.member().address()));
        }
        return out.toString();
    }
}
