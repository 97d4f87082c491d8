package io.ringkv.node;

import io.ringkv.resp.RespBackend;
import io.ringkv.storage.StorageEngine;
import io.ringkv.wire.Origin;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletionStage;

/**
 * The node as the RESP listener sees it: requests through the node's {@link KvService} (so they
 * are routed like UDP and TCP requests), key and byte counts from its own storage engine.
 */
record NodeRespBackend(KvService kv, StorageEngine storage, String nodeId, NodeContext node) implements RespBackend {
    /**
     * RESP has no messageIDs: each request gets a unique one, under an origin no UDP client can
     * have (port 0), so a forwarded RESP request never meets a cached reply it did not earn. The id
     * is a random per-process prefix and a counter: unique across nodes and restarts without
     * drawing random bytes per request.
     */
    private static final InetSocketAddress RESP_ORIGIN = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static final long ID_PREFIX = new java.security.SecureRandom().nextLong();
    private static final java.util.concurrent.atomic.AtomicLong ID_COUNTER = new java.util.concurrent.atomic.AtomicLong();

    @Override
    public CompletionStage<KVResponse> execute(KVRequest request) {
        byte[] id = new byte[16];
        long n = ID_COUNTER.incrementAndGet();
        for (int i = 0; i < 8; i++) {
            id[i] = (byte) (ID_PREFIX >>> (56 - 8 * i));
            id[8 + i] = (byte) (n >>> (56 - 8 * i));
        }
        return kv.execute(request, new Origin(RESP_ORIGIN, id)).thenApply(reply -> {
            if (reply == null || reply == KvService.OUTCOME_UNKNOWN) {
                throw new OutcomeUnknown("the key's owner did not answer the forwarded request; it may or may not"
                        + " have been applied");
            }
            return reply;
        });
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
