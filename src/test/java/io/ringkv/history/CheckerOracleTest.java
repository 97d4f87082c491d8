package io.ringkv.history;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ringkv.common.TestSeeds;
import io.ringkv.history.Operation.Kind;
import io.ringkv.history.Operation.Outcome;
import io.ringkv.history.Operation.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The checker against a brute-force oracle on tiny random histories whose answers are drawn at
 * random, so that about half are linearizable and half are not. The oracle tries every order of
 * every subset of the UNKNOWN operations, straight from the definition, with none of the
 * checker's shortcuts (memo, operations left out, merged unread values, dominance rules): any
 * shortcut that is unsound shows up as a disagreement.
 */
class CheckerOracleTest {
    private static final int ROUNDS = Integer.getInteger("ringkv.history.rounds", 3_000);
    private static final int OPERATIONS_MAX = 7;
    private static final ByteString KEY = ByteString.copyFromUtf8("k");

    @Test
    void theCheckerAgreesWithBruteForce() {
        long base = TestSeeds.seed();
        LinearizabilityChecker checker = new LinearizabilityChecker();
        int linearizable = 0;
        for (int round = 0; round < ROUNDS; round++) {
            long seed = base + round;
            List<Operation> history = randomHistory(new Random(seed));
            boolean expected = bruteForce(history, new boolean[history.size()], null);
            CheckResult result = checker.check(history);
            assertThat(result).as("seed %d (replay: -Dringkv.seed=%d -Dringkv.history.rounds=1): oracle says %s;"
                            + " history:%n%s", seed, seed, expected ? "linearizable" : "not linearizable",
                    String.join("\n", history.stream().map(Operation::toString).toList()))
                    .isInstanceOf(expected ? CheckResult.Ok.class : CheckResult.Violation.class);
            linearizable += expected ? 1 : 0;
        }
        System.out.printf("CheckerOracleTest: seed %d, %d of %d histories linearizable%n", base, linearizable, ROUNDS);
        assertThat(linearizable).as("a mix of verdicts, seed %d", base).isBetween(ROUNDS / 10, ROUNDS * 9 / 10);
    }

    /**
     * When the whole key is too big to search, a violation is proved on a window instead
     * ({@link FailingWindow}); here every window that ends at any operation and is refuted must
     * belong to a history the oracle finds not linearizable.
     */
    @Test
    void aWindowIsRefutedOnlyInAHistoryThatIsNotLinearizable() {
        long base = TestSeeds.seed();
        int refuted = 0;
        for (int round = 0; round < ROUNDS; round++) {
            long seed = base + round;
            List<Operation> history = randomHistory(new Random(seed));
            boolean linearizable = bruteForce(history, new boolean[history.size()], null);
            RegisterModel model = ModelCompiler.compile(KEY, history, null);
            FailingWindow windows = new FailingWindow(model, System::nanoTime, Long.MAX_VALUE, 1 << 20);
            for (int op = 0; op < model.size(); op++) {
                if (model.optional[op]) {
                    continue;
                }
                Optional<FailingWindow.Found> found = windows.endingAt(op);
                if (found.isPresent()) {
                    refuted++;
                    assertThat(linearizable).as("seed %d (replay: -Dringkv.seed=%d -Dringkv.history.rounds=1): a"
                                    + " window ending at %s is refuted, but the oracle linearizes:%n%s", seed, seed,
                            model.ops[op], String.join("\n", history.stream().map(Operation::toString).toList()))
                            .isFalse();
                }
            }
        }
        System.out.printf("CheckerOracleTest: seed %d, %d refuted windows%n", base, refuted);
        assertThat(refuted).as("refuted windows, seed %d", base).isGreaterThan(ROUNDS / 10);
    }

    /** Short intervals on a 0..40 µs span, answers drawn from the values written so far or absent. */
    private static List<Operation> randomHistory(Random random) {
        int n = 2 + random.nextInt(OPERATIONS_MAX - 1);
        List<Value> values = new ArrayList<>();
        List<Operation> ops = new ArrayList<>();
        for (int id = 0; id < n; id++) {
            Kind kind = Kind.values()[random.nextInt(3)];
            long invoke = random.nextInt(40) * 1_000L;
            long complete = invoke + random.nextInt(15) * 1_000L;
            int roll = random.nextInt(10);
            Outcome outcome = roll < 2 ? Outcome.UNKNOWN : roll < 3 ? Outcome.FAIL : Outcome.OK;
            Value written = null;
            if (kind == Kind.PUT) {
                // Few distinct versions, so that two PUTs sometimes write the same value.
                written = Value.of("v" + random.nextInt(3), random.nextInt(2));
                values.add(written);
            }
            Reply reply = null;
            if (outcome == Outcome.OK) {
                reply = switch (kind) {
                    case PUT -> Reply.SUCCESS;
                    case REMOVE -> random.nextBoolean() ? Reply.SUCCESS : Reply.NO_SUCH_KEY;
                    case GET -> values.isEmpty() || random.nextInt(4) == 0 ? Reply.NO_SUCH_KEY
                            : Reply.read(values.get(random.nextInt(values.size())));
                };
            }
            ops.add(new Operation(id, id % 3, KEY, kind, written, invoke, outcome, complete, reply, ""));
        }
        return ops;
    }

    /**
     * Whether the operations not yet {@code placed} can follow, in some order, a prefix that left
     * {@code state} (null: absent). An operation may go next unless a required one completed before
     * it was invoked; FAIL ones never go, UNKNOWN ones may be left out.
     */
    private static boolean bruteForce(List<Operation> ops, boolean[] placed, Value state) {
        boolean allRequiredPlaced = true;
        for (int i = 0; i < ops.size(); i++) {
            allRequiredPlaced &= placed[i] || ops.get(i).outcome() != Outcome.OK;
        }
        if (allRequiredPlaced) {
            return true;
        }
        for (int i = 0; i < ops.size(); i++) {
            Operation op = ops.get(i);
            if (placed[i] || op.outcome() == Outcome.FAIL || mustWait(ops, placed, op)) {
                continue;
            }
            Value[] after = new Value[1];
            if (!takesEffect(op, state, after)) {
                continue;
            }
            placed[i] = true;
            boolean found = bruteForce(ops, placed, after[0]);
            placed[i] = false;
            if (found) {
                return true;
            }
        }
        return false;
    }

    private static boolean mustWait(List<Operation> ops, boolean[] placed, Operation op) {
        for (int j = 0; j < ops.size(); j++) {
            Operation other = ops.get(j);
            if (!placed[j] && other.outcome() == Outcome.OK && other.completeNanos() < op.invokeNanos()) {
                return true;
            }
        }
        return false;
    }

    /** The register's rules, written out from the protocol, independent of {@link RegisterModel}. */
    private static boolean takesEffect(Operation op, Value state, Value[] after) {
        boolean unknown = op.outcome() == Outcome.UNKNOWN;
        switch (op.kind()) {
            case PUT -> after[0] = op.written();
            case GET -> {
                after[0] = state;
                return unknown || (op.reply().found() ? Objects.equals(op.reply().read(), state) : state == null);
            }
            case REMOVE -> {
                after[0] = null;
                return unknown || op.reply().found() == (state != null);
            }
        }
        return true;
    }
}
