package io.ringkv.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.SetParams;

/**
 * The RESP2 listener of a real node JVM, driven by Jedis (a real Redis client) and, when it is
 * installed, by redis-cli. One node for the class; each test uses its own keys.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RespIT {
    private static final int SOCKET_TIMEOUT_MS = 10_000;

    private static NodeProcess node;

    @BeforeAll
    static void startNode() {
        node = NodeProcess.start("RespIT");
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    private static Jedis jedis() {
        return new Jedis("127.0.0.1", node.respPort(), SOCKET_TIMEOUT_MS);
    }

    @Test
    void everyCommandThroughJedis() {
        try (Jedis jedis = jedis()) {
            assertThat(jedis.ping()).isEqualTo("PONG");
            assertThat(jedis.echo("hi")).isEqualTo("hi");
            assertThat(jedis.set("j:a", "1")).isEqualTo("OK");
            assertThat(jedis.get("j:a")).isEqualTo("1");
            assertThat(jedis.get("j:missing")).isNull();
            assertThat(jedis.set("j:a", "2", SetParams.setParams().nx())).isNull();
            assertThat(jedis.set("j:b", "2", SetParams.setParams().xx())).isNull();
            assertThat(jedis.set("j:a", "3", SetParams.setParams().xx())).isEqualTo("OK");
            assertThat(jedis.set("j:b", "4", SetParams.setParams().nx())).isEqualTo("OK");
            assertThat(jedis.mget("j:a", "j:b", "j:c")).containsExactly("3", "4", null);
            assertThat(jedis.mset("j:c", "5", "j:d", "6")).isEqualTo("OK");
            assertThat(jedis.exists("j:a", "j:b", "j:nope", "j:a")).isEqualTo(3);
            assertThat(jedis.del("j:a", "j:b", "j:nope")).isEqualTo(2);
            assertThat(jedis.exists("j:a")).isFalse();
            assertThat(jedis.dbSize()).isGreaterThanOrEqualTo(2);
            assertThat(jedis.select(0)).isEqualTo("OK");
            assertThatThrownBy(() -> jedis.select(1)).isInstanceOf(JedisDataException.class)
                    .hasMessage("ERR DB index is out of range");
            assertThat(jedis.clientSetname("it-client")).isEqualTo("OK");
            assertThat(jedis.clientGetname()).isEqualTo("it-client");
            assertThat(jedis.clientId()).isPositive();
            assertThat(jedis.clientInfo()).contains("name=it-client");
            assertThat(jedis.info()).contains("# Server", "redis_version:", "# Keyspace", "db0:keys=");
            assertThat(jedis.info("stats")).contains("total_commands_processed:").doesNotContain("# Server");
            assertThat(jedis.commandCount()).isPositive();
            assertThatThrownBy(() -> jedis.set("j:e", "x", SetParams.setParams().ex(10)))
                    .isInstanceOf(JedisDataException.class)
                    .hasMessage("ERR SET EX is not supported: ringkv keys do not expire (yet)");
            assertThatThrownBy(() -> jedis.incr("j:c")).isInstanceOf(JedisDataException.class)
                    .hasMessageStartingWith("ERR unknown command 'INCR', with args beginning with: 'j:c'");
            assertThat(jedis.ping()).as("errors leave the connection usable").isEqualTo("PONG");
        }
    }

    @Test
    void keysAndValuesAreBinarySafe() {
        Random random = new Random(4);
        try (Jedis jedis = jedis()) {
            for (int i = 0; i < 50; i++) {
                byte[] key = new byte[1 + random.nextInt(32)];
                byte[] value = new byte[random.nextInt(10_001)];
                random.nextBytes(key);
                random.nextBytes(value);
                key[0] = (byte) '\r'; // CR, LF and NUL in keys must not confuse framing
                if (key.length > 2) {
                    key[1] = '\n';
                    key[2] = 0;
                }
                assertThat(jedis.set(key, value)).isEqualTo("OK");
                assertThat(jedis.get(key)).as("value of binary key %d", i).isEqualTo(value);
            }
        }
    }

    @Test
    void limitsAreEnforcedWithTheirPropertyNames() {
        try (Jedis jedis = jedis()) {
            assertThatThrownBy(() -> jedis.set("k".repeat(33), "v")).isInstanceOf(JedisDataException.class)
                    .hasMessage("ERR key too long: 33 bytes (max 32 bytes, see ringkv.limits.key-bytes-max)");
            assertThatThrownBy(() -> jedis.set("j:big", "v".repeat(10_001))).isInstanceOf(JedisDataException.class)
                    .hasMessage("ERR value too long: 10001 bytes (max 10000 bytes, see ringkv.limits.value-bytes-max)");
            assertThatThrownBy(() -> jedis.get("")).isInstanceOf(JedisDataException.class)
                    .hasMessageContaining("ringkv.limits.key-bytes-max");
            assertThat(jedis.get("j:big")).isNull();
            assertThat(jedis.set("j:max", "v".repeat(10_000))).isEqualTo("OK");
            assertThat(jedis.strlen("j:max")).isNull();
        } catch (JedisDataException unknownStrlen) {
            assertThat(unknownStrlen).hasMessageStartingWith("ERR unknown command 'STRLEN'");
        }
    }

    @Test
    void thousandPipelinedCommandsAreAnsweredInOrder() {
        try (Jedis jedis = jedis()) {
            Pipeline pipeline = jedis.pipelined();
            List<Response<String>> sets = new ArrayList<>();
            List<Response<String>> gets = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                sets.add(pipeline.set("p:" + i, "value-" + i));
                gets.add(pipeline.get("p:" + i));
            }
            pipeline.sync();
            for (int i = 0; i < 500; i++) {
                assertThat(sets.get(i).get()).isEqualTo("OK");
                assertThat(gets.get(i).get()).as("GET p:%d right after its SET", i).isEqualTo("value-" + i);
            }
        }
    }

    @Test
    void concurrentSetNxOnOneKeyHasOneWinner() throws Exception {
        int clients = 8;
        List<Thread> threads = new ArrayList<>();
        List<String> results = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int c = 0; c < clients; c++) {
            int id = c;
            threads.add(Thread.ofPlatform().start(() -> {
                try (Jedis jedis = jedis()) {
                    results.add(jedis.set("lock:1", "owner-" + id, SetParams.setParams().nx()));
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(results).hasSize(clients);
        assertThat(results.stream().filter("OK"::equals).count()).isEqualTo(1);
    }

    @Test
    void malformedStreamClosesOnlyItsOwnConnection() throws IOException {
        try (Jedis healthy = jedis()) {
            healthy.set("m:1", "before");
            String reply = exchange("PING\r\n*1\r\n$999999999\r\n");
            assertThat(reply).startsWith("+PONG\r\n-ERR Protocol error: invalid bulk length 999999999");
            assertThat(healthy.get("m:1")).isEqualTo("before");
            assertThat(healthy.set("m:1", "after")).isEqualTo("OK");
        }
        assertThat(node.output()).contains("closing RESP connection from", "invalid bulk length 999999999");
    }

    @Test
    void inlineCommandsOverARawSocket() throws IOException {
        assertThat(exchange("SET i:1 \"hello world\"\r\nGET i:1\r\nEXISTS i:1\r\nQUIT\r\n"))
                .isEqualTo("+OK\r\n$11\r\nhello world\r\n:1\r\n+OK\r\n");
    }

    @Test
    void hello3IsRefusedAndHello2Answers() throws IOException {
        assertThat(exchange("HELLO 3\r\nHELLO 2\r\nQUIT\r\n"))
                .startsWith("-NOPROTO unsupported protocol version\r\n*14\r\n")
                .contains("$5\r\nproto\r\n:2\r\n");
    }

    @Test
    void redisCliRunsCommandsAndPipes() throws Exception {
        Path cli = onPath("redis-cli");
        assumeTrue(cli != null, "redis-cli is not installed (Debian: redis-tools)");
        String port = Integer.toString(node.respPort());
        assertThat(run(null, cli.toString(), "-p", port, "set", "cli:k", "hello world")).isEqualTo("OK\n");
        assertThat(run(null, cli.toString(), "-p", port, "get", "cli:k")).isEqualTo("hello world\n");
        assertThat(run(null, cli.toString(), "-p", port, "--no-raw", "mget", "cli:k", "cli:none"))
                .isEqualTo("1) \"hello world\"\n2) (nil)\n");
        assertThat(run(null, cli.toString(), "-p", port, "frobnicate"))
                .startsWith("ERR unknown command 'frobnicate'");
        assertThat(run(null, cli.toString(), "-p", port, "info", "keyspace")).contains("db0:keys=");
        assertThat(run(null, cli.toString(), "-p", port, "command", "docs", "get")).contains("summary");
        // Commands read from stdin, one connection, as `redis-cli < script`.
        assertThat(run("PING\nSET cli:p 1\nGET cli:p\nDEL cli:p\n", cli.toString(), "-p", port))
                .isEqualTo("PONG\nOK\n1\n1\n");
        // Mass insertion mode: a raw RESP stream, acknowledged by an ECHO it appends.
        StringBuilder mass = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            mass.append("*3\r\n$3\r\nSET\r\n$").append(("cli:m" + i).length()).append("\r\ncli:m").append(i)
                    .append("\r\n$1\r\nx\r\n");
        }
        assertThat(run(mass.toString(), cli.toString(), "-p", port, "--pipe"))
                .contains("errors: 0, replies: 200");

        Path benchmark = onPath("redis-benchmark");
        if (benchmark != null) {
            assertThat(run(null, benchmark.toString(), "-p", port, "-t", "set,get", "-n", "2000", "-c", "4", "-q"))
                    .contains("SET:", "GET:").doesNotContain("ERR", "WARNING");
        }
    }

    /** Writes {@code request} on a new raw connection and reads until the node closes it. */
    private static String exchange(String request) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), node.respPort())) {
            socket.setSoTimeout(SOCKET_TIMEOUT_MS);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static Path onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir, tool);
            if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** Runs a command with {@code stdin} (none when null) and returns its stdout and stderr. */
    private static String run(String stdin, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (OutputStream in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        try (InputStream out = process.getInputStream()) {
            out.transferTo(output);
        }
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(Arrays.toString(command) + " did not finish within 30 s");
        }
        return output.toString(StandardCharsets.UTF_8);
    }
}
