package io.ringkv.storage.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.common.RingPosition;
import io.ringkv.common.TestSeeds;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class KeydirTest {

    private static byte[] key(int i, int length) {
        byte[] k = new byte[length];
        ByteBuffer.wrap(k).putInt(0, i);
        for (int j = 4; j < length; j++) {
            k[j] = (byte) (i * 31 + j);
        }
        return k;
    }

    @Test
    void putGetOverwriteRemove() {
        try (Keydir keydir = new Keydir(0)) {
            byte[] k = "alpha".getBytes();
            long pos = RingPosition.of(k);
            assertThat(keydir.put(k, pos, 1, 7, 100, 40, 3)).isEqualTo(-1);
            assertThat(keydir.get(k, pos)).isEqualTo(new Keydir.Entry(1, 7, 100, 40, 3));
            long previous = keydir.put(k, pos, 2, 8, 0, 50, 4);
            assertThat(previous >>> 32).isEqualTo(7);
            assertThat((int) previous).isEqualTo(40);
            assertThat(keydir.size()).isEqualTo(1);
            assertThat(keydir.remove(k, pos)).isEqualTo((8L << 32) | 50);
            assertThat(keydir.get(k, pos)).isNull();
            assertThat(keydir.remove(k, pos)).isEqualTo(-1);
            assertThat(keydir.size()).isZero();
        }
    }

    @Test
    void growsAndKeepsEveryKey() {
        try (Keydir keydir = new Keydir(0)) {
            long capacity = keydir.capacity();
            int n = 200_000;
            for (int i = 0; i < n; i++) {
                byte[] k = key(i, 16);
                keydir.put(k, RingPosition.of(k), i + 1, i % 13, i, 100, i);
            }
            assertThat(keydir.capacity()).isGreaterThan(capacity);
            assertThat(keydir.size()).isEqualTo(n);
            for (int i = 0; i < n; i++) {
                byte[] k = key(i, 16);
                Keydir.Entry e = keydir.get(k, RingPosition.of(k));
                assertThat(e).as("key %d", i).isNotNull();
                assertThat(e.seq()).isEqualTo(i + 1);
                assertThat(e.version()).isEqualTo(i);
            }
            assertThat(keydir.size() / (double) keydir.capacity()).isLessThanOrEqualTo(Keydir.LOAD_MAX);
        }
    }

    /**
     * Random operations against a HashMap, with positions squeezed into a few values so that
     * distinct keys collide on the position, clusters grow long and removals shift them.
     */
    @Test
    void matchesAModelUnderCollisionsAndLongKeys() {
        long seed = TestSeeds.seed();
        Random random = new Random(seed);
        try (Keydir keydir = new Keydir(0)) {
            Map<ByteBuffer, Long> model = new HashMap<>();
            Map<ByteBuffer, Long> positions = new HashMap<>();
            List<byte[]> universe = new ArrayList<>();
            for (int i = 0; i < 3000; i++) {
                int length = 1 + random.nextInt(random.nextBoolean() ? 16 : 80);
                byte[] k = new byte[length];
                random.nextBytes(k);
                universe.add(k);
                // Few distinct positions, and some at the very top of the ring (last slots).
                long pos = random.nextInt(4) == 0 ? -1L - random.nextInt(3) : (long) random.nextInt(40) << 50;
                positions.put(ByteBuffer.wrap(k), pos);
            }
            long seq = 0;
            for (int step = 0; step < 40_000; step++) {
                byte[] k = universe.get(random.nextInt(universe.size()));
                long pos = positions.get(ByteBuffer.wrap(k));
                ByteBuffer wrapped = ByteBuffer.wrap(k);
                if (random.nextInt(3) == 0) {
                    long previous = keydir.remove(k, pos);
                    Long expected = model.remove(wrapped);
                    assertThat(previous != -1).as("seed %d step %d remove", seed, step).isEqualTo(expected != null);
                } else {
                    seq++;
                    keydir.put(k, pos, seq, (int) (seq % 100), (int) seq, 30, (int) seq);
                    model.put(wrapped, seq);
                }
                if (step % 5000 == 0) {
                    checkAll(keydir, model, positions, seed);
                }
            }
            checkAll(keydir, model, positions, seed);
        }
    }

    private static void checkAll(Keydir keydir, Map<ByteBuffer, Long> model, Map<ByteBuffer, Long> positions, long seed) {
        assertThat(keydir.size()).as("seed %d", seed).isEqualTo(model.size());
        for (var e : positions.entrySet()) {
            byte[] k = e.getKey().array();
            Keydir.Entry entry = keydir.get(k, e.getValue());
            Long expected = model.get(e.getKey());
            if (expected == null) {
                assertThat(entry).as("seed %d", seed).isNull();
            } else {
                assertThat(entry).as("seed %d", seed).isNotNull();
                assertThat(entry.seq()).as("seed %d", seed).isEqualTo(expected);
            }
        }
    }

    @Test
    void relocateOnlyWhereTheSameRecordStillLives() {
        try (Keydir keydir = new Keydir(0)) {
            byte[] k = key(1, 20);
            long pos = RingPosition.of(k);
            keydir.put(k, pos, 5, 1, 0, 60, 0);
            assertThat(keydir.relocate(k, pos, 5, 9, 128)).isTrue();
            assertThat(keydir.get(k, pos).segmentId()).isEqualTo(9);
            keydir.put(k, pos, 6, 2, 0, 60, 0);
            assertThat(keydir.relocate(k, pos, 5, 10, 0)).as("a newer write wins over the merge").isFalse();
            assertThat(keydir.get(k, pos).segmentId()).isEqualTo(2);
            assertThat(keydir.removeIfSeq(k, pos, 5)).isFalse();
            assertThat(keydir.removeIfSeq(k, pos, 6)).isTrue();
        }
    }

    @Test
    void recoveryKeepsTheHighestSeqWhateverTheOrderAndDropsTombstones() {
        try (Keydir keydir = new Keydir(0)) {
            byte[] a = "a".getBytes();
            byte[] b = "b-long-key-over-sixteen-bytes".getBytes();
            byte[] c = "c".getBytes();
            long pa = RingPosition.of(a);
            long pb = RingPosition.of(b);
            long pc = RingPosition.of(c);
            keydir.recover(a, pa, 10, 3, 0, 30, 1, false);
            keydir.recover(a, pa, 5, 1, 0, 30, 0, false); // older, read later: ignored
            keydir.recover(b, pb, 7, 2, 0, 0, 0, true); // tombstone first
            keydir.recover(b, pb, 6, 1, 40, 50, 0, false); // older put: stays dead
            keydir.recover(c, pc, 3, 1, 80, 30, 0, false);
            keydir.recover(c, pc, 4, 2, 0, 0, 0, true);
            keydir.recover(c, pc, 9, 3, 30, 30, 2, false); // put after the remove
            keydir.finishRecovery(0);
            assertThat(keydir.get(a, pa).seq()).isEqualTo(10);
            assertThat(keydir.get(b, pb)).isNull();
            assertThat(keydir.get(c, pc).seq()).isEqualTo(9);
            assertThat(keydir.size()).isEqualTo(2);
            keydir.finishRecovery(10); // a wipe at seq 10 kills everything older
            assertThat(keydir.get(a, pa)).isNotNull();
            assertThat(keydir.get(c, pc)).isNull();
        }
    }

    @Test
    void collectWalksRingOrderInChunksAndResumes() {
        long seed = TestSeeds.seed();
        Random random = new Random(seed);
        try (Keydir keydir = new Keydir(0)) {
            TreeMap<Long, Integer> byPosition = new TreeMap<>(Long::compareUnsigned);
            for (int i = 0; i < 20_000; i++) {
                byte[] k = key(i, 4 + random.nextInt(30));
                long pos = RingPosition.of(k);
                keydir.put(k, pos, i + 1, 0, 0, 30, 0);
                byPosition.merge(pos, 1, Integer::sum);
            }
            // Plus a run of ten keys sharing one position, longer than a chunk.
            for (int i = 0; i < 10; i++) {
                byte[] k = ("dup" + i).getBytes();
                keydir.put(k, 1L << 62, 100_000 + i, 0, 0, 30, 0);
            }
            byPosition.merge(1L << 62, 10, Integer::sum);
            long from = 0;
            long to = -1;
            int skip = 0;
            long seen = 0;
            long last = 0;
            Keydir.Chunk chunk = new Keydir.Chunk(7);
            boolean more = true;
            while (more) {
                more = keydir.collect(from, skip, to, chunk);
                for (int i = 0; i < chunk.count; i++) {
                    assertThat(Long.compareUnsigned(chunk.position[i], last)).as("seed %d", seed).isGreaterThanOrEqualTo(0);
                    last = chunk.position[i];
                    seen++;
                }
                if (chunk.count > 0) {
                    long end = chunk.position[chunk.count - 1];
                    skip = end == from ? skip + chunk.trailingRun() : chunk.trailingRun();
                    from = end;
                }
            }
            assertThat(seen).as("seed %d", seed).isEqualTo(20_010);
        }
    }

    @Test
    void reserveSizesOnceAndRecoveryGivesBackAnOverestimate() {
        try (Keydir keydir = new Keydir(0)) {
            keydir.reserve(200_000);
            long reserved = keydir.capacity();
            assertThat(reserved).isGreaterThanOrEqualTo((long) (200_000 / Keydir.RESERVE_LOAD));
            for (int i = 0; i < 150_000; i++) {
                byte[] k = key(i, 16);
                keydir.recover(k, RingPosition.of(k), i + 1, 1, i, 30, 0, false);
            }
            assertThat(keydir.capacity()).as("no growth while loading").isEqualTo(reserved);
            keydir.finishRecovery(0);
            assertThat(keydir.capacity()).as("close enough: kept").isEqualTo(reserved);
        }
        try (Keydir keydir = new Keydir(0)) {
            keydir.reserve(1_000_000); // hints announced many dead records
            for (int i = 0; i < 10_000; i++) {
                byte[] k = key(i, 20);
                keydir.recover(k, RingPosition.of(k), i + 1, 1, i, 30, 0, false);
            }
            keydir.finishRecovery(0);
            assertThat(keydir.capacity()).as("shrunk to the live keys").isLessThan(40_000);
            for (int i = 0; i < 10_000; i++) {
                byte[] k = key(i, 20);
                assertThat(keydir.get(k, RingPosition.of(k)).seq()).isEqualTo(i + 1);
            }
        }
    }

    /** Reports the footprint at one million 16-byte keys; the node budget is about 100 bytes/key. */
    @Test
    void oneMillionKeysFitInAboutAHundredBytesEach() {
        try (Keydir keydir = new Keydir(0)) {
            int n = 1_000_000;
            for (int i = 0; i < n; i++) {
                byte[] k = key(i, 16);
                keydir.put(k, RingPosition.of(k), i + 1, 1, i, 139, 0);
            }
            double perKey = keydir.offHeapBytes() / (double) n;
            System.out.printf("keydir: %d keys, %d off-heap bytes, %.1f bytes/key, load %.2f%n",
                    n, keydir.offHeapBytes(), perKey, n / (double) keydir.capacity());
            assertThat(perKey).isLessThan(110);
        }
    }
}
