package io.ringkv.node;

import io.micrometer.core.instrument.MeterRegistry;
import io.ringkv.admin.AdminToken;
import io.ringkv.admin.AdminTokenFilter;
import io.ringkv.cluster.ClusterState;
import io.ringkv.cluster.Handoff;
import io.ringkv.replication.CatchUp;
import io.ringkv.replication.RangeKeys;
import io.ringkv.replication.RangeSync;
import io.ringkv.replication.Replicator;
import io.ringkv.cluster.PeerClients;
import io.ringkv.cluster.Peers;
import io.ringkv.config.RingKvProperties;
import io.ringkv.storage.StorageEngine;
import io.ringkv.faults.DiskFaults;
import io.ringkv.faults.NetworkFaults;
import io.ringkv.faults.NetworkRule;
import io.ringkv.membership.SwimRunner;
import io.ringkv.storage.log.FileChannelFileSystem;
import io.ringkv.storage.log.FsyncPolicy;
import io.ringkv.storage.log.LogEngine;
import io.ringkv.storage.memory.MemoryEngine;
import io.ringkv.transport.ChannelHook;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.context.annotation.Profile;
import tools.jackson.databind.json.JsonMapper;

/** Wires the node role from plain-Java parts. */
@Configuration(proxyBeanMethods = false)
@Profile("node")
class NodeConfiguration {
    /** Stripes of the reply cache: enough that event loops rarely contend on one lock. */
    private static final int REPLY_CACHE_STRIPES = 16;
    /** The log engine's files live in their own directory, apart from the admin token. */
    private static final String LOG_DIR = "log";
    /** A page of keys holds at least this much even under a tiny value limit: any reply cache takes it. */
    private static final int RANGE_KEYS_PAGE_BYTES_MIN = 256;

    @Bean
    AdminToken adminToken(RingKvProperties properties) {
        return AdminToken.configuredOrGenerated(properties.admin().token(), properties.storage().dir());
    }

    @Bean
    FilterRegistrationBean<AdminTokenFilter> adminTokenFilter(AdminToken token) {
        return AdminTokenFilter.registration(token);
    }

    /** The disk-fault switch; present only when fault injection is enabled. */
    @Bean
    @ConditionalOnProperty(name = "ringkv.faults.enabled", havingValue = "true")
    DiskFaults diskFaults() {
        return new DiskFaults();
    }

    /** The network-fault plan; present only when fault injection is enabled. */
    @Bean(destroyMethod = "close")
    @ConditionalOnProperty(name = "ringkv.faults.enabled", havingValue = "true")
    NetworkFaults networkFaults() {
        return new NetworkFaults();
    }

    /** With fault injection on and an ECS to follow: the ECS's calls go through the network plan. */
    @Bean
    @ConditionalOnProperty(name = "ringkv.faults.enabled", havingValue = "true")
    @ConditionalOnExpression("!'${ringkv.node.ecs:}'.isBlank()")
    FilterRegistrationBean<FaultyEcsCallsFilter> faultyEcsCallsFilter(RingKvProperties properties,
            NetworkFaults faults) {
        var registration = new FilterRegistrationBean<>(new FaultyEcsCallsFilter(faults, properties.node().ecs()));
        registration.addUrlPatterns("/*");
        return registration;
    }

    @Bean(destroyMethod = "close")
    StorageEngine storageEngine(RingKvProperties properties, MeterRegistry registry,
            ObjectProvider<DiskFaults> diskFaults) throws IOException {
        var storage = properties.storage();
        Path logDir = storage.dir().resolve(LOG_DIR);
        DiskFaults faults = diskFaults.getIfAvailable();
        return switch (storage.engine()) {
            case memory -> new MemoryEngine(storage.maxBytes().toBytes() > 0
                    ? storage.maxBytes().toBytes()
                    : Runtime.getRuntime().maxMemory() / 3);
            case log -> LogEngineMetrics.bind(registry,
                    config -> faults == null
                            ? LogEngine.open(config)
                            : LogEngine.open(config, faults.wrap(new FileChannelFileSystem(logDir))),
                    LogEngine.Config.builder(logDir)
                            .fsync(switch (storage.fsync()) {
                                case always -> FsyncPolicy.ALWAYS;
                                case interval -> FsyncPolicy.interval(storage.fsyncInterval().toMillis());
                                case never -> FsyncPolicy.NEVER;
                            })
                            .segmentBytes(storage.segmentBytes().toBytes())
                            .maxBytes(storage.maxBytes().toBytes())
                            .minFreeDiskBytes(storage.minFreeDisk().toBytes())
                            .mergeDeadRatio(storage.mergeDeadRatio())
                            .mergeMinDeadBytes(storage.mergeMinDead().toBytes())
                            .keyBytesMax(properties.limits().keyBytesMax())
                            .valueBytesMax(properties.limits().valueBytesMax())
                            .writeQueueBytesMax(storage.writeQueueSize().toBytes()));
        };
    }

