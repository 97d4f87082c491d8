package io.ringkv.node;

import io.ringkv.wire.Origin;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.util.concurrent.CompletionStage;

/**
 * Executes one decoded request and completes with its reply, in the codes of the UDP protocol
 * (design §2.1). The stage never completes exceptionally: failures become error replies. Every
 * front end (UDP, TCP, RESP) goes through one of these; at-most-once is the front end's job.
 *
 * <p>The stage may complete with null: no reply is sent or cached and the client's retry is
 * welcome, because the request was not executed (a peer routed by another ring) or executing it
 * again is harmless (a read). It completes with {@link #OUTCOME_UNKNOWN} when a write may have
 * been applied without the acknowledgement it needs (a forward to the owner got no answer, a
 * backup did not acknowledge): nothing is sent, and the client's retries of that messageID are
 * not executed again either, since the owner that applied it may be gone and a new owner would
 * apply it twice (a REMOVE answering NO_SUCH_KEY for its own first run). The client ends with an
 * unknown outcome, which is the truth.
 *
 * <p>Thread-safe; must not block the calling thread (Netty event loops call it).
 */
public interface KvService {
    /** The outcome of a write is unknown: answer nothing, now or to retries (compared by identity). */
    KVResponse OUTCOME_UNKNOWN = KVResponse.newBuilder().setErrCode(0xFF).build();

    /**
     * @param origin who first sent the request and under which messageID: the key of its
     *     at-most-once cache entry, passed on when the request is forwarded
     */
    CompletionStage<KVResponse> execute(KVRequest request, Origin origin);
}
