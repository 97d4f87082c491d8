package io.ringkv.bench;

import io.ringkv.wire.ErrorCode;
import java.util.Locale;
import java.util.StringJoiner;
import org.HdrHistogram.Histogram;

/** Formats a run's result for people (a few aligned lines) and for spreadsheets (one CSV line). */
final class Report {
    static final String CSV_HEADER = "target,transport,sockets,inflight,value_bytes,keys,get_ratio,seconds,replies,"
            + "ops_per_s,p50_us,p99_us,p999_us,max_us,success,no_such_key,other_errors,timeouts,late,undecodable";

    private Report() {}

    static String text(LoadRun.Result r) {
        LoadSpec s = r.spec();
        SocketDriver.Figures f = r.figures();
        Histogram h = f.latencyUs();
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT,
                "ringkv bench: %s:%d (%s%s), %d socket%s on %d thread%s, %d in flight, %d B values, %d keys, "
                        + "%.0f%% GET, seed %d, %.1f s measured after %.1f s warm-up%n",
                s.host(), s.port(), r.transport(), s.expectEcho() ? ", expecting echoes" : "", s.sockets(),
                plural(s.sockets()), s.threads(), plural(s.threads()), s.inFlight(), s.valueBytes(), s.keys(),
                s.getRatio() * 100, s.seed(), r.seconds(), s.warmup().toNanos() / 1e9));
        long overload = f.replies() - f.answered();
        out.append(String.format(Locale.ROOT, "throughput  %,.0f ops/s  (%,d replies%s)%n", r.opsPerSecond(), f.replies(),
                overload == 0 ? "" : String.format(Locale.ROOT, ", not counting %,d OVERLOAD", overload)));
        out.append(String.format(Locale.ROOT, "latency µs  p50 %,d  p99 %,d  p99.9 %,d  max %,d%n",
                h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue()));
        out.append("replies     ").append(codes(f)).append(System.lineSeparator());
        out.append(String.format(Locale.ROOT, "lost        %,d timed out (after %d ms), %,d late replies, %,d undecodable%n",
                f.timeouts(), r.spec().timeout().toMillis(), f.late(), f.undecodable()));
        if (f.socketErrors() > 0) {
            out.append(String.format(Locale.ROOT, "errors      %,d socket errors, the first: %s%n", f.socketErrors(),
                    f.firstSocketError()));
        }
        return out.toString();
    }

    static String csv(LoadRun.Result r) {
        LoadSpec s = r.spec();
        SocketDriver.Figures f = r.figures();
        Histogram h = f.latencyUs();
        long success = f.codes()[ErrorCode.SUCCESS.code()];
        long noSuchKey = f.codes()[ErrorCode.NO_SUCH_KEY.code()];
        long otherErrors = f.replies() - success - noSuchKey;
        StringJoiner j = new StringJoiner(",");
        j.add(s.host() + ":" + s.port()).add(r.transport()).add("" + s.sockets()).add("" + s.inFlight())
                .add("" + s.valueBytes()).add("" + s.keys()).add(String.format(Locale.ROOT, "%.3f", s.getRatio()))
                .add(String.format(Locale.ROOT, "%.3f", r.seconds())).add("" + f.replies())
                .add(String.format(Locale.ROOT, "%.0f", r.opsPerSecond()))
                .add("" + h.getValueAtPercentile(50)).add("" + h.getValueAtPercentile(99))
                .add("" + h.getValueAtPercentile(99.9)).add("" + h.getMaxValue())
                .add("" + success).add("" + noSuchKey).add("" + otherErrors)
                .add("" + f.timeouts()).add("" + f.late()).add("" + f.undecodable());
        return j.toString();
    }

    /** "SUCCESS 123, NO_SUCH_KEY 4": every code that occurred, by name where known. */
    private static String codes(SocketDriver.Figures f) {
        StringJoiner j = new StringJoiner(", ");
        for (int code = 0; code < f.codes().length; code++) {
            long n = f.codes()[code];
            if (n > 0) {
                ErrorCode known = ErrorCode.of(code);
                j.add(String.format(Locale.ROOT, "%s %,d", known != null ? known.name() : "code_" + code, n));
            }
        }
        if (f.unknownCodes() > 0) {
            j.add(String.format(Locale.ROOT, "out-of-range codes %,d", f.unknownCodes()));
        }
        return j.length() == 0 ? "none" : j.toString();
    }

    private static String plural(long n) {
        return n == 1 ? "" : "s";
    }
}
