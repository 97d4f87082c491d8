package io.ringkv.node;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.ringkv.storage.StorageEngine;
import io.ringkv.storage.StorageException;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.Origin;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes requests on this node's own storage engine: validation of keys and values against the
 * configured limits, and the mapping of storage outcomes to protocol codes.
 */
final class LocalKvService implements KvService {
    private static final Logger log = LoggerFactory.getLogger(LocalKvService.class);
    /** Storage is shedding load; the wait is a guess at how long a group commit takes to drain. */
    private static final KVResponse BUSY = KVResponse.newBuilder()
            .setErrCode(ErrorCode.OVERLOAD.code())
            .setOverloadWaitTime(50)
            .build();

    private final NodeContext node;
    private final StorageEngine storage;
    private final int keyBytesMax;
    private final int valueBytesMax;

    LocalKvService(NodeContext node, StorageEngine storage, int keyBytesMax, int valueBytesMax) {
        this.node = node;
        this.storage = storage;
        this.keyBytesMax = keyBytesMax;
        this.valueBytesMax = valueBytesMax;
    }

    @Override
    public CompletionStage<KVResponse> execute(KVRequest kv, Origin origin) {
        Command command = Command.of(kv.getCommand());
        if (command == null) {
            return error(ErrorCode.UNKNOWN_COMMAND);
        }
        try {
            return switch (command) {
                case PUT, STORE_PUT -> {
                    if (!validKey(kv.getKey())) {
                        yield error(ErrorCode.INVALID_KEY);
                    }
                    if (kv.getValue().size() > valueBytesMax) {
                        yield error(ErrorCode.INVALID_VALUE);
                    }
                    yield storage.put(kv.getKey().toByteArray(), kv.getValue().toByteArray(), kv.getVersion())
                            .handle((ok, failure) -> failure == null ? Replies.SUCCESS : failureReply(command, failure));
                }
                case GET -> {
                    if (!validKey(kv.getKey())) {
                        yield error(ErrorCode.INVALID_KEY);
                    }
                    var found = storage.get(kv.getKey().toByteArray());
                    yield Replies.done(found == null
                            ? Replies.NO_SUCH_KEY
                            : KVResponse.newBuilder()
                                    .setErrCode(ErrorCode.SUCCESS.code())
                                    // The engine's array is the reply's own and never written again.
                                    .setValue(UnsafeByteOperations.unsafeWrap(found.value()))
                                    .setVersion(found.version())
                                    .build());
                }
                case REMOVE, STORE_REMOVE -> {
                    if (!validKey(kv.getKey())) {
                        yield error(ErrorCode.INVALID_KEY);
                    }
                    yield storage.remove(kv.getKey().toByteArray())
                            .handle((existed, failure) -> failure != null
                                    ? failureReply(command, failure)
                                    : existed ? Replies.SUCCESS : Replies.NO_SUCH_KEY);
                }
                case WIPEOUT -> storage.wipe()
                        .handle((ok, failure) -> failure == null ? Replies.SUCCESS : failureReply(command, failure));
                // The ring is the cluster layer's business; a node without one never gets here.
                case GET_RING, RANGE_PULL, HEARTBEAT_RELAY, RANGE_KEYS -> error(ErrorCode.UNKNOWN_COMMAND);
                case SHUTDOWN, IS_ALIVE -> Replies.done(Replies.SUCCESS);
                case GET_PID -> Replies.done(KVResponse.newBuilder()
                        .setErrCode(ErrorCode.SUCCESS.code())
                        .setPid((int) node.pid())
                        .build());
                case GET_MEMBERSHIP_COUNT -> Replies.done(KVResponse.newBuilder()
                        .setErrCode(ErrorCode.SUCCESS.code())
                        .setMembershipCount(node.membershipCount())
                        .build());
            };
        } catch (RuntimeException e) {
            return Replies.done(failureReply(command, e));
        }
    }

    private boolean validKey(ByteString key) {
        return !key.isEmpty() && key.size() <= keyBytesMax;
    }

    private static CompletionStage<KVResponse> error(ErrorCode code) {
        return Replies.done(Replies.of(code));
    }

    private static KVResponse failureReply(Command command, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause()
                : failure;
        if (cause instanceof StorageException se) {
            switch (se.reason()) {
                case OUT_OF_SPACE -> {
                    return Replies.of(ErrorCode.OUT_OF_SPACE);
                }
                case BUSY -> {
                    return BUSY;
                }
                case FAILURE -> {}
            }
        }
        log.warn("{} failed: {}", command, cause.toString(), cause instanceof StorageException ? null : cause);
        return Replies.of(ErrorCode.INTERNAL_FAILURE);
    }
}
