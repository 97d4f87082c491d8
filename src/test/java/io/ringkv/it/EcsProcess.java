package io.ringkv.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The ECS running as a separate JVM from the packaged jar, with its own data directory, a fixed
 * admin token and node port bases picked at random so that parallel runs rarely meet. Its log and,
 * once it is closed, its nodes' logs stay in {@code target/it-logs/}.
 *
 * <p>Every node pid the ECS records in {@code cluster.json} is remembered, so {@link #close()}
 * kills, by PID, the nodes the ECS launched even when the ECS itself was {@code kill -9}'d and
 * could not stop them; a JVM shutdown hook does the same for a test that died. {@link #kill()}
 * keeps the data directory, so {@link #restart()} recovers the same cluster.
 *
 * <p>The nodes the ECS launched can be faulted by PID: {@link #launched} captures a node's command
 * line, {@link #killNode} sends SIGKILL, {@link #signal} SIGSTOP or SIGCONT, and {@link
 * #restartNode} starts the same command again (same ports, data directory and token), as a child of
 * the test, appending to the node's log.
 */
public final class EcsProcess implements AutoCloseable {
    public static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);
    private static final Pattern PID = Pattern.compile("\"pid\"\\s*:\\s*(\\d+)");
    private static final Set<Long> PIDS = ConcurrentHashMap.newKeySet();
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String NODE_JAVA_OPTIONS = "--ringkv.ecs.node-java-options=";

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> PIDS.forEach(pid -> ProcessHandle.of(pid)
                .ifPresent(ProcessHandle::destroyForcibly)), "it-ecs-reaper"));
    }

    private final List<String> command;
    private final Path dataDir;
    private final Path logFile;
    private final Path logDir;
    private final int restPort;
    private final String token = UUID.randomUUID().toString();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;

    private EcsProcess(int initialNodes, List<String> extraArgs) throws IOException {
        this.dataDir = Files.createTempDirectory("ringkv-it-ecs-");
        this.restPort = freeTcpPort();
        // One slot of 400 ports per run: data, REST and RESP bases 100 apart (at least nodes-max, 64),
        // and the nodes' gossip ports at data + 300, all below 32768, where the kernel's ephemeral
        // ports (bind to port 0, client sockets) begin.
        int base = 20_000 + 400 * ThreadLocalRandom.current().nextInt(31);
        command = new ArrayList<>(List.of(System.getProperty("ringkv.java")));
        command.addAll(NodeProcess.JVM_OPTIONS);
        command.addAll(List.of("-jar", System.getProperty("ringkv.jar"),
                "--spring.profiles.active=ecs",
                "--server.port=" + restPort,
                "--ringkv.admin.token=" + token,
                "--ringkv.ecs.data-dir=" + dataDir,
                "--ringkv.ecs.initial-nodes=" + initialNodes,
                "--ringkv.ecs.node-port-base=" + base,
                "--ringkv.ecs.node-rest-port-base=" + (base + 100),
                // Not the default 43300, which every ECS on the machine (other runs, ops/ringkv up) starts from.
                "--ringkv.ecs.node-resp-port-base=" + (base + 200),
                "--ringkv.ecs.shutdown-grace=5s",
                "--ringkv.ecs.tick-interval=500ms",
                // Shared CI machines start several JVMs at once: a node can take a minute to be ready.
                "--ringkv.ecs.node-start-timeout=4m"));
        if (extraArgs.stream().noneMatch(arg -> arg.startsWith(NODE_JAVA_OPTIONS))) {
            command.add(nodeJavaOptions());
        }
        command.addAll(extraArgs);
        this.logDir = Path.of(System.getProperty("ringkv.jar")).toAbsolutePath().getParent().resolve("it-logs");
        Files.createDirectories(logDir);
        this.logFile = logDir.resolve("ecs-" + restPort + ".log");
        Files.writeString(logFile, String.join(" ", command) + System.lineSeparator());
    }

    /**
     * The ECS argument that gives the nodes it launches {@link NodeProcess#JVM_OPTIONS} and then
     * {@code more}; without one, {@link #start} passes it with none.
     */
    public static String nodeJavaOptions(String... more) {
        List<String> options = new ArrayList<>(NodeProcess.JVM_OPTIONS);
        options.addAll(List.of(more));
        return NODE_JAVA_OPTIONS + String.join(" ", options);
    }

    /** Starts an ECS that launches {@code initialNodes} nodes, and waits until its REST API answers. */
    public static EcsProcess start(int initialNodes, String... extraArgs) {
        try {
            EcsProcess ecs = new EcsProcess(initialNodes, List.of(extraArgs));
            ecs.launch();
            return ecs;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the ECS", e);
        }
    }

    private void launch() throws IOException {
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        PIDS.add(process.pid());
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("the ECS exited with " + process.exitValue() + "; see " + logFile);
            }
            try {
                if (call("GET", "/actuator/health/readiness", null).statusCode() == 200) {
                    return;
                }
            } catch (UncheckedIOException notYet) {
                // Starting.
            }
            NodeProcess.sleep(Duration.ofMillis(200));
        }
        throw new AssertionError("the ECS was not ready within " + READY_TIMEOUT + "; see " + logFile);
    }

    /** kill -9 the ECS only; its nodes keep running. */
    public void kill() {
        rememberNodePids();
        process.destroyForcibly();
        try {
            process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts the same command again on the same data directory. */
    public void restart() {
        try {
            Files.writeString(logFile, "=== restart" + System.lineSeparator(), java.nio.file.StandardOpenOption.APPEND);
            launch();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot restart the ECS", e);
        }
    }

    public long pid() {
        return process.pid();
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path logFile() {
        return logFile;
    }

    /** The ECS's base URL, as nodes are given it in {@code ringkv.node.ecs}. */
    public String url() {
        return "http://127.0.0.1:" + restPort;
    }

    /** The cluster's admin token. */
    public String token() {
        return token;
    }

    /** Any method on the ECS's REST port with the admin token, and a JSON body unless null. */
    public HttpResponse<String> call(String method, String path, String json) {
        return call(method, path, json, token);
    }

    public HttpResponse<String> call(String method, String path, String json, String bearer) {
        var builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + restPort + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            builder.header("Content-Type", "application/json");
        }
        if (bearer != null) {
            builder.header("Authorization", "Bearer " + bearer);
        }
        try {
            return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** {@code GET /api/v1/cluster}, parsed; also remembers node pids for cleanup. */
    public JsonNode cluster() {
        var response = call("GET", "/api/v1/cluster", null);
        if (response.statusCode() != 200) {
            throw new AssertionError("GET /api/v1/cluster answered " + response.statusCode() + ": " + response.body());
        }
        rememberNodePids();
        return JSON.readTree(response.body());
    }

    /** Polls the cluster until {@code done} holds; fails with the last view after {@code timeout}. */
    public JsonNode awaitCluster(String what, Duration timeout, Predicate<JsonNode> done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = cluster();
            if (done.test(last)) {
                return last;
            }
            NodeProcess.sleep(Duration.ofMillis(250));
        }
        throw new AssertionError("not " + what + " within " + timeout + ": " + last + "; ECS log " + logFile);
    }

    /** Polls an operation until it SUCCEEDED or FAILED, and returns it; fails after {@code timeout}. */
    public JsonNode awaitOperation(String id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            var response = call("GET", "/api/v1/operations/" + id, null);
            if (response.statusCode() != 200) {
                throw new AssertionError("GET operation " + id + " answered " + response.statusCode() + ": "
                        + response.body());
            }
            last = JSON.readTree(response.body());
            String state = last.path("state").asString();
            if (state.equals("SUCCEEDED") || state.equals("FAILED")) {
                rememberNodePids();
                return last;
            }
            NodeProcess.sleep(Duration.ofMillis(250));
        }
        throw new AssertionError("operation " + id + " unfinished after " + timeout + ": " + last);
    }

    /** Starts a ring change (the body of a 202), returning its operation id. */
    public String startOperation(String method, String path, String json) {
        var response = call(method, path, json);
        if (response.statusCode() != 202) {
            throw new AssertionError(method + " " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body()).path("id").asString();
    }

    /**
     * The cluster's UP nodes, refreshed every 300 ms by a thread of its own until closed; while the
     * ECS is busy the last list stays. Clients use it to pick entry nodes as the cluster changes.
     */
    public final class UpNodes implements java.util.function.Supplier<List<java.net.InetSocketAddress>>,
            AutoCloseable {
        private final java.util.concurrent.atomic.AtomicReference<List<java.net.InetSocketAddress>> last;
        private volatile boolean watching = true;
        private final Thread watcher;

        private UpNodes(JsonNode cluster) {
            last = new java.util.concurrent.atomic.AtomicReference<>(upNodes(cluster));
            watcher = Thread.ofPlatform().daemon().name("cluster-watcher").start(() -> {
                while (watching) {
                    try {
                        List<java.net.InetSocketAddress> up = upNodes(cluster());
                        if (!up.isEmpty()) {
                            last.set(up);
                        }
                    } catch (RuntimeException e) {
                        // The ECS is busy; keep the last list.
                    }
                    NodeProcess.sleep(Duration.ofMillis(300));
                }
            });
        }

        @Override
        public List<java.net.InetSocketAddress> get() {
            return last.get();
        }

        @Override
        public void close() throws InterruptedException {
            watching = false;
            watcher.join(2_000);
        }
    }

    /** Starts following the UP nodes, beginning with those of {@code cluster}. */
    public UpNodes watchUpNodes(JsonNode cluster) {
        return new UpNodes(cluster);
    }

    /** Nodes of a cluster view whose status is UP, as data-plane addresses. */
    public static List<java.net.InetSocketAddress> upNodes(JsonNode cluster) {
        List<java.net.InetSocketAddress> up = new ArrayList<>();
        for (JsonNode node : cluster.path("nodes")) {
            if (node.path("status").asString().equals("UP")) {
                up.add(new java.net.InetSocketAddress(node.path("host").asString(), node.path("port").asInt()));
            }
        }
        return up;
    }

    /** {@code GET /api/v1/node} of every UP node of a cluster view, parsed, by node id. */
    public java.util.Map<String, JsonNode> nodeStatuses(JsonNode cluster) {
        return getFromUpNodes(cluster, "/api/v1/node");
    }

    /** {@code GET /api/v1/node/repair} (the node's range sync) of every UP node, by node id. */
    public java.util.Map<String, JsonNode> nodeRepairs(JsonNode cluster) {
        return getFromUpNodes(cluster, "/api/v1/node/repair");
    }

    /** A GET on the REST port of every UP node of a cluster view, with the cluster's token, parsed. */
    private java.util.Map<String, JsonNode> getFromUpNodes(JsonNode cluster, String path) {
        return callUpNodes(cluster, "GET", path, null);
    }

    /**
     * A request (JSON body unless null) to the REST port of every UP node of a cluster view, with
     * the cluster's token; every answer must be 2xx. The parsed answers, by node id.
     */
    public java.util.Map<String, JsonNode> callUpNodes(JsonNode cluster, String method, String path, String json) {
        java.util.Map<String, JsonNode> out = new java.util.TreeMap<>();
        for (JsonNode node : cluster.path("nodes")) {
            if (node.path("status").asString().equals("UP")) {
                out.put(node.path("id").asString(), callNode(node.path("host").asString(),
                        node.path("restPort").asInt(), method, path, json));
            }
        }
        return out;
    }

    /**
     * A request (JSON body unless null) to one node's REST port with the cluster's token; the
     * answer must be 2xx. The parsed answer.
     */
    public JsonNode callNode(String host, int restPort, String method, String path, String json) {
        URI uri = URI.create("http://" + host + ":" + restPort + path);
        var request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token)
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        try {
            var response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                throw new AssertionError(method + " " + uri + " answered " + response.statusCode() + ": "
                        + response.body());
            }
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + uri + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** A fault-plane rule that cuts {@code protocol} ({@code tcp}, {@code udp} or {@code all}) to and from {@code peer}. */
    public static String cutRule(String protocol, String peer) {
        return "{\"protocol\":\"" + protocol + "\",\"peer\":\"" + peer + "\",\"cut\":true}";
    }

    /** Arms {@code rules} (JSON objects) as the node's whole network fault plan; its faults must be enabled. */
    public void armFaults(LaunchedNode node, List<String> rules) {
        callNode(node.host(), node.restPort(), "POST", "/api/v1/node/faults",
                "{\"network\":[" + String.join(",", rules) + "]}");
    }

    /** Heals every fault of the node. */
    public void healFaults(LaunchedNode node) {
        callNode(node.host(), node.restPort(), "DELETE", "/api/v1/node/faults", null);
    }

    /** The keys each UP node stores (every copy counts), summed. */
    public long storedKeys(JsonNode cluster) {
        return nodeStatuses(cluster).values().stream().mapToLong(n -> n.path("keys").asLong()).sum();
    }

    /**
     * A node the ECS launched, as the test can restart it.
     *
     * @param command the node's command line, read from the running process
     */
    public record LaunchedNode(String id, long pid, String host, int port, int restPort, List<String> command,
            Path logFile) {
        public java.net.InetSocketAddress address() {
            return new java.net.InetSocketAddress(host, port);
        }
    }

    /** The running node {@code id} as the ECS's cluster view shows it, with its command line. */
    public LaunchedNode launched(String id) {
        for (JsonNode node : cluster().path("nodes")) {
            if (node.path("id").asString().equals(id)) {
                long pid = node.path("pid").asLong();
                ProcessHandle process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                        .orElseThrow(() -> new AssertionError("node " + id + " (pid " + pid + ") does not run"));
                List<String> command = new ArrayList<>();
                command.add(process.info().command().orElseThrow());
                command.addAll(List.of(process.info().arguments().orElseThrow()));
                return new LaunchedNode(id, pid, node.path("host").asString(), node.path("port").asInt(),
                        node.path("restPort").asInt(), List.copyOf(command), Path.of(node.path("logFile").asString()));
            }
        }
        throw new AssertionError("no node " + id + " in " + cluster());
    }

    /** kill -9 a node by PID and waits until it is gone. */
    public static void killNode(LaunchedNode node) {
        ProcessHandle process = ProcessHandle.of(node.pid()).orElseThrow();
        process.destroyForcibly();
        try {
            process.onExit().get(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("node " + node.id() + " (pid " + node.pid() + ") outlived SIGKILL", e);
        }
    }

    /**
     * Sends a signal ({@code STOP}, {@code CONT}) to a process with kill(1). After {@code STOP} it
     * waits until every thread of the process has stopped: kill(2) returns once the signal is
     * queued, and each thread stops only when it next runs, so on a busy machine a node's event
     * loop could still answer a request sent "after" the SIGSTOP, with the lease it held then.
     */
    public static void signal(long pid, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new AssertionError("kill -" + signal + " " + pid + " failed");
            }
            if (signal.equals("STOP")) {
                awaitStopped(pid);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Waits until no thread of {@code pid} runs (each in state T, or gone), as /proc tells. */
    private static void awaitStopped(long pid) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + STOP_GRACE.toNanos();
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        while (true) {
            List<String> running = new ArrayList<>();
            try (var threads = Files.list(tasks)) {
                for (Path thread : threads.toList()) {
                    String stat;
                    try {
                        stat = Files.readString(thread.resolve("stat"));
                    } catch (java.nio.file.NoSuchFileException e) {
                        continue; // the thread ended
                    }
                    // "tid (name) S ...": the name may hold spaces and parentheses, the state follows the last ')'.
                    char state = stat.substring(stat.lastIndexOf(')') + 1).strip().charAt(0);
                    if (state != 'T' && state != 't' && state != 'Z' && state != 'X') {
                        running.add(stat.substring(0, stat.lastIndexOf(')') + 1) + " " + state);
                    }
                }
            }
            if (running.isEmpty()) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("pid " + pid + " still runs threads " + STOP_GRACE + " after SIGSTOP: "
                        + running);
            }
            Thread.sleep(1);
        }
    }

    /**
     * Starts a killed node again with its command line, its environment as the ECS's launcher gives
     * it (the admin token, no RINGKV_/SPRING_/SERVER_ variables of this JVM); returns the new pid.
     */
    public long restartNode(LaunchedNode node) {
        assertPortsFree(node);
        try {
            Files.writeString(node.logFile(), "=== restarted by the test" + System.lineSeparator(),
                    java.nio.file.StandardOpenOption.APPEND);
            var builder = new ProcessBuilder(node.command()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(node.logFile().toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            builder.environment().keySet().removeIf(name -> name.startsWith("RINGKV_") || name.startsWith("SPRING_")
                    || name.startsWith("SERVER_"));
            builder.environment().put("RINGKV_ADMIN_TOKEN", token);
            Process process = builder.start();
            PIDS.add(process.pid());
            return process.pid();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot restart node " + node.id(), e);
        }
    }

    /**
     * Deletes everything a stopped node keeps on disk (its log, saved ring and token), as a
     * replaced disk would: the node's {@code --ringkv.storage.dir} is emptied, not removed.
     */
    public static void wipeNodeData(LaunchedNode node) {
        String prefix = "--ringkv.storage.dir=";
        Path dir = node.command().stream().filter(arg -> arg.startsWith(prefix)).findFirst()
                .map(arg -> Path.of(arg.substring(prefix.length())))
                .orElseThrow(() -> new AssertionError("no " + prefix + " in " + node.command()));
        try (var entries = Files.walk(dir)) {
            for (Path p : entries.sorted(java.util.Comparator.reverseOrder()).toList()) {
                if (!p.equals(dir)) {
                    Files.delete(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot wipe " + dir, e);
        }
    }

    /**
     * While a killed node was down another process (another test run's launcher) may have taken its
     * ports; a node started on them would fail, or share its UDP port through SO_REUSEPORT.
     */
    private static void assertPortsFree(LaunchedNode node) {
        try (var udp = new java.net.DatagramSocket(new java.net.InetSocketAddress(node.host(), node.port()));
                var rest = new ServerSocket()) {
            rest.setReuseAddress(true);
            rest.bind(new java.net.InetSocketAddress(node.host(), node.restPort()));
        } catch (IOException e) {
            throw new AssertionError("node " + node.id() + "'s ports " + node.port() + " and " + node.restPort()
                    + " are no longer free (" + e + "): another process took them while it was down");
        }
    }

    /** Reads the node pids the ECS has persisted, so that cleanup can kill them even after a kill -9. */
    public void rememberNodePids() {
        try {
            Path state = dataDir.resolve("cluster.json");
            if (Files.exists(state)) {
                Matcher m = PID.matcher(Files.readString(state));
                while (m.find()) {
                    PIDS.add(Long.parseLong(m.group(1)));
                }
            }
        } catch (IOException e) {
            System.err.println("cannot read the ECS state: " + e);
        }
    }

    /** Stops the ECS (SIGTERM: it stops its nodes), then kills by PID any node still running. */
    @Override
    public void close() {
        rememberNodePids();
        ProcessHandle ecs = process.toHandle();
        if (ecs.isAlive()) {
            ecs.destroy();
            try {
                if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    ecs.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ecs.destroyForcibly();
            }
        }
        for (long pid : PIDS) {
            ProcessHandle.of(pid).ifPresent(p -> {
                if (p.isAlive()) {
                    System.err.println("killing left-over pid " + pid);
                    p.destroyForcibly();
                }
            });
        }
        PIDS.clear();
        keepNodeLogs();
        try (var paths = Files.walk(dataDir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("cannot delete " + dataDir + ": " + e);
        }
    }

    /** Copies the nodes' logs next to the ECS's, as {@code ecs-<port>-<node>.log}, before the data directory goes. */
    private void keepNodeLogs() {
        Path nodes = dataDir.resolve("nodes");
        if (!Files.isDirectory(nodes)) {
            return;
        }
        try (var logs = Files.list(nodes)) {
            for (Path log : logs.filter(p -> p.getFileName().toString().endsWith(".log")).toList()) {
                Files.copy(log, logDir.resolve("ecs-" + restPort + "-" + log.getFileName()),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            System.err.println("cannot keep the node logs of " + nodes + ": " + e);
        }
    }

    private static int freeTcpPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
