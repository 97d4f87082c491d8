package io.ringkv.client.cli;

/** One parsed line of the interactive shell. */
sealed interface ShellCommand {
    record Connect(String host, int port) implements ShellCommand {}

    record Disconnect() implements ShellCommand {}

    /** {@code put <key> <value…>}: the value is the rest of the line, words joined by single spaces. */
    record Put(String key, String value) implements ShellCommand {}

    /** {@code delete <key>}, and also {@code put <key>} and {@code put <key> null}, as in ECE 419. */
    record Delete(String key) implements ShellCommand {}

    record Get(String key) implements ShellCommand {}

    record Alive() implements ShellCommand {}

    record Pid() implements ShellCommand {}

    record Members() implements ShellCommand {}

    record Wipeout() implements ShellCommand {}

    record Shutdown() implements ShellCommand {}

    record SetLogLevel(LogLevel level) implements ShellCommand {}

    record Help() implements ShellCommand {}

    record Quit() implements ShellCommand {}

    /** A blank line or a {@code #} comment. */
    record Nothing() implements ShellCommand {}

    /** A line that is not a command; {@code message} says what is wrong and how to write it. */
    record Invalid(String message) implements ShellCommand {}
}
