package io.ringkv.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ringkv.history.Operation.Outcome;
import io.ringkv.history.Operation.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The recorder: concurrent use, the injected clock, pending operations, and its limits. */
class HistoryTest {
    private static final ByteString KEY = ByteString.copyFromUtf8("k");

    @Test
    void manyThreadsRecordEveryOperationOnce() throws Exception {
        int threads = 8;
        int perThread = 5_000;
        History history = new History();
        List<Future<?>> done = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                int process = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        ByteString key = ByteString.copyFromUtf8("k" + i % 7);
                        switch (i % 3) {
                            case 0 -> history.invokePut(process, key, Value.of(process + "-" + i, i)).ok(Reply.SUCCESS);
                            case 1 -> history.invokeGet(process, key).unknown("timed out");
                            default -> history.invokeRemove(process, key).fail("INVALID_KEY");
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        List<Operation> ops = history.operations();
        assertThat(ops).hasSize(threads * perThread);
        assertThat(ops.stream().map(Operation::id).distinct()).hasSize(threads * perThread);
        assertThat(ops).allSatisfy(op -> assertThat(op.completeNanos()).isGreaterThanOrEqualTo(op.invokeNanos()));
        assertThat(ops.stream().collect(Collectors.groupingBy(Operation::outcome, Collectors.counting())))
                .containsEntry(Outcome.OK, (long) threads * 1_667)
                .containsEntry(Outcome.UNKNOWN, (long) threads * 1_667)
                .containsEntry(Outcome.FAIL, (long) threads * 1_666);
    }

    @Test
    void timesComeFromTheInjectedClock() {
        AtomicLong now = new AtomicLong(1_000);
        History history = new History(now::get, 10);
        History.Pending put = history.invokePut(3, KEY, Value.of("a", 1));
        now.set(2_500);
        Operation op = put.ok(Reply.SUCCESS);
        assertThat(op.invokeNanos()).isEqualTo(1_000);
        assertThat(op.completeNanos()).isEqualTo(2_500);
        assertThat(op.process()).isEqualTo(3);
        assertThat(history.operations()).containsExactly(op);
    }

    @Test
    void anOperationStillPendingReadsAsUnknownAndNeverCompleted() {
        History history = new History();
        history.invokeGet(0, KEY);
        Operation op = history.operations().getFirst();
        assertThat(op.outcome()).isEqualTo(Outcome.UNKNOWN);
        assertThat(op.completeNanos()).isEqualTo(Operation.NEVER);
        assertThat(op.note()).contains("pending");
    }

    @Test
    void completingTwiceIsRefused() {
        History.Pending pending = new History().invokeRemove(0, KEY);
        pending.ok(Reply.NO_SUCH_KEY);
        assertThatThrownBy(() -> pending.unknown("late")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("twice");
    }

    @Test
    void aFullHistoryRefusesMoreOperations() {
        History history = new History(System::nanoTime, 2);
        history.invokeGet(0, KEY);
        history.invokeGet(0, KEY);
        assertThatThrownBy(() -> history.invokeGet(0, KEY)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("full");
        assertThat(history.size()).isEqualTo(2);
    }

    @Test
    void answersThatDoNotFitTheRequestAreRefused() {
        History history = new History();
        assertThatThrownBy(() -> history.invokePut(0, KEY, Value.of("a", 1)).ok(Reply.NO_SUCH_KEY))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> history.invokeRemove(0, KEY).ok(Reply.read(Value.of("a", 1))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aRecordedHistoryGoesStraightToTheChecker() {
        AtomicLong now = new AtomicLong();
        History history = new History(() -> now.addAndGet(1_000), 100);
        history.invokePut(0, KEY, Value.of("a", 1)).ok(Reply.SUCCESS);
        History.Pending slowPut = history.invokePut(1, KEY, Value.of("b", 2));
        history.invokeGet(0, KEY).ok(Reply.read(Value.of("a", 1)));
        slowPut.unknown("timed out");
        history.invokeGet(0, KEY).ok(Reply.read(Value.of("b", 2)));
        history.invokeRemove(0, KEY).ok(Reply.SUCCESS);
        history.invokeGet(0, KEY).ok(Reply.NO_SUCH_KEY);

        assertThat(new LinearizabilityChecker().check(history.operations())).isInstanceOf(CheckResult.Ok.class);
    }
}
