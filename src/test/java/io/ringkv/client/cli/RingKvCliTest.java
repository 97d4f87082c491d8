package io.ringkv.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.client.FakeNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The CLI's one-shot commands and its shell, driven through pipes against a fake node. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class RingKvCliTest {
    private final FakeNode node = FakeNode.start(FakeNode.store());

    /** What one CLI run printed and returned. */
    record Run(int exitCode, String out, String err) {}

    @AfterEach
    void stopNode() {
        node.close();
    }

    private static Run cli(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = RingKvCli.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Run oneShot(String... args) {
        List<String> all = new ArrayList<>(List.of("--port", String.valueOf(node.port())));
        all.addAll(List.of(args));
        return cli("", all.toArray(String[]::new));
    }

    @Test
    void putJoinsValueWordsAndGetPrintsTheValue() {
        assertThat(oneShot("put", "k", "a", "b", "c")).isEqualTo(new Run(0, "ok\n", ""));
        assertThat(oneShot("get", "k")).isEqualTo(new Run(0, "a b c\n", ""));
        assertThat(oneShot("put", "k2", "-1", "--value-version", "9")).isEqualTo(new Run(0, "ok\n", ""));
        assertThat(oneShot("get", "--with-version", "k2")).isEqualTo(new Run(0, "9\t-1\n", ""));
        assertThat(oneShot("put", "k3", "ünï", "@file")).isEqualTo(new Run(0, "ok\n", ""));
        assertThat(oneShot("get", "k3").out()).isEqualTo("ünï @file\n");
    }

    @Test
    void putWithoutValueOrWithNullDeletes() {
        oneShot("put", "a", "1");
        oneShot("put", "b", "2");
        assertThat(oneShot("put", "a").exitCode()).isZero();
        assertThat(oneShot("put", "b", "null").exitCode()).isZero();
        assertThat(oneShot("get", "a").exitCode()).isEqualTo(1);
        assertThat(oneShot("get", "b").exitCode()).isEqualTo(1);
    }

    @Test
    void exitCodesSayWhatHappened() {
        assertThat(oneShot("get", "missing"))
                .isEqualTo(new Run(1, "", "error: NO_SUCH_KEY (no value is stored under this key)\n"));
        assertThat(oneShot("put", "k".repeat(33), "v"))
                .isEqualTo(new Run(2, "", "error: INVALID_KEY (key must be 1..32 bytes)\n"));
        assertThat(oneShot("delete", "missing").exitCode()).isEqualTo(2);
        assertThat(oneShot("alive")).isEqualTo(new Run(0, "alive\n", ""));
        assertThat(oneShot("pid")).isEqualTo(new Run(0, "4242\n", ""));
        assertThat(oneShot("members")).isEqualTo(new Run(0, "1\n", ""));
        assertThat(oneShot("wipeout")).isEqualTo(new Run(0, "ok\n", ""));
        assertThat(oneShot("shutdown")).isEqualTo(new Run(0, "ok\n", ""));
    }

    @Test
    void noReplyIsExitCodeThree() {
        try (FakeNode silent = FakeNode.start(FakeNode.silent())) {
            Run run = cli("", "--port", String.valueOf(silent.port()), "--timeout-ms", "10", "--tries", "2", "get", "k");
            assertThat(run.exitCode()).isEqualTo(3);
            assertThat(run.err()).startsWith("error: no reply to GET after 2 tries").contains("outcome is unknown");
        }
    }

    @Test
    void optionsMayFollowTheCommand() {
        oneShot("put", "k", "v");
        assertThat(cli("", "get", "--port", String.valueOf(node.port()), "k")).isEqualTo(new Run(0, "v\n", ""));
    }

    @Test
    void usageErrorsAreExitCode64() {
        assertThat(cli("", "get").exitCode()).isEqualTo(64);
        assertThat(cli("", "frobnicate").exitCode()).isEqualTo(64);
        assertThat(cli("", "--port", "0", "get", "k").exitCode()).isEqualTo(64);
        assertThat(cli("", "--port", "abc", "get", "k").exitCode()).isEqualTo(64);
        assertThat(cli("", "--log-level", "LOUD", "pid").exitCode()).isEqualTo(64);
        Run run = cli("", "get");
        assertThat(run.err()).startsWith("error: Missing required parameter: '<key>'").contains("Usage:");
        assertThat(cli("", "--help").exitCode()).isZero();
    }

    @Test
    void shellReadsCommandsFromAPipe() {
        String script = String.join("\n",
                "get k",
                "connect 127.0.0.1 " + node.port(),
                "put k hello   big  world",
                "get k",
                "put k",
                "get k",
                "put k 1",
                "delete k",
                "put " + "x".repeat(33) + " v",
                "logLevel OFF",
                "bogus",
                "disconnect",
                "get k",
                "quit",
                "get never") + "\n";
        Run run = cli(script);

        assertThat(run.exitCode()).isZero();
        List<String> lines = run.out().lines().map(l -> l.replace(Shell.PROMPT, "")).toList();
        assertThat(lines).containsExactly(
                "error: not connected; use connect <host> <port>",
                "connected to 127.0.0.1:" + node.port() + " (UDP)",
                "ok",
                "hello big world",
                "ok",
                "error: NO_SUCH_KEY (no value is stored under this key)",
                "ok",
                "ok",
                "error: INVALID_KEY (key must be 1..32 bytes)",
                "log level OFF (java.util.logging logger io.ringkv.client, printed on stderr)",
                "error: unknown command 'bogus'; type help for the list",
                "disconnected from 127.0.0.1:" + node.port(),
                "error: not connected; use connect <host> <port>",
                "bye");
    }

    @Test
    void shellConnectsAtStartWhenGivenAnAddressAndEndsAtEndOfInput() {
        Run run = cli("put a b\nget a\n", "--port", String.valueOf(node.port()));
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("connected to 127.0.0.1:" + node.port(), "ok", "b\n");
        assertThat(run.out()).startsWith("connected").contains(Shell.PROMPT);
    }

    @Test
    void shellConnectToASilentPortFails() {
        try (FakeNode silent = FakeNode.start(FakeNode.silent())) {
            Run run = cli("connect 127.0.0.1 " + silent.port() + "\nget k\n", "shell", "--timeout-ms", "10", "--tries", "2");
            assertThat(run.out()).contains("error: cannot connect to 127.0.0.1:" + silent.port() + ": no reply to IS_ALIVE",
                    "error: not connected");
        }
    }
}
