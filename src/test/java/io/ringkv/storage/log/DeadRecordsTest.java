package io.ringkv.storage.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DeadRecordsTest {
    @Test
    void onlyMarkedOffsetsAreDeadAcrossChunksAndTheUnsignedRange() {
        // Records as a segment holds them: back to back, each at least a header long.
        Random random = new Random(23);
        List<Long> offsets = new ArrayList<>();
        for (long at = 0; at < 3L << 20; at += RecordFormat.HEADER_BYTES + random.nextInt(200)) {
            offsets.add(at);
        }
        for (long at = 0xFFFF_0000L; at < 0x1_0000_0000L - 64; at += RecordFormat.HEADER_BYTES) {
            offsets.add(at);
        }
        DeadRecords dead = new DeadRecords();
        List<Long> marked = new ArrayList<>();
        for (long at : offsets) {
            if (random.nextInt(3) == 0) {
                dead.mark((int) at);
                marked.add(at);
            }
        }
        for (long at : offsets) {
            assertThat(dead.isDead(at)).as("record at %d", at).isEqualTo(marked.contains(at));
        }
    }

    @Test
    void nothingIsDeadUntilMarked() {
        DeadRecords dead = new DeadRecords();
        assertThat(dead.isDead(0)).isFalse();
        assertThat(dead.isDead(0xFFFF_FFF0L)).isFalse();
        dead.mark(100 << 20);
        assertThat(dead.isDead(100L << 20)).isTrue();
        assertThat(dead.isDead(0)).isFalse();
    }

    @Test
    void aReleasedSegmentForgetsItsMarksAndGivesTheirHeapBack() {
        DeadRecords dead = new DeadRecords();
        long before = DeadRecords.budgetUsed();
        dead.mark(0);
        dead.mark(3 << 20);
        assertThat(DeadRecords.budgetUsed() - before).isEqualTo(2 * 4096);
        dead.release();
        assertThat(DeadRecords.budgetUsed()).isEqualTo(before);
        assertThat(dead.isDead(0)).isFalse();
        dead.mark(0);
        assertThat(dead.isDead(0)).as("a mark after the release").isFalse();
        assertThat(DeadRecords.budgetUsed()).isEqualTo(before);
        dead.release();
        assertThat(DeadRecords.budgetUsed()).isEqualTo(before);
    }

    @Test
    void pastTheBudgetMarksAreDroppedAndNothingIsCalledDead() {
        DeadRecords dead = new DeadRecords(0);
        long before = DeadRecords.budgetUsed();
        dead.mark(0);
        dead.mark(1 << 20);
        assertThat(dead.isDead(0)).isFalse();
        assertThat(dead.isDead(1 << 20)).isFalse();
        assertThat(DeadRecords.budgetUsed()).isEqualTo(before);
    }
}
