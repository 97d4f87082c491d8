package io.ringkv.cluster;

import io.ringkv.ring.Member;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.util.concurrent.CompletableFuture;

/**
 * Request/reply to other nodes. Assumptions callers may make: a reply, when it comes, is the peer's
 * answer to exactly this request; a future that fails means the outcome is unknown (the request may
 * have been executed), except that a failure caused by a {@link
 * io.ringkv.client.RequestNotSentException} means the request never left; the call never blocks
 * for long. Nothing is assumed about ordering between
 * requests.
 */
public interface Peers {
    CompletableFuture<KVResponse> exchange(Member peer, KVRequest request);
}
