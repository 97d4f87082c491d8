package io.ringkv.it;

import com.google.protobuf.ByteString;
import io.ringkv.client.OutcomeUnknownException;
import io.ringkv.client.RingKvClient;
import io.ringkv.client.RingKvException;
import io.ringkv.client.VersionedValue;
import io.ringkv.history.History;
import io.ringkv.history.Operation;
import io.ringkv.history.Operation.Reply;
import io.ringkv.history.Value;
import io.ringkv.wire.ErrorCode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * PUT, GET and REMOVE through the real client library, each recorded into a {@link History} as one
 * client saw it, for {@link io.ringkv.history.LinearizabilityChecker}. The operation is invoked in
 * the history just before the request is handed to the client and completed just after the client
 * returns, so the node's effect falls inside the recorded interval whatever the retries in between.
 *
 * <p>The client to use is passed per call, so that a cluster workload can send each request to any
 * node (an owner, a forwarder, a node that has just restarted) through clients it keeps per node.
 * One instance per client thread: it stands for one process of the history. Not thread-safe.
 *
 * <p>How answers become outcomes, and why:
 * <ul>
 *   <li>SUCCESS, and NO_SUCH_KEY to a GET or REMOVE: OK, with the reply.
 *   <li>INVALID_KEY, INVALID_VALUE, UNKNOWN_COMMAND: FAIL. The node answers them from the request
 *       alone, before it touches data, so no try of the same messageID can have been applied.
 *   <li>OUT_OF_SPACE: FAIL. Both engines refuse such a write before writing anything, and a retry
 *       of an applied try gets that try's cached SUCCESS, not a fresh refusal.
 *   <li>OVERLOAD, WRITE_LOCKED, NOT_RESPONSIBLE: UNKNOWN. Each says the last try was not executed,
 *       but the client retries under one messageID and an earlier try may have been: a forward
 *       whose reply was lost, then OVERLOAD from the entry node.
 *   <li>INTERNAL_FAILURE, codes this client does not know, and NO_SUCH_KEY to a PUT: UNKNOWN (the
 *       write may be on disk; an answer that makes no sense proves nothing either way).
 *   <li>No answer ({@link OutcomeUnknownException}): UNKNOWN.
 *   <li>Not sent at all (the client's in-flight limit, a request too large, a send that failed
 *       outright): FAIL, as the client library documents those cases.
 *   <li>Anything else: UNKNOWN, and the exception is rethrown, so the history stays complete.
 * </ul>
 */
public final class RecordingKv {
    private static final Set<Integer> NOT_APPLIED = Set.of(ErrorCode.INVALID_KEY.code(),
            ErrorCode.INVALID_VALUE.code(), ErrorCode.UNKNOWN_COMMAND.code(), ErrorCode.OUT_OF_SPACE.code());

    private final History history;
    private final int process;

    public RecordingKv(History history, int process) {
        this.history = history;
        this.process = process;
    }

    public Operation put(RingKvClient client, ByteString key, Value value) {
        return record(history.invokePut(process, key, value), false, () -> {
            client.put(key.toByteArray(), value.bytes().toByteArray(), value.version());
            return Reply.SUCCESS;
        });
    }

    public Operation get(RingKvClient client, ByteString key) {
        return record(history.invokeGet(process, key), true, () -> {
            VersionedValue read = client.get(key.toByteArray());
            return Reply.read(new Value(ByteString.copyFrom(read.value()), read.version()));
        });
    }

    public Operation remove(RingKvClient client, ByteString key) {
        return record(history.invokeRemove(process, key), true, () -> {
            client.remove(key.toByteArray());
            return Reply.SUCCESS;
        });
    }

    /**
     * Writes {@code operations} one per line to {@code target/it-logs/<name>.history}, for a person
     * to read when a check fails; returns the file.
     */
    public static Path save(List<Operation> operations, String name) {
        Path dir = Path.of(System.getProperty("ringkv.jar")).toAbsolutePath().getParent().resolve("it-logs");
        Path file = dir.resolve(name + ".history");
        try {
            Files.createDirectories(dir);
            Files.write(file, operations.stream().map(Operation::toString).toList());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return file;
    }

    private static Operation record(History.Pending pending, boolean mayFindNothing, Supplier<Reply> call) {
        Reply reply;
        try {
            reply = call.get();
        } catch (RingKvException e) {
            if (e.isNoSuchKey() && mayFindNothing) {
                return pending.ok(Reply.NO_SUCH_KEY);
            }
            return NOT_APPLIED.contains(e.code()) ? pending.fail(e.describe()) : pending.unknown(e.describe());
        } catch (OutcomeUnknownException e) {
            return pending.unknown(e.getMessage());
        } catch (RejectedExecutionException | IllegalArgumentException | UncheckedIOException e) {
            return pending.fail("not sent: " + e.getMessage());
        } catch (RuntimeException e) {
            pending.unknown("client threw " + e);
            throw e;
        }
        return pending.ok(reply);
    }
}
