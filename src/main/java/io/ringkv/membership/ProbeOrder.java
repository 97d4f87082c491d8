package io.ringkv.membership;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * The order in which members are probed: round-robin over a list shuffled anew every round (SWIM
 * §4.3), so every member is probed by every other within two rounds (time-bounded completeness)
 * while the probes of different members stay independent. A new member goes in at a random place,
 * so that members joining together are not probed in the order they joined. Members that can no
 * longer be probed (dead, left) leave the list when the next round is shuffled.
 *
 * <p>Not thread-safe; owned by the protocol core.
 */
final class ProbeOrder {
    private final RandomGenerator random;
    private final List<String> ids = new ArrayList<>();
    private final Set<String> listed = new HashSet<>();
    private int next;

    ProbeOrder(RandomGenerator random) {
        this.random = random;
    }

    void add(String id) {
        if (!listed.add(id)) {
            return;
        }
        int at = random.nextInt(ids.size() + 1);
        ids.add(at, id);
        if (at < next) {
            next++; // keep the member that was due next due next
        }
    }

    /** The next probeable member of this round, starting a new round when this one is done; null if none. */
    String next(Predicate<String> probeable) {
        for (int looked = 0; looked <= ids.size(); looked++) {
            if (next >= ids.size()) {
                newRound(probeable);
                if (ids.isEmpty()) {
                    return null;
                }
            }
            String id = ids.get(next++);
            if (probeable.test(id)) {
                return id;
            }
        }
        return null;
    }

    /**
     * Up to {@code count} distinct probeable members other than {@code excluded}, chosen at random:
     * a few random draws, then a scan from a random place when draws keep missing (a small or
     * mostly dead list).
     */
    List<String> pick(int count, String excluded, Predicate<String> probeable) {
        List<String> picked = new ArrayList<>(count);
        if (ids.isEmpty() || count == 0) {
            return picked;
        }
        for (int draw = 0; draw < 3 * count && picked.size() < count; draw++) {
            consider(ids.get(random.nextInt(ids.size())), excluded, probeable, picked);
        }
        int start = random.nextInt(ids.size());
        for (int i = 0; i < ids.size() && picked.size() < count; i++) {
            consider(ids.get((start + i) % ids.size()), excluded, probeable, picked);
        }
        return picked;
    }

    private static void consider(String id, String excluded, Predicate<String> probeable, List<String> picked) {
        if (!id.equals(excluded) && !picked.contains(id) && probeable.test(id)) {
            picked.add(id);
        }
    }

    private void newRound(Predicate<String> probeable) {
        ids.removeIf(id -> {
            boolean gone = !probeable.test(id);
            if (gone) {
                listed.remove(id);
            }
            return gone;
        });
        for (int i = ids.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            ids.set(i, ids.set(j, ids.get(i)));
        }
        next = 0;
    }

    int size() {
        return ids.size();
    }
}
