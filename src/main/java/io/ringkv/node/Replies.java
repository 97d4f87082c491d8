package io.ringkv.node;

import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVResponse;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Immutable replies that carry only a code, built once. */
final class Replies {
    private static final Map<ErrorCode, KVResponse> BY_CODE = new EnumMap<>(ErrorCode.class);

    static {
        for (ErrorCode code : ErrorCode.values()) {
            BY_CODE.put(code, KVResponse.newBuilder().setErrCode(code.code()).build());
        }
    }

    static final KVResponse SUCCESS = of(ErrorCode.SUCCESS);
    static final KVResponse NO_SUCH_KEY = of(ErrorCode.NO_SUCH_KEY);

    private Replies() {}

    static KVResponse of(ErrorCode code) {
        return BY_CODE.get(code);
    }

    static CompletionStage<KVResponse> done(KVResponse response) {
        return CompletableFuture.completedFuture(response);
    }
}
