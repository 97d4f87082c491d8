package io.ringkv.history;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.common.TestSeeds;
import io.ringkv.history.HistoryMutations.Mutated;
import io.ringkv.history.HistoryMutations.Mutation;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Seeded random histories: those of correct registers ({@link SimulatedRegisters}) must check OK,
 * and each {@link Mutation} of them must check as a violation of the key it broke.
 *
 * <p>Each round uses seed {@code base + round}; a failure names its round's seed, and
 * {@code -Dringkv.seed=<that seed> -Dringkv.history.rounds=1} replays exactly that round.
 */
class RandomHistoryTest {
    private static final int ROUNDS = Integer.getInteger("ringkv.history.rounds", 300);

    private final LinearizabilityChecker checker = new LinearizabilityChecker();

    @Test
    void historiesOfCorrectRegistersAreLinearizable() {
        long base = TestSeeds.seed();
        SimulatedRegisters shape = SimulatedRegisters.small();
        for (int round = 0; round < ROUNDS; round++) {
            long seed = base + round;
            List<Operation> history = shape.generate(new Random(seed));
            CheckResult result = checker.check(history);
            assertThat(result).as("seed %d (replay: -Dringkv.seed=%d -Dringkv.history.rounds=1): %s", seed, seed,
                    result).isInstanceOf(CheckResult.Ok.class);
        }
    }

    /** Many clients on one key, with many lost and failed requests: the hard case for the search. */
    @Test
    void busyHotKeysWithManyUnknownOutcomesAreLinearizable() {
        long base = TestSeeds.seed();
        SimulatedRegisters shape = new SimulatedRegisters(8, 1, 400, 40, 20, 20, 5, 100, 10);
        for (int round = 0; round < ROUNDS / 10; round++) {
            long seed = base + round;
            CheckResult result = checker.check(shape.generate(new Random(seed)));
            assertThat(result).as("seed %d (replay: -Dringkv.seed=%d -Dringkv.history.rounds=10): %s", seed, seed,
                    result).isInstanceOf(CheckResult.Ok.class);
        }
    }

    @ParameterizedTest
    @EnumSource(Mutation.class)
    void aMutationThatBreaksLinearizabilityIsFound(Mutation mutation) {
        long base = TestSeeds.seed();
        SimulatedRegisters shape = SimulatedRegisters.small();
        int applied = 0;
        for (int round = 0; round < ROUNDS; round++) {
            long seed = base + round;
            Random random = new Random(seed);
            Optional<Mutated> mutated = HistoryMutations.apply(mutation, shape.generate(random), random);
            if (mutated.isEmpty()) {
                continue;
            }
            applied++;
            CheckResult result = checker.check(mutated.get().history());
            String context = String.format("seed %d (replay: -Dringkv.seed=%d -Dringkv.history.rounds=1), %s: %s",
                    seed, seed, mutated.get().what(), result);
            assertThat(result).as(context).isInstanceOf(CheckResult.Violation.class);
            assertThat(((CheckResult.Violation) result).key()).as(context).isEqualTo(mutated.get().key());
        }
        System.out.printf("RandomHistoryTest %s: seed %d, %d of %d rounds had a place for the mutation%n", mutation,
                base, applied, ROUNDS);
        // Not vacuous: REMOVE_TWICE, the rarest, fits about 7% of rounds.
        assertThat(applied).as("rounds with a place for %s, seed %d", mutation, base)
                .isGreaterThanOrEqualTo(ROUNDS / 50);
    }
}
