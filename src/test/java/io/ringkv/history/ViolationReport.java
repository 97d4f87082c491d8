package io.ringkv.history;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.function.IntFunction;

/**
 * Turns a key's failure into something a person can read in a test log: the smallest failing
 * window ({@link FailingWindow}), which operation in it could not take effect in time, the state
 * the longest linearizable order of the window left, and the operations around that point, with
 * times in µs relative to the first one shown.
 *
 * <p>A window of up to {@link #WINDOW_SHOWN_MAX} operations is shown whole. Of a larger one (when
 * no smaller window could be refuted within the limits), only the operations around the stuck one:
 * when the search of the window gives up, every order of the operations invoked before the stuck
 * one completed has been tried from the frontier state, so the conflict lies among them and the
 * last operations of the order that produced the frontier state (usually the write whose value a
 * read contradicts); the candidates are cut to {@link #CANDIDATES_MAX}, those invoked nearest to
 * the stuck operation's completion.
 */
final class ViolationReport {
    static final int CANDIDATES_MAX = 12;
    /** A window this small is shown whole; a larger one only around the stuck operation. */
    static final int WINDOW_SHOWN_MAX = 40;

    private ViolationReport() {}

    /** The search of {@code found}'s window, the smallest that fails, got stuck. */
    static CheckResult.Violation stuck(RegisterModel whole, FailingWindow.Found found) {
        RegisterModel model = found.window();
        KeySearch.Frontier frontier = found.frontier();
        Operation stuck = model.ops[frontier.stuck()];
        TreeSet<Integer> chosen = new TreeSet<>();
        int hidden = 0;
        if (model.size() <= WINDOW_SHOWN_MAX) {
            for (int i = 0; i < model.size(); i++) {
                chosen.add(i);
            }
        } else {
            for (int op : frontier.context()) {
                chosen.add(op);
            }
            List<Integer> candidates = new ArrayList<>();
            for (int i = 0; i < model.size(); i++) {
                if (!frontier.isLinearized(i) && model.ops[i].invokeNanos() <= stuck.completeNanos()) {
                    candidates.add(i);
                }
            }
            // model.ops is ordered by invoke, so the last candidates are those invoked nearest the deadline.
            chosen.addAll(candidates.subList(Math.max(0, candidates.size() - CANDIDATES_MAX), candidates.size()));
            chosen.add(frontier.stuck());
            hidden = model.size() - chosen.size();
        }
        boolean windowed = model.fromNanos != Long.MIN_VALUE;
        long origin = windowed ? model.fromNanos : model.ops[chosen.first()].invokeNanos();
        String window = !windowed
                ? "The smallest failing window is the key's whole history up to there"
                : String.format(Locale.ROOT, "The smallest failing window is +0.0 to %s µs, %d operations; the key"
                        + " may hold anything at its start, and operations across its edges may or may not take"
                        + " effect in it", micros(stuck.completeNanos(), origin), model.size());
        String summary = String.format(Locale.ROOT, "%s. Its longest linearizable order fits %d of its %d"
                        + " operations that must take effect and leaves the key %s; from there no order lets #%d (%s"
                        + " by p%d) take effect before it completed at %s µs.", window, frontier.linearized(),
                frontier.required(), describeState(model, frontier), stuck.id(), stuck.describeCall(),
                stuck.process(), micros(stuck.completeNanos(), origin));
        String legend = "* = in that order, ! = cannot take effect in time, ? = may or may not take effect"
                + (hidden == 0 ? "" : "; " + hidden + " more not shown");
        return report(whole, model, frontier.stuck(), chosen, origin, op -> frontier.isLinearized(op) ? '*'
                : model.optional[op] ? '?' : ' ', summary, legend);
    }

    /** The frontier state, naming the value when the model merged it into "unread" and the order shows its write. */
    private static String describeState(RegisterModel model, KeySearch.Frontier frontier) {
        int[] context = frontier.context();
        for (int i = context.length - 1; i >= 0 && frontier.state() == RegisterModel.UNREAD; i--) {
            Operation op = model.ops[context[i]];
            if (model.writes[context[i]] == RegisterModel.UNREAD && op.kind() == Operation.Kind.PUT) {
                return "holding " + op.written() + " (a value no GET returned)";
            }
        }
        return model.describeState(frontier.state());
    }

    /** A read no order could satisfy (see {@link RegisterModel#impossibleRead}). */
    static CheckResult.Violation impossibleRead(RegisterModel model, int read) {
        Operation op = model.ops[read];
        TreeSet<Integer> chosen = new TreeSet<>();
        List<Integer> writers = new ArrayList<>();
        for (int i = 0; i < model.size(); i++) {
            Operation other = model.ops[i];
            boolean overlaps = other.invokeNanos() <= op.completeNanos()
                    && other.effectiveCompleteNanos() >= op.invokeNanos();
            if (model.writes[i] == model.requires[read] && other.kind() == Operation.Kind.PUT) {
                writers.add(i);
            } else if (overlaps && chosen.size() < CANDIDATES_MAX) {
                chosen.add(i);
            }
        }
        chosen.addAll(writers.subList(0, Math.min(writers.size(), 3)));
        chosen.add(read);
        long origin = model.ops[chosen.first()].invokeNanos();
        String summary = String.format(Locale.ROOT, "#%d (GET by p%d) returned %s, which %s.", op.id(),
                op.process(), op.reply().read(), writers.isEmpty()
                        ? "no PUT on this key wrote and the key did not start with"
                        : "only PUTs invoked after the read completed wrote (the first at "
                                + micros(model.ops[writers.getFirst()].invokeNanos(), origin) + " µs)");
        return report(model, model, read, chosen, origin, i -> ' ', summary,
                "! = the read; the others overlap it or wrote its value");
    }

    private static CheckResult.Violation report(RegisterModel whole, RegisterModel model, int stuckIndex,
            TreeSet<Integer> chosen, long origin, IntFunction<Character> marks, String summary, String legend) {
        // Indices follow model.ops, which is ordered by invoke time, so the set is in time order too.
        List<Operation> window = chosen.stream().map(i -> model.ops[i]).toList();
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "key %s: not linearizable (%d operations considered, %d left out as"
                + " unable to matter)%n", Value.show(whole.key), whole.size(), whole.leftOut));
        out.append(summary).append(System.lineSeparator());
        out.append(String.format(Locale.ROOT, "Times in µs from +0.0, which is %s µs after the key's first"
                + " operation; %s:%n", micros(origin, whole.ops[0].invokeNanos()), legend));
        for (int index : chosen) {
            Operation op = model.ops[index];
            char mark = index == stuckIndex ? '!' : marks.apply(index);
            out.append(String.format(Locale.ROOT, "  %c #%-6d p%-3d %-36s [%10s, %10s]  %s%n", mark, op.id(),
                    op.process(), op.describeCall(), micros(op.invokeNanos(), origin),
                    op.completeNanos() == Operation.NEVER ? "never" : micros(op.completeNanos(), origin),
                    op.describeOutcome()));
        }
        return new CheckResult.Violation(model.key, model.ops[stuckIndex], window, out.toString());
    }

    private static String micros(long nanos, long origin) {
        return String.format(Locale.ROOT, "%+.1f", (nanos - origin) / 1_000.0);
    }
}
