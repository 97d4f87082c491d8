package io.ringkv.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Every {@code ringkv.*} property. Unknown names fail start-up (a typo must not silently fall back
 * to a default), and every value is checked against its bounds with a message that names it.
 * The README's property table is generated from the same names and defaults; keep them in step.
 */
@Validated
@ConfigurationProperties(prefix = "ringkv", ignoreUnknownFields = false)
public record RingKvProperties(
        @Valid @NotNull @DefaultValue Node node,
        @Valid @NotNull @DefaultValue Limits limits,
        @Valid @NotNull @DefaultValue Storage storage,
        @Valid @NotNull @DefaultValue Admin admin,
        @Valid @NotNull @DefaultValue Faults faults) {

    /**
     * The node's data-plane listeners.
     *
     * @param id stable node id; empty means {@code node-<port>}
     * @param host address the UDP and TCP listeners bind to
     * @param port UDP and TCP port of the data plane (the same number for both)
     * @param ioThreads event-loop threads; 0 means one per available processor
     * @param replyCacheTtl how long replies are kept for at-most-once; longer than clients' retry window
     * @param replyCacheSize off-heap memory for cached replies; when full of unexpired replies the
     *     node answers OVERLOAD
     * @param inflightMax requests accepted but not yet answered (waiting on storage); beyond it OVERLOAD
     * @param respPort TCP port of the RESP2 (Redis protocol) listener; its default sits beside the
     *     node's other 431xx ports and away from a Redis server's 6379
     */
    public record Node(
            @DefaultValue("") String id,
            @NotBlank @DefaultValue("127.0.0.1") String host,
            @Min(1) @Max(65535) @DefaultValue("43100") int port,
            @Min(0) @Max(64) @DefaultValue("0") int ioThreads,
            @NotNull @DefaultValue("7s") Duration replyCacheTtl,
            @NotNull @DefaultValue("128MB") DataSize replyCacheSize,
            @Min(1) @Max(1_000_000) @DefaultValue("8192") int inflightMax,
            @Min(1) @Max(65535) @DefaultValue("43379") int respPort) {

        public String idOrDefault() {
            return id.isBlank() ? "node-" + port : id;
        }

        @AssertTrue(message = "ringkv.node.resp-port must differ from ringkv.node.port (which TCP uses already)")
        public boolean isRespPortDistinct() {
            return respPort != port;
        }

        @AssertTrue(message = "ringkv.node.reply-cache-ttl must be between 1s and 10m")
        public boolean isReplyCacheTtlValid() {
            return within(replyCacheTtl, Duration.ofSeconds(1), Duration.ofMinutes(10));
        }

        @AssertTrue(message = "ringkv.node.reply-cache-size must be between 1MB and 4GB")
        public boolean isReplyCacheSizeValid() {
            return within(replyCacheSize, DataSize.ofMegabytes(1), DataSize.ofGigabytes(4));
        }
    }

    /**
     * Limits on what clients may send. The UDP defaults are the CPEN 431 protocol's.
     *
     * @param keyBytesMax longest key
     * @param valueBytesMax longest value
     * @param frameBytesMax longest TCP frame or UDP datagram accepted
     */
    public record Limits(
            @Min(1) @Max(65_535) @DefaultValue("32") int keyBytesMax,
            @Min(0) @Max(1_048_576) @DefaultValue("10000") int valueBytesMax,
            @Min(512) @Max(16_777_216) @DefaultValue("65507") int frameBytesMax) {

        @AssertTrue(message = "ringkv.limits.frame-bytes-max must leave room for a key and a value of the maximum sizes")
        public boolean isFrameRoomy() {
            return frameBytesMax >= keyBytesMax + valueBytesMax + 128;
        }
    }

    /**
     * Where and how data is kept.
     *
     * @param engine {@code log} (durable, the default) or {@code memory} (bounded, lost on restart)
     * @param dir directory for the node's files: the log engine's segments under {@code log/}, the
     *     admin token
     * @param maxBytes storage budget; 0 means automatic (for {@code memory}: a third of the heap;
     *     for {@code log}: only the free-disk guard)
     * @param fsync when a write is acknowledged: {@code always} (after an fsync that covers it, with
     *     group commit), {@code interval} (after the write; fsync every fsync-interval), {@code never}
     * @param fsyncInterval time between fsyncs with {@code fsync=interval}
     * @param segmentBytes the log's active segment rolls over at this size
     * @param minFreeDisk writes answer OUT_OF_SPACE rather than leave less free disk than this
     * @param mergeDeadRatio a background merge starts when dead bytes pass this share of the
     *     immutable segments' bytes (above 1: never)
     * @param mergeMinDead ... and at least this many bytes are dead
     * @param writeQueueSize memory for writes waiting for the log writer; beyond it OVERLOAD
     */
    public record Storage(
            @NotNull @DefaultValue("log") Engine engine,
            @NotNull @DefaultValue("data") Path dir,
            @NotNull @DefaultValue("0") DataSize maxBytes,
            @NotNull @DefaultValue("always") Fsync fsync,
            @NotNull @DefaultValue("100ms") Duration fsyncInterval,
            @NotNull @DefaultValue("64MB") DataSize segmentBytes,
            @NotNull @DefaultValue("64MB") DataSize minFreeDisk,
            @DecimalMin("0.05") @DecimalMax("100") @DefaultValue("0.5") double mergeDeadRatio,
            @NotNull @DefaultValue("16MB") DataSize mergeMinDead,
            @NotNull @DefaultValue("4MB") DataSize writeQueueSize) {

        @AssertTrue(message = "ringkv.storage.max-bytes and min-free-disk must not be negative")
        public boolean isSizesValid() {
            return maxBytes != null && maxBytes.toBytes() >= 0 && minFreeDisk != null && minFreeDisk.toBytes() >= 0
                    && mergeMinDead != null && mergeMinDead.toBytes() >= 0;
        }

        @AssertTrue(message = "ringkv.storage.fsync-interval must be between 1ms and 60s")
        public boolean isFsyncIntervalValid() {
            return within(fsyncInterval, Duration.ofMillis(1), Duration.ofSeconds(60));
        }

        @AssertTrue(message = "ringkv.storage.segment-bytes must be between 1MB and 1GB")
        public boolean isSegmentBytesValid() {
            return within(segmentBytes, DataSize.ofMegabytes(1), DataSize.ofGigabytes(1));
        }

        @AssertTrue(message = "ringkv.storage.write-queue-size must be between 64KB and 1GB")
        public boolean isWriteQueueSizeValid() {
            return within(writeQueueSize, DataSize.ofKilobytes(64), DataSize.ofGigabytes(1));
        }
    }

    /** Storage engines a node can run. */
    public enum Engine {
        log,
        memory
    }

    /** When the log engine acknowledges a write. */
    public enum Fsync {
        always,
        interval,
        never
    }

    /**
     * The admin plane.
     *
     * @param token bearer token for {@code /api/**}; empty means generate one into
     *     {@code <storage dir>/admin.token}
     */
    public record Admin(@DefaultValue("") String token) {}

    /**
     * Fault injection, for tests and drills only.
     *
     * @param enabled installs the fault decorators and {@code /api/v1/node/faults}; when false
     *     neither exists
     */
    public record Faults(@DefaultValue("false") boolean enabled) {}

    /** Null-safe bounds check for the {@code @AssertTrue} rules (null is reported by {@code @NotNull}). */
    static boolean within(Duration value, Duration min, Duration max) {
        return value != null && value.compareTo(min) >= 0 && value.compareTo(max) <= 0;
    }

    static boolean within(DataSize value, DataSize min, DataSize max) {
        return value != null && value.toBytes() >= min.toBytes() && value.toBytes() <= max.toBytes();
    }
}
