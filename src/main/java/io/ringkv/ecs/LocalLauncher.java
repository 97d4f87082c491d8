package io.ringkv.ecs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs nodes as child JVMs of the ECS's own jar on this machine: free ports from the configured
 * bases, a data directory and a log file per node under {@code <data-dir>/nodes/}. The admin token
 * reaches each child through its environment ({@code RINGKV_ADMIN_TOKEN}), so it never shows in
 * {@code ps}.
 *
 * <p>Children outlive an ECS that is killed (they keep serving; the restarted ECS re-adopts them)
 * but not one that stops cleanly: {@link #close()} stops every node this launcher owns.
 *
 * <p>Thread-safe.
 */
public final class LocalLauncher implements Launcher {
    private static final Logger log = LoggerFactory.getLogger(LocalLauncher.class);
    /** How far above a base port the search for a free one goes before giving up. */
    private static final int PORT_SEARCH_MAX = 1000;
    /** Environment variables of the ECS that must not configure a child as if it were the ECS. */
    private static final List<String> ENV_PREFIXES_DROPPED = List.of("RINGKV_", "SPRING_", "SERVER_");

    /**
     * How to start a node.
     *
     * @param java the java executable
     * @param jar the ringkv jar the ECS itself runs from
     * @param javaOptions JVM options for every node ({@code -Xmx64m} by default)
     * @param dataDir the ECS's data directory; nodes live in {@code nodes/<id>} below it
     * @param host address the nodes bind and are reached at
     * @param portBase first data-plane port tried (UDP and TCP)
     * @param restPortBase first REST port tried
     * @param respPortBase first RESP2 port tried
     * @param token the cluster's admin token, handed to each child in its environment
     * @param stopGrace how long a node gets between SIGTERM and SIGKILL
     */
    public record Settings(Path java, Path jar, List<String> javaOptions, Path dataDir, String host, int portBase,
            int restPortBase, int respPortBase, String token, Duration stopGrace, int gossipPortOffset) {}

    private final Settings settings;
    /** Processes this launcher must stop on close, by node id. */
    private final Map<String, Long> owned = new ConcurrentHashMap<>();

    public LocalLauncher(Settings settings) {
        this.settings = settings;
    }

    @Override
    public boolean canLaunch() {
        return true;
    }

    @Override
    public synchronized NodeRecord launch(String id, URI ecsUrl, Set<Integer> portsTaken) {
        Set<Integer> taken = new HashSet<>(portsTaken);
        int port = freeDataPort(taken);
        taken.add(port);
        if (settings.gossipPortOffset() != 0) {
            taken.add(port + settings.gossipPortOffset());
        }
        int restPort = freePort(settings.restPortBase(), taken, false);
        taken.add(restPort);
        int respPort = freePort(settings.respPortBase(), taken, false);
        Path nodes = settings.dataDir().resolve("nodes");
        NodeRecord record = new NodeRecord(id, settings.host(), port, restPort, NodeStatus.JOINING, null,
                nodes.resolve(id + ".log").toAbsolutePath().toString(),
                nodes.resolve(id).toAbsolutePath().toString(), true, respPort, null);
        return start(record, ecsUrl);
    }

    @Override
    public NodeRecord relaunch(NodeRecord node, URI ecsUrl) {
        return start(node, ecsUrl);
    }

    private NodeRecord start(NodeRecord node, URI ecsUrl) {
        if (!settings.jar().toString().endsWith(".jar")) {
            throw new IllegalStateException("the local launcher starts nodes from the ECS's jar, but the ECS runs from "
                    + settings.jar() + "; start the ECS with java -jar ringkv.jar");
        }
        List<String> command = new ArrayList<>();
        command.add(settings.java().toString());
        command.addAll(settings.javaOptions());
        command.addAll(List.of("-jar", settings.jar().toString(),
                "--spring.profiles.active=node",
                "--ringkv.node.id=" + node.id(),
                "--ringkv.node.host=" + node.host(),
                "--ringkv.node.port=" + node.port(),
                "--server.port=" + node.restPort(),
                "--ringkv.node.resp-port=" + node.respPort(),
                "--ringkv.storage.dir=" + node.dataDir(),
                "--ringkv.node.ecs=" + ecsUrl,
                "--ringkv.cluster.gossip=" + (settings.gossipPortOffset() != 0)));
        if (settings.gossipPortOffset() != 0) {
            command.add("--ringkv.cluster.gossip-port-offset=" + settings.gossipPortOffset());
        }
        try {
            Path logFile = Path.of(node.logFile());
            Files.createDirectories(logFile.getParent());
            Files.createDirectories(Path.of(node.dataDir()));
            var builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Map<String, String> env = builder.environment();
            env.keySet().removeIf(name -> ENV_PREFIXES_DROPPED.stream().anyMatch(name::startsWith));
            env.put("RINGKV_ADMIN_TOKEN", settings.token());
            Process process = builder.start();
            owned.put(node.id(), process.pid());
            log.info("launched node {} (pid {}, port {}, rest {}), log {}", node.id(), process.pid(), node.port(),
                    node.restPort(), logFile);
            return node.withPid(process.pid());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot launch node " + node.id() + " with " + command, e);
        }
    }

    @Override
    public void adopt(NodeRecord node) {
        if (node.local() && node.pid() != null) {
            owned.put(node.id(), node.pid());
        }
    }

    @Override
    public boolean isRunning(NodeRecord node) {
        return handle(node).map(ProcessHandle::isAlive).orElse(false);
    }

    @Override
    public void awaitExitOrStop(NodeRecord node, Duration grace) {
        handle(node).ifPresent(process -> {
            if (!waitFor(process, grace)) {
                log.warn("node {} (pid {}) still runs {} after its shutdown request; sending SIGTERM", node.id(),
                        process.pid(), grace);
                stop(process, grace);
            }
        });
        owned.remove(node.id());
    }

    @Override
    public void close() {
        List<ProcessHandle> running = new ArrayList<>();
        owned.forEach((id, pid) -> ProcessHandle.of(pid).filter(ProcessHandle::isAlive).ifPresent(process -> {
            log.info("stopping node {} (pid {})", id, pid);
            process.destroy();
            running.add(process);
        }));
        // SIGTERM went to all first, so they stop in parallel; then each gets what is left of the grace.
        long deadline = System.nanoTime() + settings.stopGrace().toNanos();
        for (ProcessHandle process : running) {
            long left = Math.max(0, deadline - System.nanoTime());
            if (!waitFor(process, Duration.ofNanos(left))) {
                log.warn("node pid {} ignored SIGTERM for {}; killing it", process.pid(), settings.stopGrace());
                process.destroyForcibly();
            }
        }
        owned.clear();
    }

    /** The live process of a node, when it has a pid that still runs our jar's node with that id. */
    private Optional<ProcessHandle> handle(NodeRecord node) {
        if (node.pid() == null) {
            return Optional.empty();
        }
        // A pid can be reused by an unrelated process after the node died: check what it runs.
        return ProcessHandle.of(node.pid()).filter(ProcessHandle::isAlive)
                .filter(process -> process.info().commandLine()
                        .map(line -> line.contains("--ringkv.node.id=" + node.id()))
                        .orElse(true));
    }

    private void stop(ProcessHandle process, Duration grace) {
        process.destroy();
        if (!waitFor(process, grace)) {
            process.destroyForcibly();
            waitFor(process, grace);
        }
    }

    private static boolean waitFor(ProcessHandle process, Duration timeout) {
        try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return !process.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    /**
     * The first port from {@code base} that no known node holds and that binds now (TCP, and UDP
     * too for the data plane, which uses both under one number). Another process may take it
     * before the node binds; the node then fails to start and the operation reports it.
     */
    /**
     * A free data port (TCP and UDP) whose gossip port (data + offset, UDP) is free too, when the
     * nodes gossip. Ports of other nodes' gossip sockets are in no record; the ranges keep them apart
     * (gossip ports lie {@code offset} above the data ports, the REST and RESP ranges elsewhere).
     */
    private int freeDataPort(Set<Integer> taken) {
        int offset = settings.gossipPortOffset();
        int base = settings.portBase();
        while (true) {
            if (base >= settings.portBase() + PORT_SEARCH_MAX) {
                throw new IllegalStateException("no data port in " + settings.portBase() + ".."
                        + (settings.portBase() + PORT_SEARCH_MAX - 1) + " whose gossip port (+" + offset + ") is free on "
                        + settings.host());
            }
            int port = freePort(base, taken, true);
            if (offset == 0) {
                return port;
            }
            int gossip = port + offset;
            if (gossip >= 1 && gossip <= 65_535 && !taken.contains(gossip) && bindsUdp(address(), gossip)) {
                return port;
            }
            base = port + 1;
        }
    }

    private static boolean bindsUdp(InetAddress address, int port) {
        try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(address, port))) {
            return udp.getLocalPort() == port;
        } catch (IOException inUse) {
            return false;
        }
    }

    private InetAddress address() {
        try {
            return InetAddress.getByName(settings.host());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resolve ringkv.ecs node host " + settings.host(), e);
        }
    }

    private int freePort(int base, Set<Integer> taken, boolean udpToo) {
        InetAddress address = address();
        for (int port = base; port < base + PORT_SEARCH_MAX && port <= 65_535; port++) {
            if (!taken.contains(port) && binds(address, port, udpToo)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port in " + base + ".." + (base + PORT_SEARCH_MAX - 1)
                + " on " + settings.host());
    }

    private static boolean binds(InetAddress address, int port, boolean udpToo) {
        try (ServerSocket tcp = new ServerSocket()) {
            tcp.setReuseAddress(false);
            tcp.bind(new InetSocketAddress(address, port), 1);
            return !udpToo || bindsUdp(address, port);
        } catch (IOException inUse) {
            return false;
        }
    }
}
