package io.ringkv.client.cli;

import java.util.Arrays;
import java.util.Locale;

/** Parses shell lines into {@link ShellCommand}s. Pure: no I/O, no state. */
final class ShellParser {
    /** The word that, as the whole value of a put, means delete (ECE 419). */
    static final String NULL_VALUE = "null";

    private ShellParser() {}

    static ShellCommand parse(String line) {
        String trimmed = line.strip();
        if (trimmed.isEmpty() || trimmed.startsWith("#")) {
            return new ShellCommand.Nothing();
        }
        String[] words = trimmed.split("\\s+");
        String name = words[0];
        String[] args = Arrays.copyOfRange(words, 1, words.length);
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "connect" -> connect(args);
            case "disconnect" -> noArgs(args, "disconnect", new ShellCommand.Disconnect());
            case "put" -> put(args);
            case "get" -> args.length == 1 ? new ShellCommand.Get(args[0]) : usage("get <key>");
            case "delete" -> args.length == 1 ? new ShellCommand.Delete(args[0]) : usage("delete <key>");
            case "alive" -> noArgs(args, "alive", new ShellCommand.Alive());
            case "pid" -> noArgs(args, "pid", new ShellCommand.Pid());
            case "members" -> noArgs(args, "members", new ShellCommand.Members());
            case "wipeout" -> noArgs(args, "wipeout", new ShellCommand.Wipeout());
            case "shutdown" -> noArgs(args, "shutdown", new ShellCommand.Shutdown());
            case "loglevel" -> logLevel(args);
            case "help" -> new ShellCommand.Help();
            case "quit", "exit" -> new ShellCommand.Quit();
            default -> new ShellCommand.Invalid("unknown command '" + name + "'; type help for the list");
        };
    }

    /** The value words joined by single spaces, or null when they mean delete (none, or just "null"). */
    static String joinValue(String[] words, int from) {
        if (words.length <= from || (words.length == from + 1 && words[from].equals(NULL_VALUE))) {
            return null;
        }
        return String.join(" ", Arrays.copyOfRange(words, from, words.length));
    }

    private static ShellCommand connect(String[] args) {
        if (args.length != 2) {
            return usage("connect <host> <port>");
        }
        try {
            return new ShellCommand.Connect(args[0], parsePort(args[1]));
        } catch (IllegalArgumentException e) {
            return new ShellCommand.Invalid(e.getMessage());
        }
    }

    static int parsePort(String text) {
        int port;
        try {
            port = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port must be a number 1..65535, was '" + text + "'");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port must be a number 1..65535, was " + port);
        }
        return port;
    }

    private static ShellCommand put(String[] args) {
        if (args.length == 0) {
            return usage("put <key> <value…>  (put <key> or put <key> null deletes)");
        }
        String value = joinValue(args, 1);
        return value == null ? new ShellCommand.Delete(args[0]) : new ShellCommand.Put(args[0], value);
    }

    private static ShellCommand logLevel(String[] args) {
        if (args.length != 1) {
            return usage("logLevel " + LogLevel.CHOICES);
        }
        LogLevel level = LogLevel.parse(args[0]);
        return level == null
                ? new ShellCommand.Invalid("unknown log level '" + args[0] + "'; use one of " + LogLevel.CHOICES)
                : new ShellCommand.SetLogLevel(level);
    }

    private static ShellCommand noArgs(String[] args, String name, ShellCommand command) {
        return args.length == 0 ? command : usage(name + " (takes no arguments)");
    }

    private static ShellCommand usage(String synopsis) {
        return new ShellCommand.Invalid("usage: " + synopsis);
    }
}
