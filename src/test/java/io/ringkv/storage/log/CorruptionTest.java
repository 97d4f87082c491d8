package io.ringkv.storage.log;

import static io.ringkv.storage.log.Engines.b;
import static io.ringkv.storage.log.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringkv.storage.StorageException;
import io.ringkv.storage.Versioned;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Damage done to the files behind the engine's back: truncation at every byte of the last records,
 * bit flips in data and hint files, a zero-filled tail, an empty newest segment. The engine must
 * notice each, never return corrupt data, keep what is intact, and count the rest.
 */
@Timeout(60)
class CorruptionTest {
    private static final int VALUE_BYTES = 20;

    private static LogEngine.Config config() {
        return Engines.small(Path.of("simulated")).segmentBytes(1 << 20).build();
    }

    private static byte[] value(int i) {
        byte[] v = new byte[VALUE_BYTES];
        Arrays.fill(v, (byte) i);
        return v;
    }

    private static byte[] key(int i) {
        return b("key-" + i);
    }

    /**
     * Writes n keys into one segment and returns the files as a kill -9 would leave them: no clean
     * close, so no hint; every write was fsynced (ALWAYS).
     */
    private static SimulatedFileSystem written(int n) throws IOException {
        SimulatedFileSystem fs = new SimulatedFileSystem();
        try (LogEngine engine = LogEngine.open(config(), fs, new ManualExecutor())) {
            for (int i = 0; i < n; i++) {
                join(engine.put(key(i), value(i), i));
            }
            return copy(fs, null, null);
        }
    }

    private static SimulatedFileSystem copy(SimulatedFileSystem fs, String changed, byte[] bytes) {
        SimulatedFileSystem image = new SimulatedFileSystem();
        for (String name : fs.names()) {
            image.overwrite(name, name.equals(changed) ? bytes : fs.contents(name)); // no lock is copied
        }
        return image;
    }

    private static String dataFile(SimulatedFileSystem fs) {
        return fs.names().stream().filter(n -> n.endsWith(".data") && fs.contents(n).length > 0).findFirst().orElseThrow();
    }

    private static int recordBytes() {
        return RecordFormat.recordBytes(key(0).length, VALUE_BYTES);
    }

    @Test
    void truncationAtEveryByteOfTheLastRecordsKeepsEveryWholeRecord() throws IOException {
        int n = 6;
        SimulatedFileSystem fs = written(n);
        String segment = dataFile(fs);
        byte[] full = fs.contents(segment);
        int recordBytes = recordBytes();
        assertThat(full.length).isEqualTo(n * recordBytes);
        try (Quiet quiet = new Quiet()) {
            for (int cut = full.length - 3 * recordBytes; cut <= full.length; cut++) {
                SimulatedFileSystem image = copy(fs, segment, Arrays.copyOf(full, cut));
                int whole = cut / recordBytes;
                try (LogEngine engine = LogEngine.open(config(), image, new ManualExecutor())) {
                    for (int i = 0; i < n; i++) {
                        Versioned v = engine.get(key(i));
                        if (i < whole) {
                            assertThat(v).as("cut %d key %d", cut, i).isNotNull();
                            assertThat(v.value()).as("cut %d", cut).isEqualTo(value(i));
                            assertThat(v.version()).isEqualTo(i);
                        } else {
                            assertThat(v).as("cut %d key %d", cut, i).isNull();
                        }
                    }
                    assertThat(engine.stats().tornTailBytes()).as("cut %d", cut).isEqualTo(cut - (long) whole * recordBytes);
                    assertThat(engine.stats().corruptRecords()).isZero();
                    // The engine goes on writing after the cut.
                    join(engine.put(key(99), value(99), 99));
                }
                try (LogEngine engine = LogEngine.open(config(), image, new ManualExecutor())) {
                    assertThat(engine.stats().tornTailBytes()).as("cut %d, second open", cut).isZero();
                    assertThat(engine.keys()).isEqualTo(whole + 1);
                }
            }
        }
    }

    @Test
    void bitFlipInTheMiddleOfAScannedSegmentSkipsOnlyThatRecord() throws IOException {
        SimulatedFileSystem fs = written(8);
        String segment = dataFile(fs);
        for (int target : new int[] {2 * recordBytes() + 30, 3 * recordBytes() + 19, 4 * recordBytes() + 2}) {
            // in a value, in a key-length field, in a kind byte
            byte[] bytes = fs.contents(segment);
            bytes[target] ^= 0x10;
            SimulatedFileSystem image = copy(fs, segment, bytes);
            int damaged = target / recordBytes();
            try (LogEngine engine = LogEngine.open(config(), image, new ManualExecutor())) {
                for (int i = 0; i < 8; i++) {
                    Versioned v = engine.get(key(i));
                    if (i == damaged) {
                        assertThat(v).as("flip at %d", target).isNull();
                    } else {
                        assertThat(v.value()).as("flip at %d key %d", target, i).isEqualTo(value(i));
                    }
                }
                assertThat(engine.stats().corruptRecords()).as("flip at %d", target).isEqualTo(1);
                assertThat(engine.stats().corruptBytes()).isEqualTo(recordBytes());
                assertThat(engine.stats().tornTailBytes()).isZero();
            }
        }
    }

