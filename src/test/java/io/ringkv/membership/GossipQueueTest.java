package io.ringkv.membership;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The piggyback queue: fresh news first, one item per member, a limit on sends, room and count. */
class GossipQueueTest {
    private static final Endpoint B = Endpoint.of("b", "10.0.0.2", 7002);
    private static final Endpoint C = Endpoint.of("c", "10.0.0.3", 7003);
    private static final Endpoint D = Endpoint.of("d", "10.0.0.4", 7004);
    private static final int ROOM_BYTES = 1_000;

    @Test
    void leastTransmittedFirstAndNewestFirstAmongEquals() {
        GossipQueue queue = new GossipQueue(10);
        queue.offer(Update.alive(B, 0));
        assertThat(queue.take(ROOM_BYTES, 10, 5)).containsExactly(Update.alive(B, 0));
        queue.offer(Update.alive(C, 0));
        queue.offer(Update.alive(D, 0));
        assertThat(queue.take(ROOM_BYTES, 2, 5)).containsExactly(Update.alive(D, 0), Update.alive(C, 0));
        // All sent once now: newest first.
        assertThat(queue.take(ROOM_BYTES, 10, 5)).containsExactly(Update.alive(D, 0), Update.alive(C, 0),
                Update.alive(B, 0));
    }

    @Test
    void aNewerUpdateAboutAMemberReplacesTheQueuedOne() {
        GossipQueue queue = new GossipQueue(10);
        queue.offer(Update.alive(B, 0));
        queue.offer(Update.suspect(B, 0, "c"));
        assertThat(queue.size()).isEqualTo(1);
        assertThat(queue.take(ROOM_BYTES, 10, 5)).containsExactly(Update.suspect(B, 0, "c"));
    }

    @Test
    void anUpdateLeavesAfterItsLimitOfTransmissions() {
        GossipQueue queue = new GossipQueue(10);
        queue.offer(Update.alive(B, 0));
        for (int i = 0; i < 3; i++) {
            assertThat(queue.take(ROOM_BYTES, 10, 3)).hasSize(1);
        }
        assertThat(queue.take(ROOM_BYTES, 10, 3)).isEmpty();
        assertThat(queue.size()).isZero();
    }

    @Test
    void onlyWhatFitsTheRoomIsTaken() {
        GossipQueue queue = new GossipQueue(10);
        Endpoint longName = Endpoint.of("x".repeat(100), "10.0.0.9", 7009);
        queue.offer(Update.alive(B, 0));
        queue.offer(Update.alive(longName, 0)); // newest, but does not fit
        int room = MembershipCodec.updateBytes(Update.alive(B, 0)) + 10;
        assertThat(queue.take(room, 10, 5)).containsExactly(Update.alive(B, 0));
    }

    @Test
    void beyondCapacityTheMostTransmittedIsDropped() {
        GossipQueue queue = new GossipQueue(2);
        queue.offer(Update.alive(B, 0));
        queue.take(ROOM_BYTES, 1, 10); // B sent once
        queue.offer(Update.alive(C, 0));
        queue.offer(Update.alive(D, 0));
        assertThat(queue.dropped()).isEqualTo(1);
        assertThat(queue.take(ROOM_BYTES, 10, 10)).containsExactlyInAnyOrderElementsOf(
                List.of(Update.alive(C, 0), Update.alive(D, 0)));
    }
}
