package io.ringkv.storage.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringkv.storage.StorageException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class MemoryEngineTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void storesValuesWithVersions() {
        try (var engine = new MemoryEngine(1 << 20)) {
            engine.put(b("k"), b("v1"), 3).toCompletableFuture().join();
            assertThat(engine.get(b("k")).value()).isEqualTo(b("v1"));
            assertThat(engine.get(b("k")).version()).isEqualTo(3);
            engine.put(b("k"), b("v2"), -1).toCompletableFuture().join();
            assertThat(engine.get(b("k")).value()).isEqualTo(b("v2"));
            assertThat(engine.get(b("k")).version()).isEqualTo(-1);
            assertThat(engine.keys()).isEqualTo(1);
        }
    }

    @Test
    void callerMayReuseItsArrays() {
        try (var engine = new MemoryEngine(1 << 20)) {
            byte[] key = b("k");
            byte[] value = b("v");
            engine.put(key, value, 0).toCompletableFuture().join();
            key[0] = 'x';
            value[0] = 'x';
            assertThat(engine.get(b("k")).value()).isEqualTo(b("v"));
        }
    }

    @Test
    void removeSaysWhetherTheKeyExisted() {
        try (var engine = new MemoryEngine(1 << 20)) {
            engine.put(b("k"), b("v"), 0).toCompletableFuture().join();
            assertThat(engine.remove(b("k")).toCompletableFuture().join()).isTrue();
            assertThat(engine.remove(b("k")).toCompletableFuture().join()).isFalse();
            assertThat(engine.get(b("k"))).isNull();
            assertThat(engine.bytes()).isZero();
        }
    }

    @Test
    void fullBudgetAnswersOutOfSpaceAndRemovesGiveRoomBack() {
        int valueBytes = 1000;
        long perEntry = MemoryEngine.cost(4, valueBytes);
        try (var engine = new MemoryEngine(perEntry * 10)) {
            for (int i = 0; i < 10; i++) {
                engine.put(b("k%03d".formatted(i)), new byte[valueBytes], 0).toCompletableFuture().join();
            }
            var full = engine.put(b("k999"), new byte[valueBytes], 0).toCompletableFuture();
            assertThatThrownBy(full::join)
                    .isInstanceOf(CompletionException.class)
                    .cause()
                    .isInstanceOfSatisfying(StorageException.class,
                            e -> assertThat(e.reason()).isEqualTo(StorageException.Reason.OUT_OF_SPACE));
            assertThat(engine.get(b("k999"))).isNull();
            // Replacing a value with one of the same size still fits.
            engine.put(b("k000"), new byte[valueBytes], 1).toCompletableFuture().join();
            engine.remove(b("k001")).toCompletableFuture().join();
            engine.put(b("k999"), new byte[valueBytes], 0).toCompletableFuture().join();
            assertThat(engine.bytes()).isEqualTo(perEntry * 10);
        }
    }

    @Test
    void wipeRemovesEverything() {
        try (var engine = new MemoryEngine(1 << 20)) {
            for (int i = 0; i < 100; i++) {
                engine.put(b("k" + i), b("v" + i), i).toCompletableFuture().join();
            }
            engine.wipe().toCompletableFuture().join();
            assertThat(engine.keys()).isZero();
            assertThat(engine.bytes()).isZero();
            assertThat(engine.get(b("k1"))).isNull();
        }
    }

    @Test
    void matchesAMapModelUnderRandomOperations() {
        long seed = io.ringkv.common.TestSeeds.seed();
        Random random = new Random(seed);
        Map<String, String> model = new HashMap<>();
        try (var engine = new MemoryEngine(1 << 30)) {
            for (int i = 0; i < 20_000; i++) {
                String key = "k" + random.nextInt(200);
                switch (random.nextInt(3)) {
                    case 0 -> {
                        String value = "v" + random.nextInt();
                        engine.put(b(key), b(value), i).toCompletableFuture().join();
                        model.put(key, value);
                    }
                    case 1 -> assertThat(engine.remove(b(key)).toCompletableFuture().join())
                            .as("seed %d", seed)
                            .isEqualTo(model.remove(key) != null);
                    default -> {
                        var found = engine.get(b(key));
                        String expected = model.get(key);
                        assertThat(found == null ? null : new String(found.value(), StandardCharsets.UTF_8))
                                .as("seed %d", seed)
                                .isEqualTo(expected);
                    }
                }
            }
            assertThat(engine.keys()).as("seed %d", seed).isEqualTo(model.size());
            long expectedBytes = model.entrySet().stream()
                    .mapToLong(e -> MemoryEngine.cost(b(e.getKey()).length, b(e.getValue()).length))
                    .sum();
            assertThat(engine.bytes()).as("seed %d", seed).isEqualTo(expectedBytes);
        }
    }

    @Test
    void closedEngineRefuses() {
        var engine = new MemoryEngine(1 << 20);
        engine.close();
        assertThatThrownBy(() -> engine.get(b("k"))).isInstanceOf(StorageException.class);
        assertThat(engine.put(b("k"), b("v"), 0).toCompletableFuture()).isCompletedExceptionally();
    }
}
