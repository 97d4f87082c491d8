package io.ringkv.membership;

import java.util.ArrayList;
import java.util.List;

/**
 * Newer news for the sender of the message being handled: what this member knows of the members
 * the sender gossiped stale news about (see {@link SwimCore}'s {@code apply}). One per member,
 * within a byte budget so that they leave room in the reply. Not thread-safe; owned by the
 * protocol core, cleared for every message.
 */
final class Corrections {
    private final int bytesMax;
    private final List<Update> updates = new ArrayList<>();
    private int bytes;
    private long added;

    Corrections(int bytesMax) {
        this.bytesMax = bytesMax;
    }

    void add(Update newer) {
        int size = MembershipCodec.updateBytes(newer);
        if (bytes + size > bytesMax) {
            return;
        }
        for (Update queued : updates) {
            if (queued.member().id().equals(newer.member().id())) {
                return;
            }
        }
        updates.add(newer);
        bytes += size;
        added++;
    }

    boolean isEmpty() {
        return updates.isEmpty();
    }

    /** The corrections gathered so far, leaving none. */
    List<Update> take() {
        if (updates.isEmpty()) {
            return List.of();
        }
        List<Update> taken = List.copyOf(updates);
        updates.clear();
        bytes = 0;
        return taken;
    }

    /** Corrections gathered since the core started. */
    long added() {
        return added;
    }
}
