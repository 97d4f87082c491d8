package io.ringkv.node;

import io.ringkv.cluster.ClusterState;
import io.ringkv.cluster.Lease;
import io.ringkv.config.RingKvProperties;
import io.ringkv.storage.StorageEngine;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.annotation.Profile;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The node's admin REST API. Thin: it reads state and calls the same operations as the protocol. */
@RestController
@Profile("node")
@RequestMapping("/api/v1/node")
class NodeController {
    private final RingKvProperties properties;
    private final StorageEngine storage;
    private final ProcessNode process;
    private final WebServerApplicationContext web;
    private final ClusterState cluster;

    NodeController(RingKvProperties properties, StorageEngine storage, ProcessNode process,
            WebServerApplicationContext web, ClusterState cluster) {
        this.properties = properties;
        this.storage = storage;
        this.process = process;
        this.web = web;
        this.cluster = cluster;
    }

    /**
     * What an operator wants to know at a glance.
     *
     * @param incarnation this process's name in its heartbeats (chosen at start)
     * @param epoch the ring epoch it routes by, 0 without a ring
     * @param lease whether it may act as owner of its keys now, and if not why
     */
    record NodeInfo(String id, long pid, String host, int port, int restPort, long uptimeMs, String engine,
            long keys, long bytes, long bytesMax, boolean writable, String writeFailure, String incarnation,
            long epoch, Lease.Status lease) {}

    @GetMapping
    NodeInfo info() {
        var node = properties.node();
        String failure = storage.writeFailure();
        return new NodeInfo(node.idOrDefault(), process.pid(), node.host(), node.port(),
                web.getWebServer().getPort(), System.currentTimeMillis() - process.startedAtMillis(),
                storage.name(), storage.keys(), storage.bytes(), storage.bytesMax(), failure == null, failure,
                cluster.incarnation(), cluster.epoch(), cluster.lease().status());
    }

    /** Removes every key, like the WIPEOUT command. */
    @PostMapping("/wipeout")
    ResponseEntity<Void> wipeout() throws Exception {
        storage.wipe().toCompletableFuture().get(Duration.ofMinutes(1).toMillis(), TimeUnit.MILLISECONDS);
        return ResponseEntity.noContent().build();
    }

    /** Ends the process cleanly, like the SHUTDOWN command. Answers before it goes. */
    @PostMapping("/shutdown")
    ResponseEntity<Void> shutdown() {
        process.shutdown("REST shutdown request");
        return ResponseEntity.accepted().build();
    }
}
