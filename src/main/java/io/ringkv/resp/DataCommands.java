package io.ringkv.resp;

import com.google.protobuf.UnsafeByteOperations;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The key-value commands, each turned into requests of the node's own protocol (PUT, GET,
 * REMOVE) and executed through {@link RespBackend#execute}, so that they take the same path as
 * UDP and TCP requests, routing included.
 *
 * <p>SET stores version 0: RESP has no versions, and a later versioned PUT over UDP or TCP
 * simply replaces it. Commands over several keys (DEL, EXISTS, MGET, MSET) issue one request per
 * key at once and answer when all are done; they are not atomic, and a failure of one key's
 * request leaves the others applied. The arguments have been counted by the caller.
 */
final class DataCommands {
    /** Version stored by SET and MSET; see the class comment. */
    static final int SET_VERSION = 0;

    private final RespBackend backend;
    private final RespLimits limits;
    private final KeySequencer conditional = new KeySequencer();

    DataCommands(RespBackend backend, RespLimits limits) {
        this.backend = backend;
        this.limits = limits;
    }

    CompletionStage<RespReply> get(List<byte[]> args) {
        byte[] key = args.get(1);
        RespReply invalid = limits.checkKey(key);
        if (invalid != null) {
            return done(invalid);
        }
        return backend.execute(request(Command.GET, key)).thenApply(DataCommands::valueOrNil);
    }

    /** SET key value [NX | XX]; EX, PX, EXAT, PXAT, KEEPTTL and GET are refused. */
    CompletionStage<RespReply> set(List<byte[]> args) {
        boolean nx = false;
        boolean xx = false;
        for (int i = 3; i < args.size(); i++) {
            String option = new String(args.get(i), java.nio.charset.StandardCharsets.ISO_8859_1).toUpperCase(Locale.ROOT);
            switch (option) {
                case "NX" -> nx = true;
                case "XX" -> xx = true;
                case "EX", "PX", "EXAT", "PXAT", "KEEPTTL" -> {
                    return done(RespReply.error("ERR SET " + option
                            + " is not supported: ringkv keys do not expire (yet)"));
                }
                case "GET" -> {
                    return done(RespReply.error("ERR SET GET is not supported by ringkv"));
                }
                default -> {
                    return done(RespReply.error("ERR syntax error"));
                }
            }
        }
        if (nx && xx) {
            return done(RespReply.error("ERR syntax error"));
        }
        byte[] key = args.get(1);
        byte[] value = args.get(2);
        RespReply invalid = invalidPair(key, value);
        if (invalid != null) {
            return done(invalid);
        }
        if (!nx && !xx) {
            return backend.execute(put(key, value)).thenApply(response -> okOr(response));
        }
        boolean mustExist = xx;
        // GET then PUT. Conditional SETs of one key on this node run one after the other, so of
        // two SET NX racing for a key exactly one wins; plain writes (SET, DEL, MSET, UDP and TCP
        // PUT and REMOVE) and conditional SETs on other nodes are not ordered against them.
        return conditional.run(key, () -> backend.execute(request(Command.GET, key)).thenCompose(found -> {
            int code = found.getErrCode();
            if (code != ErrorCode.SUCCESS.code() && code != ErrorCode.NO_SUCH_KEY.code()) {
                return done(failure(found));
            }
            boolean exists = code == ErrorCode.SUCCESS.code();
            if (exists != mustExist) {
                return done(RespReply.NULL);
            }
            return backend.execute(put(key, value)).thenApply(DataCommands::okOr);
        }));
    }

    CompletionStage<RespReply> del(List<byte[]> args) {
        return countSuccesses(args, Command.REMOVE);
    }

    CompletionStage<RespReply> exists(List<byte[]> args) {
        return countSuccesses(args, Command.GET);
    }

    CompletionStage<RespReply> mget(List<byte[]> args) {
        RespReply invalid = invalidKeys(args, 1, 1);
        if (invalid != null) {
            return done(invalid);
        }
        return all(args, 1, 1, key -> request(Command.GET, key)).thenApply(responses -> {
            List<RespReply> values = new ArrayList<>(responses.size());
            for (KVResponse response : responses) {
                RespReply value = valueOrNil(response);
                if (value instanceof RespReply.Error) {
                    return value;
                }
                values.add(value);
            }
            return new RespReply.Array(values);
        });
    }

    CompletionStage<RespReply> mset(List<byte[]> args) {
        if (args.size() % 2 == 0) {
            return done(RespReply.error("ERR wrong number of arguments for 'mset' command"));
        }
        for (int i = 1; i < args.size(); i += 2) {
            RespReply invalid = invalidPair(args.get(i), args.get(i + 1));
            if (invalid != null) {
                return done(invalid);
            }
        }
        List<CompletableFuture<KVResponse>> puts = new ArrayList<>(args.size() / 2);
        for (int i = 1; i < args.size(); i += 2) {
            puts.add(backend.execute(put(args.get(i), args.get(i + 1))).toCompletableFuture());
        }
        return allOf(puts).thenApply(responses -> {
            for (KVResponse response : responses) {
                if (response.getErrCode() != ErrorCode.SUCCESS.code()) {
                    return failure(response);
                }
            }
            return RespReply.OK;
        });
    }

    RespReply dbsize() {
        return RespReply.integer(backend.keys());
    }

    /** DEL counts keys removed, EXISTS keys found; a key named twice counts twice, as in Redis. */
    private CompletionStage<RespReply> countSuccesses(List<byte[]> args, Command command) {
        RespReply invalid = invalidKeys(args, 1, 1);
        if (invalid != null) {
            return done(invalid);
        }
        return all(args, 1, 1, key -> request(command, key)).thenApply(responses -> {
            long count = 0;
            for (KVResponse response : responses) {
                int code = response.getErrCode();
                if (code == ErrorCode.SUCCESS.code()) {
                    count++;
                } else if (code != ErrorCode.NO_SUCH_KEY.code()) {
                    return failure(response);
                }
            }
            return RespReply.integer(count);
        });
    }

    private RespReply invalidKeys(List<byte[]> args, int from, int step) {
        for (int i = from; i < args.size(); i += step) {
            RespReply invalid = limits.checkKey(args.get(i));
            if (invalid != null) {
                return invalid;
            }
        }
        return null;
    }

    private RespReply invalidPair(byte[] key, byte[] value) {
        RespReply invalid = limits.checkKey(key);
        return invalid != null ? invalid : limits.checkValue(value);
    }

    private CompletionStage<List<KVResponse>> all(List<byte[]> args, int from, int step,
            java.util.function.Function<byte[], KVRequest> request) {
        List<CompletableFuture<KVResponse>> stages = new ArrayList<>((args.size() - from + step - 1) / step);
        for (int i = from; i < args.size(); i += step) {
            stages.add(backend.execute(request.apply(args.get(i))).toCompletableFuture());
        }
        return allOf(stages);
    }

    private static CompletionStage<List<KVResponse>> allOf(List<CompletableFuture<KVResponse>> stages) {
        if (stages.size() == 1) {
            return stages.getFirst().thenApply(List::of);
        }
        return CompletableFuture.allOf(stages.toArray(CompletableFuture[]::new))
                .thenApply(ignored -> stages.stream().map(CompletableFuture::join).toList());
    }

    // The parser hands each argument over in an array of its own that nothing writes again: the
    // requests wrap the arrays instead of copying them.
    private static KVRequest request(Command command, byte[] key) {
        return KVRequest.newBuilder().setCommand(command.code()).setKey(UnsafeByteOperations.unsafeWrap(key)).build();
    }

    private static KVRequest put(byte[] key, byte[] value) {
        return KVRequest.newBuilder()
                .setCommand(Command.PUT.code())
                .setKey(UnsafeByteOperations.unsafeWrap(key))
                .setValue(UnsafeByteOperations.unsafeWrap(value))
                .setVersion(SET_VERSION)
                .build();
    }

    private static RespReply valueOrNil(KVResponse response) {
        int code = response.getErrCode();
        if (code == ErrorCode.SUCCESS.code()) {
            return new RespReply.Bulk(response.getValue().asReadOnlyByteBuffer());
        }
        return code == ErrorCode.NO_SUCH_KEY.code() ? RespReply.NULL : failure(response);
    }

    private static RespReply okOr(KVResponse response) {
        return response.getErrCode() == ErrorCode.SUCCESS.code() ? RespReply.OK : failure(response);
    }

    /**
     * The RESP error for a reply code that is not the expected outcome. The error codes (the word
     * after the dash) follow Redis where it has one for the same situation.
     */
    static RespReply failure(KVResponse response) {
        ErrorCode code = ErrorCode.of(response.getErrCode());
        if (code == null) {
            return RespReply.error("ERR the node answered code 0x" + Integer.toHexString(response.getErrCode()));
        }
        return RespReply.error(switch (code) {
            case OUT_OF_SPACE -> "OOM out of space: the node's storage budget (ringkv.storage.max-bytes)"
                    + " or free-disk guard (ringkv.storage.min-free-disk) is reached";
            case OVERLOAD -> "TRYAGAIN the node is overloaded, retry in " + response.getOverloadWaitTime() + " ms";
            case INVALID_KEY -> "ERR invalid key (see ringkv.limits.key-bytes-max)";
            case INVALID_VALUE -> "ERR invalid value (see ringkv.limits.value-bytes-max)";
            default -> "ERR " + code.description() + " (" + code.name() + ")";
        });
    }

    private static CompletionStage<RespReply> done(RespReply reply) {
        return CompletableFuture.completedFuture(reply);
    }
}
