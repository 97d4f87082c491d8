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
 * <p>The stage may complete with null: the outcome is unknown (a forward to the owner got no
 * answer) and no reply must be sent or cached, so that the client retries and the retry, carrying
 * the same origin, is recognised by the owner's at-most-once cache.
 *
 * <p>Thread-safe; must not block the calling thread (Netty event loops call it).
 */
public interface KvService {
    /**
     * @param origin who first sent the request and under which messageID: the key of its
     *     at-most-once cache entry, passed on when the request is forwarded
     */
    CompletionStage<KVResponse> execute(KVRequest request, Origin origin);
}
