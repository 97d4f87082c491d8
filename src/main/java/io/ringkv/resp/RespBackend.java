package io.ringkv.resp;

import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.util.concurrent.CompletionStage;

/**
 * What the RESP front end needs from the node it runs in. Data commands go through
 * {@link #execute}, the node's request path (which may route a request to another node), never
 * to a storage engine directly.
 *
 * <p>Thread-safe; no method may block (Netty event loops call them).
 */
public interface RespBackend {
    /**
     * Executes one request in the codes of the UDP protocol. The stage completes exceptionally
     * only with {@link OutcomeUnknown}; it may complete on another thread.
     */
    CompletionStage<KVResponse> execute(KVRequest request);

    /** No answer came from the node that owns the key: the request may or may not have been applied. */
    final class OutcomeUnknown extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public OutcomeUnknown(String message) {
            super(message, null, false, false);
        }
    }

    /** Live keys stored on this node (not the cluster): what DBSIZE answers. */
    long keys();

    /** Bytes of live data on this node, in the storage engine's accounting. */
    long bytes();

    /** Stable id of this node, for INFO. */
    String nodeId();

    /** The operating-system process id, for INFO. */
    long pid();
}
