package io.ringkv.membership;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Updates waiting to be piggybacked, at most one per member (a newer update about a member
 * replaces the queued one: nobody needs the old news). Each message takes the least transmitted
 * first, newest first among equals, so fresh news spreads fastest; an update leaves the queue once
 * it was sent {@code limit} times, about {@code log(n)} (SWIM §4.1: that many rounds of infection
 * reach every member with high probability).
 *
 * <p>Bounded: beyond {@code capacity} the most transmitted update is dropped, since it has had the
 * most chances to spread already. Not thread-safe; owned by the protocol core.
 */
final class GossipQueue {
    private static final Comparator<Entry> ORDER =
            Comparator.comparingInt((Entry e) -> e.transmits).thenComparing(e -> -e.seq);

    private final int capacity;
    private final TreeSet<Entry> queue = new TreeSet<>(ORDER);
    private final Map<String, Entry> byMember = new HashMap<>();
    private long nextSeq;
    private long dropped;

    private static final class Entry {
        final Update update;
        final long seq;
        final int bytes;
        int transmits;

        Entry(Update update, long seq) {
            this.update = update;
            this.seq = seq;
            this.bytes = MembershipCodec.updateBytes(update);
        }
    }

    GossipQueue(int capacity) {
        this.capacity = capacity;
    }

    /** Queues {@code update}, replacing any queued update about the same member. */
    void offer(Update update) {
        Entry old = byMember.remove(update.member().id());
        if (old != null) {
            queue.remove(old);
        }
        Entry entry = new Entry(update, nextSeq++);
        queue.add(entry);
        byMember.put(update.member().id(), entry);
        if (queue.size() > capacity) {
            Entry most = queue.pollLast();
            byMember.remove(most.update.member().id());
            dropped++;
        }
    }

    /**
     * Takes updates for one message: least transmitted first, as many as fit {@code bytesMax}
     * encoded bytes and {@code countMax} updates. Each taken update counts one transmission and
     * leaves the queue at its {@code limit}-th.
     */
    List<Update> take(int bytesMax, int countMax, int limit) {
        if (queue.isEmpty() || countMax <= 0) {
            return List.of();
        }
        List<Entry> taken = new ArrayList<>(Math.min(countMax, queue.size()));
        int bytesLeft = bytesMax;
        Iterator<Entry> it = queue.iterator();
        while (it.hasNext() && taken.size() < countMax && bytesLeft >= MembershipCodec.UPDATE_BYTES_MIN) {
            Entry entry = it.next();
            if (entry.bytes <= bytesLeft) {
                it.remove();
                taken.add(entry);
                bytesLeft -= entry.bytes;
            }
        }
        List<Update> updates = new ArrayList<>(taken.size());
        for (Entry entry : taken) {
            updates.add(entry.update);
            entry.transmits++;
            if (entry.transmits < limit) {
                queue.add(entry);
            } else {
                byMember.remove(entry.update.member().id());
            }
        }
        return updates;
    }

    int size() {
        return queue.size();
    }

    /** Updates dropped for want of room since this queue was made. */
    long dropped() {
        return dropped;
    }
}
