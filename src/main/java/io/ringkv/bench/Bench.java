package io.ringkv.bench;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar ringkv.jar bench …}: a closed-loop UDP load generator for the ringkv protocol,
 * or ({@code --echo-server PORT}) the UDP echo server that gives the machine's ceiling.
 */
@Command(
        name = "ringkv bench",
        mixinStandardHelpOptions = false,
        description = {
            "Closed-loop UDP load against a ringkv node (or an echo server with --expect-echo): every socket "
                    + "keeps its share of --inflight requests outstanding. Prints throughput, latency "
                    + "percentiles, replies by code, and lost requests.",
            "With --echo-server PORT, runs a UDP echo server instead, until killed."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "2:could not run", "3:no reply at all", "64:usage error"})
public final class Bench implements Callable<Integer> {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
    boolean help;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Target host; with --echo-server, the address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "43100", description = "Target UDP port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--sockets", defaultValue = "2", paramLabel = "M",
            description = "Client sockets (default: ${DEFAULT-VALUE}).")
    int sockets;

    @Option(names = "--inflight", defaultValue = "64", paramLabel = "N",
            description = "Requests outstanding at once, spread over the sockets (default: ${DEFAULT-VALUE}).")
    int inFlight;

    @Option(names = "--threads", paramLabel = "T",
            description = "Event-loop threads (default: min(sockets, cores); for --echo-server: 1).")
    Integer threads;

    @Option(names = "--duration", defaultValue = "10s", converter = DurationConverter.class,
            description = "Measured time, e.g. 10s, 500ms, 2m (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--warmup", defaultValue = "2s", converter = DurationConverter.class,
            description = "Unmeasured time before (default: ${DEFAULT-VALUE}).")
    Duration warmup;

    @Option(names = "--timeout", defaultValue = "1s", converter = DurationConverter.class,
            description = "A request without reply after this long counts as lost; its slot sends anew "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--value-bytes", defaultValue = "100", description = "PUT value size (default: ${DEFAULT-VALUE}).")
    int valueBytes;

    @Option(names = "--keys", defaultValue = "100000", description = "Keyspace size (default: ${DEFAULT-VALUE}).")
    long keys;

    @Option(names = "--get-ratio", defaultValue = "0.9", description = "Share of GETs (default: ${DEFAULT-VALUE}).")
    double getRatio;

    @Option(names = "--seed", description = "Seed for keys, commands and values (default: random, printed).")
    Long seed;

    @Option(names = "--expect-echo", description = "The target echoes datagrams: count any echo of a request "
            + "as its reply.")
    boolean expectEcho;

    @Option(names = "--csv", description = "Also print one CSV line (columns: see --csv-header).")
    boolean csv;

    @Option(names = "--csv-header", description = "Print the CSV header line before the CSV line.")
    boolean csvHeader;

    @Option(names = "--echo-server", paramLabel = "PORT",
            description = "Run a UDP echo server on PORT (0 picks one) until killed.")
    Integer echoServerPort;

    private final PrintStream out;
    private final PrintStream err;

    private Bench(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static int run(String[] args) {
        return run(args, new PrintStream(System.out, true, StandardCharsets.UTF_8),
                new PrintStream(System.err, true, StandardCharsets.UTF_8));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        return new CommandLine(new Bench(out, err))
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .setParameterExceptionHandler((e, a) -> {
                    err.println("error: " + e.getMessage());
                    e.getCommandLine().usage(err);
                    return 64;
                })
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    err.println("error: " + e);
                    return 2;
                })
                .execute(args);
    }

    @Override
    public Integer call() throws InterruptedException {
        if (echoServerPort != null) {
            return echoServer();
        }
        LoadSpec spec;
        try {
            int cores = Runtime.getRuntime().availableProcessors();
            spec = new LoadSpec(host, port, sockets, inFlight, threads != null ? threads : Math.min(sockets, cores),
                    warmup, duration, timeout, valueBytes, keys, getRatio,
                    seed != null ? seed : new SecureRandom().nextLong(), expectEcho);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 64;
        }
        LoadRun.Result result;
        try {
            result = LoadRun.run(spec);
        } catch (UnknownHostException e) {
            err.println("error: " + e.getMessage());
            return 3;
        }
        out.print(Report.text(result));
        if (csvHeader) {
            out.println(Report.CSV_HEADER);
        }
        if (csv || csvHeader) {
            out.println(Report.csv(result));
        }
        out.flush();
        if (result.figures().replies() == 0) {
            err.println("error: no reply at all from " + host + ":" + port);
            return 3;
        }
        return 0;
    }

    private int echoServer() throws InterruptedException {
        if (echoServerPort < 0 || echoServerPort > 65_535) {
            err.println("error: --echo-server port must be 0..65535");
            return 64;
        }
        int echoThreads = threads != null ? threads : 1;
        if (echoThreads < 1 || echoThreads > LoadSpec.THREADS_MAX) {
            err.println("error: threads must be 1.." + LoadSpec.THREADS_MAX);
            return 64;
        }
        EchoServer server = new EchoServer(host, echoServerPort, echoThreads, NettyUdp.datagramBytesFor(valueBytes));
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "ringkv-echo-shutdown"));
        out.println("echo server listening on " + server.address().getHostString() + ":" + server.address().getPort()
                + " (" + server.describe() + ")");
        out.flush();
        server.awaitClose();
        return 0;
    }
}