    @Bean(destroyMethod = "close")
    ReplyCache replyCache(RingKvProperties properties) {
        var node = properties.node();
        var cache = new ReplyCache(node.replyCacheSize().toBytes(), node.replyCacheTtl().toNanos(),
                REPLY_CACHE_STRIPES, System::nanoTime);
        int needed = RequestProcessor.replyBytesMax(properties.limits().valueBytesMax());
        if (cache.replyBytesMax() < needed) {
            cache.close();
            // Otherwise every GET of a large value would be answered OVERLOAD forever.
            throw new IllegalStateException("ringkv.node.reply-cache-size=" + node.replyCacheSize()
                    + " is too small for ringkv.limits.value-bytes-max=" + properties.limits().valueBytesMax()
                    + ": each of its " + REPLY_CACHE_STRIPES + " stripes must hold a reply of " + needed + " bytes");
        }
        return cache;
    }

    @Bean
    NodeMetrics nodeMetrics(MeterRegistry registry, StorageEngine storage, ReplyCache replies) {
        return new NodeMetrics(registry, storage, replies);
    }

    @Bean
    ProcessNode processNode(ConfigurableApplicationContext context) {
        return new ProcessNode(context);
    }

    @Bean
    ClusterState clusterState(RingKvProperties properties, JsonMapper json) {
        var node = properties.node();
        if (!properties.cluster().peers().isBlank()) {
            return ClusterState.fromMembership(
                    PeerMembership.parse(properties.cluster().peers(), node.host(), node.port()).selfId());
        }
        if (node.ecs().isBlank()) {
            return new ClusterState(node.idOrDefault());
        }
        RingFile saved = new RingFile(properties.storage().dir(), json);
        ClusterState cluster = new ClusterState(node.idOrDefault(), true, saved.load());
        cluster.onAdopted(saved::save);
        return cluster;
    }

    @Bean(destroyMethod = "close")
    PeerClients peerClients() {
        return new PeerClients();
    }

    /**
     * With fault injection on, the request path, the handoff and replication reach peers through
     * the network-fault decorator around the links (primary over the bare links); otherwise this
     * bean does not exist.
     */
    @Bean
    @Primary
    @ConditionalOnProperty(name = "ringkv.faults.enabled", havingValue = "true")
    Peers faultyPeers(PeerClients links, NetworkFaults faults) {
        return faults.wrap(links, PeerClients.REPLY_TIMEOUT_MS);
    }

    @Bean
    Handoff handoff(ClusterState cluster, StorageEngine storage, Peers peers) {
        return new Handoff(cluster.selfId(), storage, peers);
    }

    @Bean
    Replicator replicator(RingKvProperties properties, ClusterState cluster, StorageEngine storage, Peers peers) {
        return new Replicator(cluster.selfId(), cluster, storage, peers,
                properties.replication().timeout().toMillis(), Executors.newVirtualThreadPerTaskExecutor());
    }

    /** Lists a replica's keys in a range, for a primary's range sync; pages fit a reply of the value limit. */
    @Bean
    RangeKeys rangeKeys(RingKvProperties properties, StorageEngine storage, Peers peers) {
        return new RangeKeys(storage, peers, Math.max(properties.limits().valueBytesMax(), RANGE_KEYS_PAGE_BYTES_MIN));
    }

    /** Told of every ring the node adopts: it ends a handoff, then syncs and drops ranges. */
    @Bean(destroyMethod = "close")
    RangeSync rangeSync(ClusterState cluster, StorageEngine storage, Replicator replicator, Handoff handoff,
            RangeKeys rangeKeys, MeterRegistry registry) {
        RangeSync sync = new RangeSync(cluster.selfId(), storage, replicator, handoff, rangeKeys);
        ReplicationMetrics.bind(registry, replicator, sync);
        sync.start(cluster.ring());
        cluster.onAdopted(sync::onRingAdopted);
        return sync;
    }

    /**
     * Pulls what a node leads without holding it, after the cluster went on without it; only a
     * member of a cluster without an ECS pulls (with one, the handoff brings ranges before a ring
     * change), but every node serves pulls.
     */
    @Bean(destroyMethod = "close")
    CatchUp catchUp(RingKvProperties properties, ClusterState cluster, StorageEngine storage, Replicator replicator,
            Peers peers) {
        CatchUp catchUp = new CatchUp(cluster.selfId(), cluster, storage, replicator, peers,
                !properties.cluster().peers().isBlank());
        cluster.onAdopted(catchUp::onRingAdopted);
        return catchUp;
    }

