package io.ringkv.client.cli;

import io.ringkv.client.OutcomeUnknownException;
import io.ringkv.client.RingKvClient;
import io.ringkv.client.RingKvException;
import io.ringkv.client.VersionedValue;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;

/**
 * The interactive shell: reads commands line by line until {@code quit} or end of input, so it works
 * as well with a pipe as with a terminal. Everything, errors included, goes to {@code out}, so that
 * a transcript keeps its order.
 */
final class Shell implements AutoCloseable {
    static final String PROMPT = "ringkv> ";
    /** Longer lines are refused; a value is at most 10,000 bytes, a line cannot need much more. */
    static final int LINE_CHARS_MAX = 64 << 10;

    private static final String HELP = """
            commands:
              connect <host> <port>   use the node at host:port (checks that it answers)
              disconnect              stop using the node
              put <key> <value…>      store the value (the rest of the line, words joined by single spaces)
              put <key> [null]        delete the key
              get <key>               print the value stored under the key
              delete <key>            delete the key
              alive | pid | members   ask the node whether it is alive, its process id, its member count
              wipeout                 delete every key on the node
              shutdown                stop the node process
              logLevel <level>        ALL|DEBUG|INFO|WARN|ERROR|OFF, for the client's log (on stderr)
              help                    this text
              quit                    leave the shell""";

    private final BufferedReader in;
    private final PrintStream out;
    private final ClientSettings settings;
    private RingKvClient client;

    Shell(BufferedReader in, PrintStream out, ClientSettings settings) {
        this.in = in;
        this.out = out;
        this.settings = settings;
    }

    /** Runs until quit or end of input; returns the exit code (0 unless reading the input failed). */
    int run() {
        while (true) {
            out.print(PROMPT);
            out.flush();
            String line;
            try {
                line = in.readLine();
            } catch (IOException e) {
                out.println("error: cannot read input: " + e.getMessage());
                return Failures.ERROR;
            }
            if (line == null) {
                out.println();
                return Failures.OK;
            }
            if (line.length() > LINE_CHARS_MAX) {
                out.println("error: line longer than " + LINE_CHARS_MAX + " characters");
                continue;
            }
            if (!execute(ShellParser.parse(line))) {
                return Failures.OK;
            }
        }
    }

    /** Executes one command and prints its outcome; false when the shell should end. */
    boolean execute(ShellCommand command) {
        try {
            switch (command) {
                case ShellCommand.Nothing n -> {}
                case ShellCommand.Quit q -> {
                    out.println("bye");
                    return false;
                }
                case ShellCommand.Help h -> out.println(HELP);
                case ShellCommand.Invalid i -> out.println("error: " + i.message());
                case ShellCommand.SetLogLevel l -> {
                    l.level().apply();
                    out.println("log level " + l.level() + " (java.util.logging logger " + LogLevel.LOGGER_NAME
                            + ", printed on stderr)");
                }
                case ShellCommand.Connect c -> connect(c.host(), c.port());
                case ShellCommand.Disconnect d -> disconnect();
                case ShellCommand.Put p -> {
                    connected().put(p.key(), p.value());
                    out.println("ok");
                }
                case ShellCommand.Delete d -> {
                    connected().remove(d.key());
                    out.println("ok");
                }
                case ShellCommand.Get g -> {
                    VersionedValue v = connected().get(g.key());
                    out.println(v.valueUtf8());
                }
                case ShellCommand.Alive a -> out.println(connected().isAlive() ? "alive" : "error: no reply");
                case ShellCommand.Pid p -> out.println(connected().pid());
                case ShellCommand.Members m -> out.println(connected().membershipCount());
                case ShellCommand.Wipeout w -> {
                    connected().wipeout();
                    out.println("ok");
                }
                case ShellCommand.Shutdown s -> {
                    connected().shutdown();
                    out.println("ok");
                }
            }
        } catch (NotConnected e) {
            out.println("error: not connected; use connect <host> <port>");
        } catch (RuntimeException e) {
            out.println(Failures.of(e).message());
        }
        return true;
    }

    private void connect(String host, int port) {
        disconnectQuietly();
        RingKvClient candidate = settings.connect(host, port);
        try {
            // UDP has no connection to set up; asking IS_ALIVE tells the user now whether anyone answers.
            candidate.isAliveAsync().join();
        } catch (java.util.concurrent.CompletionException e) {
            if (!(e.getCause() instanceof RingKvException)) {
                candidate.close();
                String why = e.getCause() instanceof OutcomeUnknownException u ? u.getMessage() : String.valueOf(e.getCause());
                out.println("error: cannot connect to " + host + ":" + port + ": " + why);
                return;
            }
            // An error reply still proves that a node is there.
        }
        client = candidate;
        out.println("connected to " + host + ":" + port + " (" + candidate.protocol() + ")");
    }

    private void disconnect() {
        if (client == null) {
            throw new NotConnected();
        }
        String was = client.server().getHostString() + ":" + client.server().getPort();
        disconnectQuietly();
        out.println("disconnected from " + was);
    }

    private void disconnectQuietly() {
        if (client != null) {
            client.close();
            client = null;
        }
    }

    private RingKvClient connected() {
        if (client == null) {
            throw new NotConnected();
        }
        return client;
    }

    @Override
    public void close() {
        disconnectQuietly();
    }

    /** Control flow for "a command that needs a node ran without one". */
    private static final class NotConnected extends RuntimeException {
        NotConnected() {
            super(null, null, false, false);
        }
    }
}