    @Test
    void bitFlipBehindAValidHintIsCaughtOnReadAndByMerge() throws IOException {
        SimulatedFileSystem fs = new SimulatedFileSystem();
        ManualExecutor executor = new ManualExecutor();
        try (LogEngine engine = LogEngine.open(config(), fs, executor)) {
            for (int i = 0; i < 8; i++) {
                join(engine.put(key(i), value(i), i));
            }
        } // clean close: the segment gets a hint
        String segment = dataFile(fs);
        assertThat(fs.names()).contains(segment.replace(".data", ".hint"));
        byte[] bytes = fs.contents(segment);
        bytes[5 * recordBytes() + 30] ^= 1;
        fs.overwrite(segment, bytes);
        try (LogEngine engine = LogEngine.open(config(), fs, executor)) {
            assertThatThrownBy(() -> engine.get(key(5)))
                    .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.reason()).isEqualTo(StorageException.Reason.FAILURE))
                    .hasMessageContaining("CRC");
            assertThat(engine.get(key(4)).value()).isEqualTo(value(4));
            assertThat(engine.stats().corruptRecords()).isEqualTo(1);
            // A merge reads every record with its CRC: the damaged key is dropped, the rest moves.
            join(engine.remove(key(0)));
            join(Engines.drive(engine.compact(), executor));
            executor.runAll();
            assertThat(engine.get(key(5))).isNull();
            assertThat(engine.get(key(6)).value()).isEqualTo(value(6));
            assertThat(engine.keys()).isEqualTo(6);
            assertThat(engine.stats().corruptRecords()).isEqualTo(2);
        }
    }

    @Test
    void damagedHintFilesFallBackToScanning() throws IOException {
        SimulatedFileSystem fs = new SimulatedFileSystem();
        try (LogEngine engine = LogEngine.open(config(), fs, new ManualExecutor())) {
            for (int i = 0; i < 8; i++) {
                join(engine.put(key(i), value(i), i));
            }
        }
        String hint = fs.names().stream().filter(n -> n.endsWith(".hint")).findFirst().orElseThrow();
        byte[] good = fs.contents(hint);
        List<byte[]> damaged = new ArrayList<>();
        for (int at : new int[] {2, 20, 40, good.length / 2, good.length - 30, good.length - 3}) {
            byte[] flipped = good.clone();
            flipped[at] ^= 0x40;
            damaged.add(flipped);
        }
        damaged.add(Arrays.copyOf(good, good.length - 1));
        damaged.add(Arrays.copyOf(good, good.length / 2));
        damaged.add(new byte[0]);
        for (byte[] bad : damaged) {
            SimulatedFileSystem image = copy(fs, hint, bad);
            try (LogEngine engine = LogEngine.open(config(), image, new ManualExecutor())) {
                assertThat(engine.stats().badHints()).isEqualTo(1);
                for (int i = 0; i < 8; i++) {
                    assertThat(engine.get(key(i)).value()).isEqualTo(value(i));
                }
                assertThat(engine.keys()).isEqualTo(8);
            }
        }
    }

    @Test
    void zeroFilledTailIsTruncated() throws IOException {
        SimulatedFileSystem fs = written(5);
        String segment = dataFile(fs);
        byte[] bytes = Arrays.copyOf(fs.contents(segment), 5 * recordBytes() + 4096);
        SimulatedFileSystem image = copy(fs, segment, bytes);
        try (LogEngine engine = LogEngine.open(config(), image, new ManualExecutor())) {
            assertThat(engine.keys()).isEqualTo(5);
            assertThat(engine.stats().tornTailBytes()).isEqualTo(4096);
            assertThat(image.contents(segment).length).isEqualTo(5 * recordBytes());
        }
    }

    @Test
    void emptyNewestSegmentIsHandled() throws IOException {
        SimulatedFileSystem fs = written(5);
        fs.overwrite(Segment.dataName(999), new byte[0]);
        try (LogEngine engine = LogEngine.open(config(), fs, new ManualExecutor())) {
            assertThat(engine.keys()).isEqualTo(5);
            assertThat(fs.names()).doesNotContain(Segment.dataName(999));
            join(engine.put(key(7), value(7), 7));
        }
        try (LogEngine engine = LogEngine.open(config(), fs, new ManualExecutor())) {
            assertThat(engine.keys()).isEqualTo(6);
            assertThat(engine.get(key(7)).value()).isEqualTo(value(7));
        }
    }

    @Test
    void leftoverTempFilesAndOrphanHintsAreRemoved() throws IOException {
        SimulatedFileSystem fs = written(3);
        fs.overwrite(Segment.dataName(500) + Segment.TMP_SUFFIX, new byte[] {1, 2, 3});
        fs.overwrite(Segment.hintName(501), new byte[] {4, 5, 6});
        try (LogEngine engine = LogEngine.open(config(), fs, new ManualExecutor())) {
            assertThat(engine.keys()).isEqualTo(3);
            assertThat(fs.names()).noneMatch(n -> n.endsWith(".tmp") || n.equals(Segment.hintName(501)));
        }
    }
}
