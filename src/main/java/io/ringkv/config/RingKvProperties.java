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
        @Valid @NotNull @DefaultValue RingSettings ring,
        @Valid @NotNull @DefaultValue Replication replication,
        @Valid @NotNull @DefaultValue Limits limits,
        @Valid @NotNull @DefaultValue Storage storage,
        @Valid @NotNull @DefaultValue Admin admin,
        @Valid @NotNull @DefaultValue Faults faults,
        @Valid @NotNull @DefaultValue Ecs ecs,
        @Valid @NotNull @DefaultValue Cluster cluster) {

    @AssertTrue(message = "ringkv.cluster.peers and ringkv.node.ecs exclude each other: a cluster is run either by"
            + " an ECS or by its members' gossip from a static peer list")
    public boolean isOneClusterMode() {
        return node == null || cluster == null || node.ecs().isBlank() || cluster.peers().isBlank();
    }

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
     * @param ecs base URL of the ECS (e.g. {@code http://127.0.0.1:43000}); the node registers there,
     *     learns the ring from it and takes part in the cluster; empty means a lone node
     * @param respPort TCP port of the RESP2 (Redis protocol) listener; its default sits beside the
     *     node's other 431xx ports and away from a Redis server's 6379; 0 turns it off
     * @param heartbeatInterval time between the node's heartbeats to its ECS; each acknowledged one
     *     renews the node's lease, so it must stay well under the lease (the ECS's failure-timeout / 2)
     */
    public record Node(
            @DefaultValue("") String id,
            @NotBlank @DefaultValue("127.0.0.1") String host,
            @Min(1) @Max(65535) @DefaultValue("43100") int port,
            @Min(0) @Max(64) @DefaultValue("0") int ioThreads,
            @NotNull @DefaultValue("7s") Duration replyCacheTtl,
            @NotNull @DefaultValue("128MB") DataSize replyCacheSize,
            @Min(1) @Max(1_000_000) @DefaultValue("8192") int inflightMax,
            @NotNull @DefaultValue("") String ecs,
            @Min(0) @Max(65535) @DefaultValue("43379") int respPort,
            @NotNull @DefaultValue("500ms") Duration heartbeatInterval) {

        public String idOrDefault() {
            return id.isBlank() ? "node-" + port : id;
        }

        @AssertTrue(message = "ringkv.node.resp-port must differ from ringkv.node.port (which TCP uses already)")
        public boolean isRespPortDistinct() {
            return respPort != port;
        }

        @AssertTrue(message = "ringkv.node.heartbeat-interval must be between 50ms and 10s")
        public boolean isHeartbeatIntervalValid() {
            return within(heartbeatInterval, Duration.ofMillis(50), Duration.ofSeconds(10));
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
     * The consistent-hash ring.
     *
     * @param vnodes tokens (virtual nodes) per member; more spread keys more evenly (max/mean keys
     *     per node about 1.1 at 256 for 3 to 40 nodes) at the cost of more, smaller ranges to move
     */
    public record RingSettings(@Min(1) @Max(4096) @DefaultValue("256") int vnodes) {}

    /**
     * Replication (design §5).
     *
     * @param factor copies of every key, the primary included; set on the ECS, which puts it in
     *     every ring it publishes, so that all its nodes use the same value; fixed when the cluster
     *     is first built (a restarted ECS refuses another value)
     * @param read where a node reads a key: {@code primary} (linearizable per key) or {@code any}
     *     replica it is on (faster, possibly stale)
     * @param timeout how long a primary holds a write for every backup's acknowledgement (sending it
     *     again to a backup that refused or did not answer, and under a new ring that replaces one)
     *     before it reports the write's outcome as unknown (no reply, the client retries); above the
     *     ECS's failure-timeout, writes caught by a node's failure complete after the failover
     */
    public record Replication(
            @Min(1) @Max(7) @DefaultValue("3") int factor,
            @NotNull @DefaultValue("primary") ReadFrom read,
            @NotNull @DefaultValue("5s") Duration timeout) {

        @AssertTrue(message = "ringkv.replication.timeout must be between 10ms and 60s")
        public boolean isTimeoutValid() {
            return timeout.compareTo(Duration.ofMillis(10)) >= 0 && timeout.compareTo(Duration.ofSeconds(60)) <= 0;
        }
    }

    /** Where reads are served (ringkv.replication.read). */
    public enum ReadFrom {
        primary,
        any
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

    /**
     * The coordinator (profile {@code ecs}).
     *
     * @param launcher how nodes are started: {@code local} (child JVMs of the ECS's jar) or
     *     {@code static} (nodes started elsewhere register themselves)
     * @param initialNodes nodes the local launcher starts when the ECS has no persisted cluster
     * @param nodesMax largest cluster the ECS builds
     * @param dataDir the ECS's files: {@code cluster.json}, {@code admin.token}, and with the local
     *     launcher each node's data directory and log under {@code nodes/}
     * @param host address nodes use to reach the ECS (also the address local nodes bind to)
     * @param nodeJavaOptions JVM options of nodes the local launcher starts, separated by spaces
     * @param nodePortBase first data-plane port (UDP and TCP) the local launcher tries
     * @param nodeRestPortBase first REST port the local launcher tries
     * @param nodeRespPortBase first RESP2 (Redis protocol) port the local launcher tries
     * @param handoffTimeout longest a handoff may take before the ring change is rolled back
     * @param nodeStartTimeout longest a launched or admitted node may take to become ready
     * @param nodeRequestTimeout bound on every call the ECS makes to a node
     * @param shutdownGrace how long a removed node may take to exit before SIGTERM, then SIGKILL
     * @param tickInterval time between the ECS's background rounds (re-publishing the ring to
     *     nodes that missed it, marking nodes UP or DOWN)
     * @param failureTimeout a ring member not heard from (no heartbeat) for this long is declared
     *     FAILED and a ring without it is published; nodes hold a lease of half of it
     * @param ringPushFanout members a new ring is pushed to besides those that gain or leave ranges;
     *     the others learn it from their peers' gossip (or their next heartbeat reply). 0 pushes to
     *     every member, as does a cluster without gossip ({@code ringkv.cluster.gossip=false})
     */
    public record Ecs(
            @NotNull @DefaultValue("local") Launcher launcher,
            @Min(0) @Max(64) @DefaultValue("3") int initialNodes,
            @Min(1) @Max(1024) @DefaultValue("64") int nodesMax,
            @NotNull @DefaultValue("ecs-data") Path dataDir,
            @NotBlank @DefaultValue("127.0.0.1") String host,
            @NotNull @DefaultValue("-Xmx64m") String nodeJavaOptions,
            @Min(1) @Max(65535) @DefaultValue("43100") int nodePortBase,
            @Min(1) @Max(65535) @DefaultValue("43200") int nodeRestPortBase,
            @Min(1) @Max(65535) @DefaultValue("43300") int nodeRespPortBase,
            @NotNull @DefaultValue("10m") Duration handoffTimeout,
            @NotNull @DefaultValue("60s") Duration nodeStartTimeout,
            @NotNull @DefaultValue("5s") Duration nodeRequestTimeout,
            @NotNull @DefaultValue("10s") Duration shutdownGrace,
            @NotNull @DefaultValue("2s") Duration tickInterval,
            @NotNull @DefaultValue("3s") Duration failureTimeout,
            @Min(0) @Max(1024) @DefaultValue("3") int ringPushFanout) {

        @AssertTrue(message = "ringkv.ecs.initial-nodes must not exceed ringkv.ecs.nodes-max")
        public boolean isInitialNodesValid() {
            return initialNodes <= nodesMax;
        }

        @AssertTrue(message = "ringkv.ecs.handoff-timeout must be between 1s and 24h")
        public boolean isHandoffTimeoutValid() {
            return within(handoffTimeout, Duration.ofSeconds(1), Duration.ofHours(24));
        }

        @AssertTrue(message = "ringkv.ecs.node-start-timeout must be between 1s and 10m")
        public boolean isNodeStartTimeoutValid() {
            return within(nodeStartTimeout, Duration.ofSeconds(1), Duration.ofMinutes(10));
        }

        @AssertTrue(message = "ringkv.ecs.node-request-timeout must be between 100ms and 60s")
        public boolean isNodeRequestTimeoutValid() {
            return within(nodeRequestTimeout, Duration.ofMillis(100), Duration.ofSeconds(60));
        }

        @AssertTrue(message = "ringkv.ecs.shutdown-grace must be between 0s and 5m")
        public boolean isShutdownGraceValid() {
            return within(shutdownGrace, Duration.ZERO, Duration.ofMinutes(5));
        }

        @AssertTrue(message = "ringkv.ecs.tick-interval must be between 100ms and 1m")
        public boolean isTickIntervalValid() {
            return within(tickInterval, Duration.ofMillis(100), Duration.ofMinutes(1));
        }

        @AssertTrue(message = "ringkv.ecs.failure-timeout must be between 500ms and 10m")
        public boolean isFailureTimeoutValid() {
            return within(failureTimeout, Duration.ofMillis(500), Duration.ofMinutes(10));
        }

        @AssertTrue(message = "ringkv.ecs.node-port-base, node-rest-port-base and node-resp-port-base must be at"
                + " least nodes-max apart")
        public boolean isPortBasesApart() {
            return Math.abs(nodePortBase - nodeRestPortBase) >= nodesMax
                    && Math.abs(nodePortBase - nodeRespPortBase) >= nodesMax
                    && Math.abs(nodeRestPortBase - nodeRespPortBase) >= nodesMax;
        }
    }

    /**
     * How the ECS starts nodes. Written {@code local} and {@code static} in properties (Spring binds
     * enum names case-insensitively; {@code static} is a Java keyword, hence the upper case).
     */
    public enum Launcher {
        LOCAL,
        STATIC
    }

    /**
     * A cluster without an ECS (design §5): the members find each other by gossip (SWIM with
     * Lifeguard's suspicion) from a static peer list, and every member computes the same ring from
     * the members it believes alive.
     *
     * @param peers every member's data address ({@code host:port}, this node's included), comma
     *     separated, or the path of a file with one per line (the course's {@code servers.txt});
     *     empty means none: a lone node, or a member of an ECS's cluster
     * @param key shared secret that authenticates every membership datagram (HMAC-SHA256), at least
     *     16 characters; empty means unauthenticated
     * @param gossipPortOffset each member's membership (UDP) port is its data port plus this; the
     *     same on every member
     * @param gossipPeriod the membership protocol's period (one probe each); its timeouts scale with
     *     it, so a dead member is found in a few periods plus the suspicion timeout
     * @param bootstrapWait how long a starting member waits for the others' member tables before it
     *     forms a ring from what it knows (the first member of a cluster starting cold)
     * @param gossip in an ECS's cluster, whether the ring's members also gossip among themselves:
     *     their heartbeats then report whom they find dead (a member a majority finds dead is failed
     *     over though it still reaches the ECS), a member cut off from the ECS heartbeats through
     *     its peers, and a newer ring spreads from peer to peer. Set on the ECS, which passes it to
     *     the nodes it launches. A cluster without an ECS always gossips.
     */
    public record Cluster(
            @NotNull @DefaultValue("") String peers,
            @NotNull @DefaultValue("") String key,
            @Min(-65534) @Max(65534) @DefaultValue("300") int gossipPortOffset,
            @NotNull @DefaultValue("1s") Duration gossipPeriod,
            @NotNull @DefaultValue("3s") Duration bootstrapWait,
            @DefaultValue("true") boolean gossip) {

        @AssertTrue(message = "ringkv.cluster.key must be empty or at least 16 characters")
        public boolean isKeyValid() {
            return key.isEmpty() || key.length() >= 16;
        }

        @AssertTrue(message = "ringkv.cluster.gossip-port-offset must not be 0 (the data port uses UDP already)")
        public boolean isGossipPortOffsetValid() {
            return gossipPortOffset != 0;
        }

        @AssertTrue(message = "ringkv.cluster.gossip-period must be between 50ms and 10s")
        public boolean isGossipPeriodValid() {
            return within(gossipPeriod, Duration.ofMillis(50), Duration.ofSeconds(10));
        }

        @AssertTrue(message = "ringkv.cluster.bootstrap-wait must be between 0s and 5m")
        public boolean isBootstrapWaitValid() {
            return within(bootstrapWait, Duration.ZERO, Duration.ofMinutes(5));
        }
    }

    /** Null-safe bounds check for the {@code @AssertTrue} rules (null is reported by {@code @NotNull}). */
    static boolean within(Duration value, Duration min, Duration max) {
        return value != null && value.compareTo(min) >= 0 && value.compareTo(max) <= 0;
    }

    static boolean within(DataSize value, DataSize min, DataSize max) {
        return value != null && value.toBytes() >= min.toBytes() && value.toBytes() <= max.toBytes();
    }
}
