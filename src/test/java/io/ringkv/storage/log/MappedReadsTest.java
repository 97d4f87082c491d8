package io.ringkv.storage.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real file's reads, which come from mapped windows where a window is whole and from positional
 * reads elsewhere: every byte read matches what was appended, at window edges, in the growing last
 * window, after a truncation and after more appends.
 */
class MappedReadsTest {
    private static final long W = FileChannelFileSystem.WINDOW_BYTES;

    @TempDir
    Path dir;

    /** The byte at a position of the test file: a function of the position, so any read can be checked. */
    private static byte at(long position) {
        return (byte) (position * 31 + (position >>> 11));
    }

    private static void appendUpTo(LogFile file, long from, long to) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        for (long p = from; p < to; ) {
            buf.clear();
            int n = (int) Math.min(buf.capacity(), to - p);
            for (int i = 0; i < n; i++) {
                buf.put(at(p + i));
            }
            buf.flip();
            file.append(buf);
            p += n;
        }
    }

    private static void assertReads(LogFile file, long position, int length) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate(length);
        file.readFully(dst, position);
        assertThat(dst.position()).isEqualTo(length);
        for (int i = 0; i < length; i++) {
            if (dst.get(i) != at(position + i)) {
                throw new AssertionError("byte " + (position + i) + " read " + dst.get(i) + ", wrote " + at(position + i));
            }
        }
    }

    @Test
    void everyReadMatchesWhatWasAppendedAcrossWindowsAndTruncation() throws IOException {
        var fs = new FileChannelFileSystem(dir);
        try (LogFile file = fs.create("0000000001.data")) {
            long size = 2 * W + W / 2;
            appendUpTo(file, 0, size);
            var random = new Random(431);
            for (int i = 0; i < 2_000; i++) {
                int length = 1 + random.nextInt(4096);
                long position = (long) (random.nextDouble() * (size - length));
                assertReads(file, position, length);
            }
            // Exactly at the edges: the last bytes of a window, a read across, the first of the next.
            assertReads(file, W - 100, 100);
            assertReads(file, W - 50, 100);
            assertReads(file, W, 100);
            assertReads(file, 2 * W - 1, 2);
            assertReads(file, size - 10, 10); // in the partial last window
            ByteBuffer past = ByteBuffer.allocate(10);
            assertThat(file.read(past, size)).isEqualTo(-1);

            // Cut into the second window, which was mapped: reads end at the new size.
            long cut = W + W / 4;
            file.truncate(cut);
            assertReads(file, cut - 100, 100);
            assertThat(file.read(ByteBuffer.allocate(10), cut)).isEqualTo(-1);
            ByteBuffer across = ByteBuffer.allocate(100);
            assertThat(file.read(across, cut - 40)).isEqualTo(40);

            // Grow past three windows again; the cut window is mapped anew once whole.
            appendUpTo(file, cut, 3 * W + 7);
            for (int i = 0; i < 500; i++) {
                int length = 1 + random.nextInt(4096);
                long position = (long) (random.nextDouble() * (3 * W + 7 - length));
                assertReads(file, position, length);
            }
        }
    }

    /** The newest bytes, read as they are appended in small steps: the growing tail's mappings. */
    @Test
    void readsFollowAGrowingTail() throws IOException {
        var fs = new FileChannelFileSystem(dir);
        try (LogFile file = fs.create("0000000004.data")) {
            var random = new Random(7);
            long size = 0;
            while (size < 2 * W + 100_000) {
                long next = size + 1 + random.nextInt(20_000);
                appendUpTo(file, size, next);
                size = next;
                for (int i = 0; i < 20; i++) {
                    int length = 1 + random.nextInt((int) Math.min(4096, size));
                    long position = size - length - (random.nextBoolean() ? 0 : random.nextInt((int) (size - length + 1)));
                    assertReads(file, Math.max(0, position), length);
                }
            }
        }
    }

    @Test
    void bytesRewrittenAfterATruncationAreReadAsRewritten() throws IOException {
        var fs = new FileChannelFileSystem(dir);
        try (LogFile file = fs.create("0000000002.data")) {
            appendUpTo(file, 0, 2 * W);
            assertReads(file, W + 10, 100); // maps the second window
            file.truncate(W);
            ByteBuffer zeros = ByteBuffer.allocate((int) W);
            file.append(zeros);
            ByteBuffer dst = ByteBuffer.allocate(100);
            file.readFully(dst, W + 10);
            assertThat(dst.array()).containsOnly((byte) 0);
        }
    }

    @Test
    void readsAfterCloseFailInsteadOfTouchingUnmappedMemory() throws IOException {
        var fs = new FileChannelFileSystem(dir);
        LogFile file = fs.create("0000000003.data");
        appendUpTo(file, 0, W + 1);
        assertReads(file, 0, 100);
        file.close();
        file.close(); // twice is harmless
        assertThatThrownBy(() -> file.read(ByteBuffer.allocate(100), 0)).isInstanceOfAny(IOException.class,
                IllegalStateException.class);
    }
}
