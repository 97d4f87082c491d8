package io.ringkv.client.cli;

import io.ringkv.client.Protocol;
import io.ringkv.client.RingKvClient;
import io.ringkv.client.RingKvClientBuilder;
import io.ringkv.client.RetryPolicy;
import io.ringkv.client.VersionedValue;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar ringkv.jar cli …}: one-shot commands against a node, or the interactive shell
 * when no command is given. Values are printed on stdout, errors as one {@code error: …} line on
 * stderr; the exit code says which kind of outcome it was (see {@link Failures}).
 */
@Command(
        name = "ringkv cli",
        description = {"Talks to a ringkv node. Without a command, starts the interactive shell."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:get found no value under the key (NO_SUCH_KEY)",
            "2:the node answered with another error code",
            "3:no answer: timed out, connection lost, nothing listening, unknown host",
            "64:usage error"
        })
public final class RingKvCli implements Callable<Integer> {
    @Option(names = {"-h", "--help"}, usageHelp = true, scope = ScopeType.INHERIT, description = "Show this help.")
    boolean help;

    @Option(names = "--host", scope = ScopeType.INHERIT, defaultValue = RingKvClientBuilder.DEFAULT_HOST,
            description = "Node host (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", scope = ScopeType.INHERIT, defaultValue = "" + RingKvClientBuilder.DEFAULT_PORT,
            description = "Node port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--tcp", scope = ScopeType.INHERIT, description = "Use TCP frames instead of UDP datagrams.")
    boolean tcp;

    @Option(names = "--timeout-ms", scope = ScopeType.INHERIT, defaultValue = "100",
            description = "First try's timeout; each later try waits twice as long (default: ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Option(names = "--tries", scope = ScopeType.INHERIT, defaultValue = "4",
            description = "Tries before the outcome is unknown (default: ${DEFAULT-VALUE}).")
    int tries;

    @Option(names = "--log-level", scope = ScopeType.INHERIT, defaultValue = "WARN",
            description = "Client log level on stderr: " + LogLevel.CHOICES + " (default: ${DEFAULT-VALUE}).")
    LogLevel logLevel;

    @Spec
    CommandSpec spec;

    private final BufferedReader in;
    private final PrintStream out;
    private final PrintStream err;

    private RingKvCli(InputStream in, PrintStream out, PrintStream err) {
        this.in = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        this.out = out;
        this.err = err;
    }

    /** Runs the CLI on the process's standard streams (UTF-8) and returns the exit code. */
    public static int run(String[] args) {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        return run(args, System.in, out, err);
    }

    /** Runs the CLI on the given streams and returns the exit code. */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        CommandLine cli = new CommandLine(new RingKvCli(in, out, err))
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .setCaseInsensitiveEnumValuesAllowed(true)
                // "put k @x" stores "@x"; it must not read a file named x.
                .setExpandAtFiles(false)
                .setParameterExceptionHandler((e, args1) -> {
                    err.println("error: " + e.getMessage());
                    e.getCommandLine().usage(err);
                    return Failures.USAGE;
                })
                .setExecutionExceptionHandler((e, commandLine, parseResult) -> {
                    err.println(Failures.of(e).message());
                    return Failures.of(e).exitCode();
                });
        // Values may start with '-' ("put k -1"): words that are not our options are value words.
        cli.getSubcommands().get("put").setUnmatchedOptionsArePositionalParams(true);
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** No command: the shell. */
    @Override
    public Integer call() {
        return shell();
    }

    @Command(name = "shell", description = "Interactive shell reading commands line by line from stdin "
            + "(type help). Connects at start only when --host or --port is given.")
    int shell() {
        ClientSettings settings = settings();
        try (Shell shell = new Shell(in, out, settings)) {
            var parsed = spec.commandLine().getParseResult();
            if (matched(parsed, "--host") || matched(parsed, "--port")) {
                shell.execute(new ShellCommand.Connect(host, port));
            }
            return shell.run();
        }
    }

    @Command(name = "get", description = "Print the value stored under <key>.")
    int get(@Parameters(paramLabel = "<key>") String key,
            @Option(names = "--with-version", description = "Print <version><TAB><value>.") boolean withVersion) {
        return oneShot(client -> {
            VersionedValue v = client.get(key);
            return withVersion ? v.version() + "\t" + v.valueUtf8() : v.valueUtf8();
        });
    }

