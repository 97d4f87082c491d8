/**
 * The {@code log} storage engine: a crash-safe, Bitcask-style log ({@link io.ringkv.storage.log.LogEngine}).
 *
 * <h2>Files in the storage directory</h2>
 * <pre>
 * LOCK                 held with an OS file lock for the engine's life ({@link io.ringkv.storage.log.LockFile})
 * 0000000007.data      a segment: records back to back ({@link io.ringkv.storage.log.RecordFormat})
 * 0000000007.hint      where each record of immutable segment 7 lies ({@link io.ringkv.storage.log.HintFile})
 * 0000000012.merge     commit point of a merge: the input segments it made obsolete ({@link io.ringkv.storage.log.MergeManifest})
 * *.tmp                unfinished merge output, hint or manifest; deleted at start-up
 * </pre>
 * Segment, hint and manifest ids come from one counter that only grows, so no name is reused.
 *
 * <h2>Invariants that make any set of surviving files recoverable</h2>
 * <ul>
 * <li>Every record carries a sequence number, unique and increasing; for each key the record with
 *     the highest seq wins whatever file it sits in, so files can be read in any order and copies
 *     of a record (a merge in progress) are harmless. A WIPE record kills every smaller seq.
 * <li>A write is acknowledged only when the policy's durability is reached (ALWAYS: fsynced, and
 *     a new segment's directory entry fsynced before its first acknowledged record).
 * <li>Everything is published by write temp, fsync, rename, fsync directory.
 * <li>A merge drops a tombstone only if no segment outside the merge is older than it; the merge
 *     manifest makes the removal of all its inputs atomic, so the tombstone and the records it
 *     shadows disappear together.
 * <li>Before anything is decided from a file at start-up, it is fsynced (a crashed process may
 *     leave page-cache-only bytes behind).
 * </ul>
 *
 * <h2>Threads</h2>
 * Callers (never waiting for an fsync; under fsync never, event loops append their own bursts),
 * one writer thread ({@link io.ringkv.storage.log.GroupCommitWriter}),
 * one maintenance thread ({@link io.ringkv.storage.log.Maintenance}: hints, merges, deletions).
 * Every file operation goes through {@link io.ringkv.storage.log.LogFileSystem}, whose simulated
 * twin in the tests loses power at every step.
 */
package io.ringkv.storage.log;
