package io.ringkv.resp;

import com.google.protobuf.ByteString;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * An in-memory node for the RESP tests: GET answers at once; PUT and REMOVE answer at once too,
 * unless {@link #holdWrites} is set, in which case they wait in {@link #heldWrites} until a test
 * completes them (as a write waits for an fsync). {@link #failWith} answers every request that
 * error code instead. Single-threaded, like the EmbeddedChannel that drives it.
 */
final class FakeBackend implements RespBackend {
    final Map<ByteString, ByteString> data = new HashMap<>();
    final Queue<Runnable> heldWrites = new ArrayDeque<>();
    boolean holdWrites;
    /** With holdWrites: a write becomes visible only when released, as in the log engine. */
    boolean applyOnRelease;
    ErrorCode failWith;
    int requests;

    @Override
    public CompletionStage<KVResponse> execute(KVRequest request) {
        requests++;
        if (failWith != null) {
            return CompletableFuture.completedFuture(KVResponse.newBuilder()
                    .setErrCode(failWith.code())
                    .setOverloadWaitTime(50)
                    .build());
        }
        Command command = Command.of(request.getCommand());
        return switch (command) {
            case GET -> {
                ByteString value = data.get(request.getKey());
                yield done(value == null ? code(ErrorCode.NO_SUCH_KEY)
                        : KVResponse.newBuilder().setErrCode(0).setValue(value).build());
            }
            case PUT -> write(() -> {
                data.put(request.getKey(), request.getValue());
                return code(ErrorCode.SUCCESS);
            });
            case REMOVE -> write(() -> code(data.remove(request.getKey()) != null
                    ? ErrorCode.SUCCESS : ErrorCode.NO_SUCH_KEY));
            default -> done(code(ErrorCode.UNKNOWN_COMMAND));
        };
    }

    private CompletionStage<KVResponse> write(java.util.function.Supplier<KVResponse> apply) {
        if (!holdWrites) {
            return done(apply.get());
        }
        CompletableFuture<KVResponse> future = new CompletableFuture<>();
        if (applyOnRelease) {
            heldWrites.add(() -> future.complete(apply.get()));
        } else {
            // Applied at once (a later GET sees it), acknowledged later.
            KVResponse response = apply.get();
            heldWrites.add(() -> future.complete(response));
        }
        return future;
    }

    void releaseWrites() {
        while (!heldWrites.isEmpty()) {
            heldWrites.poll().run();
        }
    }

    private static KVResponse code(ErrorCode code) {
        return KVResponse.newBuilder().setErrCode(code.code()).build();
    }

    private static CompletionStage<KVResponse> done(KVResponse response) {
        return CompletableFuture.completedFuture(response);
    }

    @Override
    public long keys() {
        return data.size();
    }

    @Override
    public long bytes() {
        return data.entrySet().stream().mapToLong(e -> e.getKey().size() + e.getValue().size()).sum();
    }

    @Override
    public String nodeId() {
        return "node-test";
    }

    @Override
    public long pid() {
        return 42;
    }
}