    /** Present only in a cluster without an ECS: gossip membership from the static peer list. */
    @Bean(destroyMethod = "close")
    @ConditionalOnExpression("!'${ringkv.cluster.peers:}'.isBlank()")
    PeerMembership peerMembership(RingKvProperties properties, ClusterState cluster, StorageEngine storage,
            CatchUp catchUp, RangeSync rangeSync, ObjectProvider<NetworkFaults> networkFaults) throws IOException {
        var node = properties.node();
        var settings = properties.cluster();
        return new PeerMembership(PeerMembership.parse(settings.peers(), node.host(), node.port()), node.host(),
                settings.gossipPortOffset(), PeerMembership.config(settings.gossipPeriod()), clusterKey(settings),
                settings.bootstrapWait(), cluster, storage, catchUp, rangeSync::dropping, properties.ring().vnodes(),
                properties.replication().factor(), gossipFilter(settings, networkFaults));
    }

    /** Present only in an ECS's cluster with {@code ringkv.cluster.gossip} on: the ring's members gossip too. */
    @Bean(destroyMethod = "close")
    @ConditionalOnExpression("!'${ringkv.node.ecs:}'.isBlank() and '${ringkv.cluster.gossip:true}' == 'true'")
    EcsGossip ecsGossip(RingKvProperties properties, ClusterState cluster, Peers peers,
            ObjectProvider<NetworkFaults> networkFaults) throws IOException {
        var node = properties.node();
        var settings = properties.cluster();
        return new EcsGossip(cluster.selfId(), node.host(), node.port(), settings.gossipPortOffset(),
                PeerMembership.config(settings.gossipPeriod()), clusterKey(settings), cluster, peers,
                gossipFilter(settings, networkFaults));
    }

    private static byte[] clusterKey(RingKvProperties.Cluster settings) {
        return settings.key().isEmpty() ? null : settings.key().getBytes(StandardCharsets.UTF_8);
    }

    /** With fault injection on, the membership socket obeys the network plan too (cut and drop). */
    private static SwimRunner.DatagramFilter gossipFilter(RingKvProperties.Cluster settings,
            ObjectProvider<NetworkFaults> networkFaults) {
        NetworkFaults faults = networkFaults.getIfAvailable();
        return faults == null ? SwimRunner.DatagramFilter.NONE : faults.gossipFilter(settings.gossipPortOffset());
    }

    /** Present only when the node has an ECS to follow. */
    @Bean(destroyMethod = "close")
    @ConditionalOnExpression("!'${ringkv.node.ecs:}'.isBlank()")
    EcsLink ecsLink(RingKvProperties properties, AdminToken token, ClusterState cluster, JsonMapper json,
            ObjectProvider<NetworkFaults> networkFaults, ObjectProvider<EcsGossip> gossip, Peers peers) {
        var node = properties.node();
        NetworkFaults faults = networkFaults.getIfAvailable();
        return new EcsLink(node.ecs(), cluster.selfId(), node.host(), node.port(), token, cluster, json,
                node.heartbeatInterval(), faults == null ? UnaryOperator.identity() : faults::wrap,
                gossip.getIfAvailable(), peers);
    }

    @Bean
    KvService kvService(RingKvProperties properties, ProcessNode process, StorageEngine storage,
            ClusterState cluster, Handoff handoff, Peers peers, Replicator replicator, RangeSync rangeSync,
            CatchUp catchUp, RangeKeys rangeKeys, ObjectProvider<EcsLink> ecsLink) {
        var limits = properties.limits();
        var local = new LocalKvService(process, storage, limits.keyBytesMax(), limits.valueBytesMax());
        EcsLink ecs = ecsLink.getIfAvailable();
        return new ClusterKvService(local, cluster, handoff, peers, replicator, rangeSync::dropping, catchUp,
                rangeKeys, properties.replication().read() == RingKvProperties.ReadFrom.any, limits.keyBytesMax(),
                ecs == null ? null : ecs::forwardHeartbeat);
    }

    @Bean
    RequestProcessor requestProcessor(RingKvProperties properties, ProcessNode process, KvService kv,
            ReplyCache replies, NodeMetrics metrics) {
        return new RequestProcessor(process, kv, replies, metrics, properties.node().inflightMax(),
                properties.limits().valueBytesMax());
    }

    @Bean
    NodeListeners nodeListeners(RingKvProperties properties, RequestProcessor processor, KvService kv,
            StorageEngine storage, ProcessNode process, MeterRegistry registry,
            ObjectProvider<NetworkFaults> networkFaults) {
        NetworkFaults faults = networkFaults.getIfAvailable();
        return new NodeListeners(properties, processor,
                new NodeRespBackend(kv, storage, properties.node().idOrDefault(), process), new RespMeters(registry),
                faults == null ? ChannelHook.NONE : faults.channelHook(NetworkRule.Protocol.UDP),
                faults == null ? ChannelHook.NONE : faults.channelHook(NetworkRule.Protocol.TCP));
    }

    @Bean
    StorageHealthIndicator storageHealthIndicator(StorageEngine storage) {
        return new StorageHealthIndicator(storage);
    }
}
