package io.ringkv.node;

import io.ringkv.resp.RespBackend;
import io.ringkv.storage.StorageEngine;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.util.concurrent.CompletionStage;

/**
 * The node as the RESP listener sees it: requests through the node's {@link KvService} (so they
 * are routed like UDP and TCP requests), key and byte counts from its own storage engine.
 */
record NodeRespBackend(KvService kv, StorageEngine storage, String nodeId, NodeContext node) implements RespBackend {
    @Override
    public CompletionStage<KVResponse> execute(KVRequest request) {
        return kv.execute(request);
    }

    @Override
    public long keys() {
        return storage.keys();
    }

    @Override
    public long bytes() {
        return storage.bytes();
    }

    @Override
    public long pid() {
        return node.pid();
    }
}
