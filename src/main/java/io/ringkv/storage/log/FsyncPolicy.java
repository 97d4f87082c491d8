package io.ringkv.storage.log;

/** When appended records are made durable, and so when a write is acknowledged. */
public sealed interface FsyncPolicy {

    /**
     * A write is acknowledged and visible only after an fsync that covers it; one fsync covers the
     * whole group of writes that were waiting (group commit). Nothing acknowledged is ever lost.
     */
    record Always() implements FsyncPolicy {}

    /**
     * A write is acknowledged after its write syscall; an fsync runs every intervalMs. A power loss
     * (not a process crash) may lose the writes of the last interval.
     */
    record Interval(long intervalMs) implements FsyncPolicy {
        public Interval {
            if (intervalMs < 1 || intervalMs > 60_000) {
                throw new IllegalArgumentException("fsync interval must be 1..60000 ms, was " + intervalMs);
            }
        }
    }

    /** A write is acknowledged after its write syscall; the OS decides when data reaches the disk. */
    record Never() implements FsyncPolicy {}

    FsyncPolicy ALWAYS = new Always();
    FsyncPolicy NEVER = new Never();

    static FsyncPolicy interval(long intervalMs) {
        return new Interval(intervalMs);
    }
}
