package io.ringkv.storage.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.common.TestSeeds;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RecordFormatTest {

    @Test
    void roundTripsEveryKind() {
        long seed = TestSeeds.seed();
        Random random = new Random(seed);
        for (int i = 0; i < 1000; i++) {
            byte[] key = new byte[1 + random.nextInt(100)];
            byte[] value = new byte[random.nextInt(2000)];
            random.nextBytes(key);
            random.nextBytes(value);
            long seq = 1 + (random.nextLong() >>> 1);
            int version = random.nextInt();
            ByteBuffer buf = ByteBuffer.allocate(RecordFormat.recordBytes(key.length, value.length) + 7);
            buf.position(7);
            RecordFormat.encode(buf, RecordFormat.KIND_PUT, seq, version, key, value);
            assertThat(buf.position()).as("seed %d", seed).isEqualTo(buf.capacity());
            RecordFormat.Header h = new RecordFormat.Header();
            assertThat(RecordFormat.parseHeader(buf, 7, 100, 2000, h)).as("seed %d", seed).isEqualTo(RecordFormat.Check.OK);
            assertThat(h.kind).isEqualTo(RecordFormat.KIND_PUT);
            assertThat(h.seq).isEqualTo(seq);
            assertThat(h.version).isEqualTo(version);
            assertThat(h.keyLength).isEqualTo(key.length);
            assertThat(h.valueLength).isEqualTo(value.length);
            assertThat(RecordFormat.crcMatches(buf, 7, h)).as("seed %d", seed).isTrue();
            assertThat(Arrays.copyOfRange(buf.array(), 7 + RecordFormat.HEADER_BYTES, 7 + RecordFormat.HEADER_BYTES + key.length))
                    .isEqualTo(key);
            // Any single flipped bit is caught by the CRC or the header checks.
            int bit = random.nextInt((buf.capacity() - 7) * 8);
            buf.put(7 + bit / 8, (byte) (buf.get(7 + bit / 8) ^ (1 << (bit % 8))));
            boolean ok = RecordFormat.parseHeader(buf, 7, 100, 2000, h) == RecordFormat.Check.OK
                    && h.recordBytes() <= buf.capacity() - 7
                    && RecordFormat.crcMatches(buf, 7, h);
            assertThat(ok).as("seed %d: flipped bit %d went unnoticed", seed, bit).isFalse();
        }
    }

    @Test
    void tombstonesAndWipesHaveTheirShape() {
        ByteBuffer buf = ByteBuffer.allocate(100);
        RecordFormat.encode(buf, RecordFormat.KIND_TOMBSTONE, 9, 0, "k".getBytes(), null);
        RecordFormat.encode(buf, RecordFormat.KIND_WIPE, 10, 0, new byte[0], null);
        RecordFormat.Header h = new RecordFormat.Header();
        assertThat(RecordFormat.parseHeader(buf, 0, 10, 10, h)).isEqualTo(RecordFormat.Check.OK);
        assertThat(h.kind).isEqualTo(RecordFormat.KIND_TOMBSTONE);
        assertThat(RecordFormat.crcMatches(buf, 0, h)).isTrue();
        int next = h.recordBytes();
        assertThat(RecordFormat.parseHeader(buf, next, 10, 10, h)).isEqualTo(RecordFormat.Check.OK);
        assertThat(h.kind).isEqualTo(RecordFormat.KIND_WIPE);
        assertThat(h.recordBytes()).isEqualTo(RecordFormat.HEADER_BYTES);
    }

    /**
     * Length fields past the limits are refused from the 23 header bytes alone, so no reader ever
     * allocates for them: the buffer here is only the header, and parsing must not touch more.
     */
    @Test
    void oversizedLengthsAreRefusedBeforeAnythingIsAllocated() {
        ByteBuffer header = ByteBuffer.allocate(RecordFormat.HEADER_BYTES);
        header.putInt(0).put(RecordFormat.KIND_PUT).putLong(1).putInt(0).putShort((short) 65).putInt(10);
        RecordFormat.Header h = new RecordFormat.Header();
        assertThat(RecordFormat.parseHeader(header, 0, 64, 1024, h)).isEqualTo(RecordFormat.Check.KEY_TOO_LONG);

        header.putShort(17, (short) 8).putInt(19, 0xFFFF_FFF0); // 4 GiB value
        assertThat(RecordFormat.parseHeader(header, 0, 64, 1024, h)).isEqualTo(RecordFormat.Check.VALUE_TOO_LONG);
        header.putInt(19, 1025);
        assertThat(RecordFormat.parseHeader(header, 0, 64, 1024, h)).isEqualTo(RecordFormat.Check.VALUE_TOO_LONG);
        header.putInt(19, 1024);
        assertThat(RecordFormat.parseHeader(header, 0, 64, 1024, h)).isEqualTo(RecordFormat.Check.OK);

        // The format's own limits hold whatever the caller passes.
        header.putShort(17, (short) 5000).putInt(19, 0);
        assertThat(RecordFormat.parseHeader(header, 0, Integer.MAX_VALUE, Integer.MAX_VALUE, h)).isEqualTo(RecordFormat.Check.KEY_TOO_LONG);
        header.putShort(17, (short) 1).putInt(19, RecordFormat.VALUE_BYTES_LIMIT + 1);
        assertThat(RecordFormat.parseHeader(header, 0, Integer.MAX_VALUE, Integer.MAX_VALUE, h)).isEqualTo(RecordFormat.Check.VALUE_TOO_LONG);

        header.put(4, (byte) 0).putInt(19, 0);
        assertThat(RecordFormat.parseHeader(header, 0, 64, 1024, h)).isEqualTo(RecordFormat.Check.BAD_KIND);
        header.put(4, RecordFormat.KIND_PUT).putLong(5, 0);
        assertThat(RecordFormat.parseHeader(header, 0, 64, 1024, h)).isEqualTo(RecordFormat.Check.BAD_SEQ);
        header.putLong(5, 3).put(4, RecordFormat.KIND_TOMBSTONE).putInt(19, 4);
        assertThat(RecordFormat.parseHeader(header, 0, 64, 1024, h)).isEqualTo(RecordFormat.Check.BAD_SHAPE);
    }

    @Test
    void allZeroBytesAreNeverARecord() {
        ByteBuffer zeros = ByteBuffer.allocate(64);
        assertThat(RecordFormat.parseHeader(zeros, 0, 64, 1024, new RecordFormat.Header())).isNotEqualTo(RecordFormat.Check.OK);
    }

    @Test
    void segmentNamesHaveTenDigits() {
        assertThat(Segment.dataName(42)).isEqualTo("0000000042.data");
        assertThat(Segment.parseId("0000000042.data", Segment.DATA_SUFFIX)).isEqualTo(42);
        assertThat(Segment.parseId("0000000042.hint", Segment.DATA_SUFFIX)).isEqualTo(-1);
        assertThat(Segment.parseId("000000042.data", Segment.DATA_SUFFIX)).isEqualTo(-1);
        assertThat(Segment.parseId("00000x0042.data", Segment.DATA_SUFFIX)).isEqualTo(-1);
        assertThat(Segment.parseId("9999999999.data", Segment.DATA_SUFFIX)).isEqualTo(-1);
    }
}
