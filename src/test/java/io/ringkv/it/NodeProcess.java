package io.ringkv.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A ringkv node running as a separate JVM ({@code -Xmx64m}, like the CPEN 431 deployment), started
 * from the packaged jar on free loopback ports with its own temporary data directory.
 *
 * <p>Its output goes to {@code target/it-logs/<name>-<port>.log}; a start that does not become
 * ready prints the log tail. {@link #kill()} ends the process at once by PID (SIGKILL, as
 * {@code kill -9}) and keeps the data directory; {@link #restart()} then starts the same command
 * again (same ports, data directory and token), appending to the same log. {@link #close()} stops
 * the process by PID (SIGTERM, then SIGKILL after {@link #STOP_GRACE}) and deletes the data
 * directory. A JVM shutdown hook kills, by PID, any node
 * a crashed or interrupted test left behind, so no run leaks processes.
 *
 * <p>Not thread-safe; one test thread drives it (the clients it hands out may be used from many).
 */
public final class NodeProcess implements AutoCloseable {
    /**
     * The JVM options of every JVM the ITs start: the deployment's heap, and C1 only. The ITs start
     * hundreds of JVMs, mostly to run cold code (Spring's start-up) for seconds, on two cores, often
     * several at once: five nodes starting together were ready after 36 s with C2 and 20 s with C1
     * only (measured with the jar of commit d3c9d72), and a lone node after 4.6-5.2 s against
     * 6.9-7.0 s. The compiler tier changes speed, not behaviour; the benchmarks ({@code ops/bench})
     * and {@code ops/ringkv} keep the JVM's defaults.
     */
    public static final List<String> JVM_OPTIONS = List.of("-Xmx64m", "-XX:TieredStopAtLevel=1");
    /**
     * Bound on start-up. A quiet box starts a node in 3-5 s, but a shared CI machine running other
     * JVMs can take over 30 s (seen: loop 141 of a 200-loop crash run at load average 12).
     */
    public static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    public static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final int START_ATTEMPTS_MAX = 3;
    /** Readiness polling while a node starts; {@link #restart()} polls finer because it is timed. */
    private static final Duration READY_POLL = Duration.ofMillis(100);
    private static final Duration RESTART_READY_POLL = Duration.ofMillis(20);
    /**
     * A restart must bind the ports the node had, which a socket of the killed process can hold for
     * a moment; the restart is then retried on the same ports after {@link #RESTART_PORT_WAIT}.
     */
    private static final int RESTART_ATTEMPTS_MAX = 5;
    private static final Duration RESTART_PORT_WAIT = Duration.ofMillis(500);
    /** Heads each restart's part of the log, so output since the last start can be told apart. */
    private static final String RESTART_MARK = "=== restart ";
    private static final int LOG_TAIL_LINES = 60;
    private static final Set<ProcessHandle> LIVE = ConcurrentHashMap.newKeySet();

    static {
        // Last line of defence: a test that died before close() must not leave nodes running.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(ProcessHandle::destroyForcibly),
                "it-node-reaper"));
    }

    private final String name;
    /** The current process: replaced by {@link #restart()}. */
    private Process process;
    private final List<String> command;
    private int restarts;
    private final int nodePort;
    private final int restPort;
    /** The RESP port the node was given, or -1 when a test removed the argument. */
    private final int respPort;
    private final String token;
    private final Path dataDir;
    private final Path logFile;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private NodeProcess(String name, Process process, List<String> command, int nodePort, int restPort, int respPort,
            String token, Path dataDir, Path logFile) {
        this.name = name;
        this.process = process;
        this.command = List.copyOf(command);
        this.nodePort = nodePort;
        this.restPort = restPort;
        this.respPort = respPort;
        this.token = token;
        this.dataDir = dataDir;
        this.logFile = logFile;
    }

    /**
     * Starts a node and waits until it reports ready. A start that lost its ports to another process
     * between picking and binding (rare) is retried on new ports.
     */
    public static NodeProcess start(String name) {
        return start(name, args -> {});
    }

    /** As {@link #start(String)}, with extra or changed {@code --name=value} arguments. */
    public static NodeProcess start(String name, Consumer<Map<String, String>> customize) {
        return start(name, List.of(), customize);
    }

    /**
     * As {@link #start(String, Consumer)}, with JVM options after {@code -Xmx64m} (which they may
     * not override: the heap limit is part of what the ITs prove).
     */
    public static NodeProcess start(String name, List<String> jvmOptions, Consumer<Map<String, String>> customize) {
        for (int attempt = 1; ; attempt++) {
            NodeProcess node = spawn(name, jvmOptions, customize);
            try {
                node.awaitReady();
                return node;
            } catch (RuntimeException | Error e) {
                boolean portClash = !node.isAlive() && node.output().contains("in use");
                node.close();
                if (!portClash || attempt == START_ATTEMPTS_MAX) {
                    throw e;
                }
            }
        }
    }

    /**
     * Launches the jar without waiting for anything, for tests of start-up failures. The arguments
     * are those of a normal node (profile, ports, data directory, token) as a name-to-value map that
     * {@code customize} may change: put overrides a value, remove drops the argument.
     */
    public static NodeProcess spawn(String name, Consumer<Map<String, String>> customize) {
        return spawn(name, List.of(), customize);
    }

    /** As {@link #spawn(String, Consumer)}, with JVM options after {@code -Xmx64m}. */
    public static NodeProcess spawn(String name, List<String> jvmOptions, Consumer<Map<String, String>> customize) {
        if (jvmOptions.stream().anyMatch(option -> option.startsWith("-Xmx") || option.contains("MaxHeapSize"))) {
            throw new IllegalArgumentException("the ITs run nodes with -Xmx64m; not " + jvmOptions);
        }
        int[] ports = freePorts();
        int nodePort = ports[0];
        int restPort = ports[1];
        int respPort = ports[2];
        String token = UUID.randomUUID().toString();
        try {
            Path dataDir = Files.createTempDirectory("ringkv-it-" + name + "-");
            Map<String, String> args = new LinkedHashMap<>();
            args.put("spring.profiles.active", "node");
            args.put("ringkv.node.port", Integer.toString(nodePort));
            args.put("server.port", Integer.toString(restPort));
            args.put("ringkv.node.resp-port", Integer.toString(respPort));
            args.put("ringkv.storage.dir", dataDir.toString());
            args.put("ringkv.admin.token", token);
            customize.accept(args);

            List<String> command = new ArrayList<>(List.of(requiredProperty("ringkv.java")));
            command.addAll(JVM_OPTIONS);
            command.addAll(jvmOptions);
            command.addAll(List.of("-jar", requiredProperty("ringkv.jar")));
            args.forEach((key, value) -> command.add("--" + key + "=" + value));
            Path logDir = Path.of(requiredProperty("ringkv.jar")).toAbsolutePath().getParent().resolve("it-logs");
            Files.createDirectories(logDir);
            Path logFile = logDir.resolve(name + "-" + nodePort + ".log");
            // The command line heads the log for whoever reads it; output() leaves it out, so that
            // assertions on the output see only what the process wrote.
            Files.writeString(logFile, String.join(" ", command) + System.lineSeparator());
            String resp = args.get("ringkv.node.resp-port");
            // A test may have chosen the data port itself (a static peer list names it).
            nodePort = Integer.parseInt(args.getOrDefault("ringkv.node.port", Integer.toString(nodePort)));
            return new NodeProcess(name, launch(command, logFile), command, nodePort, restPort,
                    resp == null ? -1 : Integer.parseInt(resp), args.getOrDefault("ringkv.admin.token", token), dataDir,
                    logFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start node " + name, e);
        }
    }

    private static Process launch(List<String> command, Path logFile) throws IOException {
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
        LIVE.add(process.toHandle());
        return process;
    }

    /**
     * Ends the process at once by PID with SIGKILL (what {@code kill -9 <pid>} does: no shutdown
     * hooks, no flushing), waits until it is gone, and keeps the data directory for
     * {@link #restart()}.
     */
    public void kill() {
        ProcessHandle handle = process.toHandle();
        handle.destroyForcibly();
        if (awaitExit(STOP_GRACE).isEmpty()) {
            throw new AssertionError("node " + name + " (pid " + pid() + ") still runs " + STOP_GRACE
                    + " after SIGKILL");
        }
        LIVE.remove(handle);
    }

    /**
     * Starts the node's command again, on the same ports, data directory and token, after
     * {@link #kill()} or an exit, and waits until it is ready. Returns the time from launching the
     * process to readiness (polled every {@link #RESTART_READY_POLL}). A restart that finds its ports
     * still held is retried on the same ports.
     */
    public Duration restart() {
        if (process.isAlive()) {
            throw new IllegalStateException("node " + name + " (pid " + pid() + ") still runs; kill() it first");
        }
        for (int attempt = 1; ; attempt++) {
            long startNanos;
            try {
                restarts++;
                Files.writeString(logFile, RESTART_MARK + restarts + ": " + String.join(" ", command)
                        + System.lineSeparator(), StandardOpenOption.APPEND);
                startNanos = System.nanoTime();
                process = launch(command, logFile);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot restart node " + name, e);
            }
            try {
                awaitReady(RESTART_READY_POLL);
                return Duration.ofNanos(System.nanoTime() - startNanos);
            } catch (RuntimeException | Error e) {
                String output = output();
                boolean portClash = !isAlive()
                        && output.substring(output.lastIndexOf(RESTART_MARK)).contains("in use");
                if (isAlive()) {
                    kill();
                }
                LIVE.remove(process.toHandle());
                if (!portClash || attempt == RESTART_ATTEMPTS_MAX) {
                    throw e;
                }
                sleep(RESTART_PORT_WAIT);
            }
        }
    }

    /** Polls readiness until UP; fails with the log tail if the process exits or time runs out. */
    public void awaitReady() {
        awaitReady(READY_POLL);
    }

    private void awaitReady(Duration poll) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("node " + name + " exited with code " + process.exitValue()
                        + " before it was ready; log " + logFile + " ends with:\n" + logTail());
            }
            try {
                var response = get("/actuator/health/readiness", false);
                if (response.statusCode() == 200 && response.body().contains("\"UP\"")) {
                    return;
                }
            } catch (UncheckedIOException notYetListening) {
                // Expected while the JVM starts.
            }
            sleep(poll);
        }
        throw new AssertionError("node " + name + " not ready within " + READY_TIMEOUT + "; log " + logFile
                + " ends with:\n" + logTail());
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public int nodePort() {
        return nodePort;
    }

    public int restPort() {
        return restPort;
    }

    /** The RESP2 listener's port ({@code ringkv.node.resp-port}), -1 when the test removed it. */
    public int respPort() {
        return respPort;
    }

    public InetSocketAddress nodeAddress() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), nodePort);
    }

    public String token() {
        return token;
    }

    public Path logFile() {
        return logFile;
    }

    /** The node's data directory ({@code ringkv.storage.dir}); it lives until {@link #close()}. */
    public Path dataDir() {
        return dataDir;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit code if the process ends within {@code timeout}, else empty (it keeps running). */
    public OptionalInt awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    ? OptionalInt.of(process.exitValue())
                    : OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for node " + name + " to exit", e);
        }
    }

    /** Everything the process wrote to stdout and stderr so far (the log without its command line). */
    public String output() {
        try {
            String log = Files.readString(logFile, StandardCharsets.UTF_8);
            return log.substring(log.indexOf('\n') + 1);
        } catch (IOException e) {
            return "(cannot read " + logFile + ": " + e + ")";
        }
    }

    public String logTail() {
        List<String> lines = output().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    }

    public UdpKv udp() {
        return new UdpKv(nodeAddress());
    }

    public TcpKv tcp() {
        return new TcpKv(nodeAddress());
    }

    /** GET on the REST port, with the admin token when {@code authorized}. */
    public HttpResponse<String> get(String path, boolean authorized) {
        return get(path, authorized ? token : null);
    }

    /** GET on the REST port presenting {@code bearerToken} (none when null). */
    public HttpResponse<String> get(String path, String bearerToken) {
        return send(request(path, bearerToken).GET().build());
    }

    /** POST without a body on the REST port, with the admin token when {@code authorized}. */
    public HttpResponse<String> post(String path, boolean authorized) {
        return send(request(path, authorized ? token : null).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    /** Any method on the REST port with the admin token and an optional JSON body (null: none). */
    public HttpResponse<String> call(String method, String path, String json) {
        var body = json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json);
        var builder = request(path, token).method(method, body);
        if (json != null) {
            builder.header("Content-Type", "application/json");
        }
        return send(builder.build());
    }

    /**
     * The sum of the Prometheus samples named {@code name} whose labels include every one of
     * {@code labels} (each written as in the exposition, e.g. {@code reason="checksum"}).
     */
    public double metric(String name, String... labels) {
        var response = get("/actuator/prometheus", false);
        if (response.statusCode() != 200) {
            throw new AssertionError("GET /actuator/prometheus answered " + response.statusCode());
        }
        return response.body().lines()
                .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                .filter(line -> Stream.of(labels).allMatch(line::contains))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    /** Stops the node by PID: SIGTERM, then SIGKILL if it has not gone within the grace period. */
    @Override
    public void close() {
        ProcessHandle handle = process.toHandle();
        try {
            if (handle.isAlive()) {
                handle.destroy();
                if (awaitExit(STOP_GRACE).isEmpty()) {
                    System.err.println("node " + name + " (pid " + pid() + ") ignored SIGTERM for " + STOP_GRACE
                            + "; killing it");
                    handle.destroyForcibly();
                    awaitExit(STOP_GRACE);
                }
            }
        } finally {
            LIVE.remove(handle);
            deleteRecursively(dataDir);
        }
    }

    private HttpRequest.Builder request(String path, String bearerToken) {
        var builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + restPort + path))
                .timeout(Duration.ofSeconds(5));
        if (bearerToken != null) {
            builder.header("Authorization", "Bearer " + bearerToken);
        }
        return builder;
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted during " + request.uri(), e);
        }
    }

    /**
     * A node port free for both UDP and TCP (they share the number), a REST port and a RESP port.
     * Another process may still take them before the node binds; {@link #start} retries that case.
     */
    /**
     * {@code count} data ports (each free for UDP and TCP) whose partners {@code offset} above are
     * free for UDP too, for a static peer list and its gossip ports: a random block, tried until one
     * is free. Another process may still take one before the node binds it; the start then fails.
     */
    static int[] freePortBlock(int count, int offset) {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        var random = new java.util.Random();
        for (int attempt = 0; attempt < 100; attempt++) {
            int base = 20_000 + random.nextInt(20_000);
            List<java.io.Closeable> held = new ArrayList<>();
            try {
                int[] ports = new int[count];
                for (int i = 0; i < count; i++) {
                    ports[i] = base + i;
                    held.add(new ServerSocket(ports[i], 1, loopback));
                    held.add(new DatagramSocket(new InetSocketAddress(loopback, ports[i])));
                    held.add(new DatagramSocket(new InetSocketAddress(loopback, ports[i] + offset)));
                }
                return ports;
            } catch (IOException taken) {
                // Try another block.
            } finally {
                for (java.io.Closeable c : held) {
                    try {
                        c.close();
                    } catch (IOException ignored) {
                        // Closing a probe socket; nothing to do.
                    }
                }
            }
        }
        throw new AssertionError("no block of " + count + " free ports after 100 tries");
    }

    private static int[] freePorts() {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket tcp = new ServerSocket(0, 1, loopback);
                    DatagramSocket udp = new DatagramSocket(new InetSocketAddress(loopback, tcp.getLocalPort()));
                    ServerSocket rest = new ServerSocket(0, 1, loopback);
                    ServerSocket resp = new ServerSocket(0, 1, loopback)) {
                return new int[] {udp.getLocalPort(), rest.getLocalPort(), resp.getLocalPort()};
            } catch (IOException taken) {
                // The UDP side of that port is in use; try another.
            }
        }
        throw new AssertionError("no port free for both UDP and TCP after 50 tries");
    }

    private static String requiredProperty(String key) {
        String value = System.getProperty(key);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + key + " is not set; run the ITs through failsafe"
                    + " (./mvnw verify), which passes ringkv.jar and ringkv.java");
        }
        return value;
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            System.err.println("cannot delete " + dir + ": " + e);
        }
    }

    @Override
    public String toString() {
        return "node " + name + " (pid " + pid() + ", port " + nodePort + ", rest " + restPort + ")";
    }
}