    @Command(name = "put", description = "Store <value…> (words joined by single spaces) under <key>; "
            + "without a value, or with the value null, delete <key>.")
    int put(@Parameters(index = "0", paramLabel = "<key>") String key,
            @Parameters(index = "1..*", arity = "0..*", paramLabel = "<value>") List<String> words,
            @Option(names = "--value-version", paramLabel = "<n>", description = "Version stored with the value.")
                    Integer version) {
        String[] valueWords = words == null ? new String[0] : words.toArray(String[]::new);
        String value = ShellParser.joinValue(valueWords, 0);
        return oneShot(client -> {
            if (value == null) {
                client.remove(key);
            } else if (version == null) {
                client.put(key, value);
            } else {
                client.put(key, value, version);
            }
            return "ok";
        });
    }

    @Command(name = "delete", description = "Delete <key>.")
    int delete(@Parameters(paramLabel = "<key>") String key) {
        return oneShot(client -> {
            client.remove(key);
            return "ok";
        });
    }

    @Command(name = "alive", description = "Ask the node whether it is alive.")
    int alive() {
        return oneShot(client -> {
            client.isAliveAsync().join();
            return "alive";
        });
    }

    @Command(name = "pid", description = "Print the node's process id.")
    int pid() {
        return oneShot(client -> String.valueOf(client.pid()));
    }

    @Command(name = "members", description = "Print how many members the node counts.")
    int members() {
        return oneShot(client -> String.valueOf(client.membershipCount()));
    }

    @Command(name = "keyrange", description = "Print the ring the node routes by: one line per token range, "
            + "<from>,<to>,<host:port>; (ranges (from, to] in hex on the MD5 ring), or with --key the key's owner.")
    int keyrange(@Option(names = "--key", paramLabel = "<key>", description = "Print only this key's owner and backups.")
            String key,
            @Option(names = "--summary", description = "One line per member: ranges and share of the ring.")
            boolean summary) {
        return oneShot(client -> {
            var reply = client.exchangeAsync(io.ringkv.wire.proto.KVRequest.newBuilder()
                    .setCommand(io.ringkv.wire.Command.GET_RING.code()).build()).join();
            if (reply.getErrCode() != 0 || !reply.hasRing() || reply.getRing().getMembersCount() == 0) {
                return "no ring: a lone node owns every key (reply code " + reply.getErrCode() + ")";
            }
            return KeyRanges.describe(io.ringkv.ring.RingMessages.fromInfo(reply.getRing()), key, summary);
        });
    }

    @Command(name = "wipeout", description = "Delete every key on the node.")
    int wipeout() {
        return oneShot(client -> {
            client.wipeout();
            return "ok";
        });
    }

    @Command(name = "shutdown", description = "Stop the node process.")
    int shutdown() {
        return oneShot(client -> {
            client.shutdown();
            return "ok";
        });
    }

    /** Runs one request on a fresh client: prints the result on stdout or one error line on stderr. */
    private int oneShot(Function<RingKvClient, String> request) {
        ClientSettings settings = settings();
        try (RingKvClient client = settings.connect(host, port)) {
            out.println(request.apply(client));
            return Failures.OK;
        } catch (RuntimeException e) {
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                    ? e.getCause()
                    : e;
            Failures.Failure failure = Failures.of(cause);
            err.println(failure.message());
            return failure.exitCode();
        }
    }

    /** The client settings, checked here so that bad values are usage errors rather than crashes. */
    private ClientSettings settings() {
        CommandLine commandLine = spec.commandLine();
        if (port < 1 || port > 65_535) {
            throw new ParameterException(commandLine, "--port must be 1..65535, was " + port);
        }
        if (timeoutMs < 1 || timeoutMs > RetryPolicy.TIMEOUT_MS_MAX) {
            throw new ParameterException(commandLine, "--timeout-ms must be 1.." + RetryPolicy.TIMEOUT_MS_MAX);
        }
        if (tries < 1 || tries > RetryPolicy.TRIES_MAX) {
            throw new ParameterException(commandLine, "--tries must be 1.." + RetryPolicy.TRIES_MAX);
        }
        logLevel.apply();
        return new ClientSettings(tcp ? Protocol.TCP : Protocol.UDP, timeoutMs, tries);
    }

    private static boolean matched(CommandLine.ParseResult parsed, String option) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption(option)) {
                return true;
            }
        }
        return false;
    }
}
