package io.ringkv.node;

import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.util.concurrent.CompletionStage;

/**
 * Executes one decoded request and completes with its reply, in the codes of the UDP protocol
 * (design §2.1). The stage never completes exceptionally: failures become error replies. Every
 * front end (UDP, TCP, RESP) goes through one of these; at-most-once is the front end's job.
 *
 * <p>Thread-safe; must not block the calling thread (Netty event loops call it).
 */
public interface KvService {
    CompletionStage<KVResponse> execute(KVRequest request);
}
