package io.ringkv.ecs.api;

import io.micrometer.core.instrument.MeterRegistry;
import io.ringkv.admin.AdminToken;
import io.ringkv.admin.AdminTokenFilter;
import io.ringkv.config.RingKvProperties;
import io.ringkv.ecs.Coordinator;
import io.ringkv.ecs.HttpNodeClient;
import io.ringkv.ecs.Launcher;
import io.ringkv.ecs.LocalLauncher;
import io.ringkv.ecs.MonotonicClock;
import io.ringkv.ecs.Pacer;
import io.ringkv.ecs.StateStore;
import io.ringkv.ecs.StaticLauncher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;

/** Wires the ECS role from the plain-Java parts in {@code io.ringkv.ecs}. */
@Configuration(proxyBeanMethods = false)
@Profile("ecs")
class EcsConfiguration {
    private static final Logger log = LoggerFactory.getLogger(EcsConfiguration.class);
    /** Connecting to a node on the same network takes milliseconds; longer means it is not there. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);
    /** Time between polls of handoff progress and of a starting node's readiness. */
    private static final Duration POLL = Duration.ofMillis(100);
    /** How long a node gaining ranges is retried when it does not take the new ring at once. */
    private static final Duration GAINER_PUBLISH_TIMEOUT = Duration.ofSeconds(30);

    /**
     * The cluster's one admin token. A generated token is kept in the ECS's data directory and
     * reused after a restart: the running nodes the ECS re-adopts were started with it.
     */
    @Bean
    AdminToken adminToken(RingKvProperties properties) {
        String configured = properties.admin().token();
        Path file = properties.ecs().dataDir().resolve(AdminToken.FILE_NAME);
        if (configured.isBlank() && Files.isReadable(file)) {
            try {
                configured = Files.readString(file).strip();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the admin token " + file, e);
            }
        }
        return AdminToken.configuredOrGenerated(configured, properties.ecs().dataDir());
    }

    @Bean
    FilterRegistrationBean<AdminTokenFilter> adminTokenFilter(AdminToken token) {
        return AdminTokenFilter.registration(token);
    }

    @Bean
    StateStore stateStore(RingKvProperties properties) {
        return new StateStore(properties.ecs().dataDir());
    }

    @Bean
    HttpNodeClient nodeClient(RingKvProperties properties, AdminToken token) {
        return new HttpNodeClient(token.value(), CONNECT_TIMEOUT, properties.ecs().nodeRequestTimeout());
    }

    @Bean(destroyMethod = "close")
    Launcher launcher(RingKvProperties properties, AdminToken token) {
        var ecs = properties.ecs();
        return switch (ecs.launcher()) {
            case STATIC -> new StaticLauncher();
            case LOCAL -> new LocalLauncher(new LocalLauncher.Settings(
                    Path.of(System.getProperty("java.home"), "bin", "java"),
                    // Run with java -jar, the class path is the jar itself.
                    Path.of(System.getProperty("java.class.path")).toAbsolutePath(),
                    Arrays.stream(ecs.nodeJavaOptions().trim().split("\\s+")).filter(s -> !s.isEmpty()).toList(),
                    ecs.dataDir(), ecs.host(), ecs.nodePortBase(), ecs.nodeRestPortBase(), ecs.nodeRespPortBase(),
                    token.value(),
                    ecs.shutdownGrace(), properties.cluster().gossip() ? properties.cluster().gossipPortOffset() : 0));
        };
    }

    /** Runs the one operation at a time; a second is refused before it reaches this queue. */
    @Bean(destroyMethod = "shutdownNow")
    ExecutorService ecsOperations() {
        return Executors.newSingleThreadExecutor(Thread.ofPlatform().name("ecs-operation").daemon().factory());
    }

    @Bean(destroyMethod = "shutdownNow")
    ScheduledExecutorService ecsTicker() {
        return Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("ecs-tick").daemon().factory());
    }

    /**
     * Runs FAILOVER operations (publish, then drive the repair), apart from ring changes so that a
     * failover never waits behind one; one at a time, since one operation absorbs further failures.
     */
    @Bean(destroyMethod = "shutdownNow")
    ExecutorService ecsFailovers() {
        return Executors.newSingleThreadExecutor(Thread.ofPlatform().name("ecs-failover").daemon().factory());
    }

    /**
     * The failure detector's rounds, on a thread of their own: the background round blocks on node
     * calls (up to ringkv.ecs.node-request-timeout each), a failure must not wait for those.
     */
    @Bean(destroyMethod = "shutdownNow")
    ScheduledExecutorService ecsDetector() {
        return Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("ecs-failure-detector").daemon().factory());
    }

    @Bean
    EcsMetrics ecsMetrics(MeterRegistry registry) {
        return new EcsMetrics(registry);
    }

    @Bean
    Coordinator coordinator(RingKvProperties properties, StateStore store, HttpNodeClient nodes, Launcher launcher,
            ExecutorService ecsOperations, ExecutorService ecsFailovers, EcsMetrics metrics) {
        var ecs = properties.ecs();
        var settings = new Coordinator.Settings(properties.ring().vnodes(), ecs.initialNodes(), ecs.nodesMax(),
                ecs.handoffTimeout(), POLL, ecs.nodeStartTimeout(), ecs.shutdownGrace(), GAINER_PUBLISH_TIMEOUT,
                ecs.failureTimeout(), properties.replication().factor(),
                // Without gossip a member not pushed to would wait for its next heartbeat reply.
                properties.cluster().gossip() ? ecs.ringPushFanout() : 0);
        // Monotonic: a step of the wall clock must neither declare nodes failed nor cut a timeout short.
        Coordinator coordinator = new Coordinator(settings, store, nodes, launcher, new MonotonicClock(),
                Pacer.SLEEP, ecsOperations, ecsFailovers, metrics);
        metrics.bind(coordinator);
        return coordinator;
    }

    @Bean
    EcsHealthIndicator ecsHealthIndicator(Coordinator coordinator) {
        return new EcsHealthIndicator(coordinator);
    }

    /**
     * Starts the coordinator once the REST port is known (nodes are told where the ECS is), and
     * its background rounds.
     */
    @Bean
    ApplicationListener<WebServerInitializedEvent> ecsStarter(RingKvProperties properties, Coordinator coordinator,
            ScheduledExecutorService ecsTicker, ScheduledExecutorService ecsDetector) {
        return event -> {
            URI url = URI.create("http://" + properties.ecs().host() + ":" + event.getWebServer().getPort());
            log.info("ECS at {}, state in {}", url, properties.ecs().dataDir().toAbsolutePath());
            coordinator.start(url);
            every(ecsTicker, properties.ecs().tickInterval(), coordinator::tick, "background round");
            every(ecsDetector, coordinator.failureRoundInterval(), coordinator::failureRound, "failure-detection round");
        };
    }

    /** Runs {@code round} every {@code interval}; a round that throws is logged and the next one runs. */
    private static void every(ScheduledExecutorService timer, Duration interval, Runnable round, String what) {
        long ms = interval.toMillis();
        timer.scheduleWithFixedDelay(() -> {
            try {
                round.run();
            } catch (RuntimeException e) {
                log.warn("ECS {} failed", what, e);
            }
        }, ms, ms, TimeUnit.MILLISECONDS);
    }
}
