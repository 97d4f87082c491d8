package io.ringkv.client.cli;

import io.ringkv.client.OutcomeUnknownException;
import io.ringkv.client.RingKvException;
import io.ringkv.wire.Command;
import java.io.UncheckedIOException;
import java.nio.channels.UnresolvedAddressException;

/** Exit codes of the one-shot CLI, and the one line the CLI prints for each kind of failure. */
final class Failures {
    static final int OK = 0;
    /** GET found nothing under the key. */
    static final int NO_SUCH_KEY = 1;
    /** The node answered with any other error code, or the request was refused locally. */
    static final int ERROR = 2;
    /** No answer: timed out, connection lost, nothing listening, unknown host. */
    static final int UNREACHABLE = 3;
    /** The command line itself was wrong (sysexits EX_USAGE). */
    static final int USAGE = 64;

    private Failures() {}

    /** What the CLI prints ({@code error: …}) and the exit code it returns. */
    record Failure(int exitCode, String message) {}

    static Failure of(Throwable e) {
        return switch (e) {
            case RingKvException k -> new Failure(
                    k.isNoSuchKey() && k.command() == Command.GET ? NO_SUCH_KEY : ERROR, "error: " + k.describe());
            case OutcomeUnknownException u -> new Failure(UNREACHABLE, "error: " + u.getMessage());
            case UncheckedIOException io -> new Failure(UNREACHABLE, "error: " + io.getMessage());
            case UnresolvedAddressException u -> new Failure(UNREACHABLE, "error: unknown host");
            default -> new Failure(ERROR, "error: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
        };
    }
}
