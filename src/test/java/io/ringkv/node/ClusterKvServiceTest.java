package io.ringkv.node;

import static io.ringkv.ring.ThreeMembers.A;
import static io.ringkv.ring.ThreeMembers.B;
import static io.ringkv.ring.ThreeMembers.C;
import static io.ringkv.ring.ThreeMembers.RING;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ringkv.client.RequestNotSentException;
import io.ringkv.cluster.ClusterState;
import io.ringkv.cluster.Handoff;
import io.ringkv.cluster.Lease;
import io.ringkv.cluster.Peers;
import io.ringkv.common.RingPosition;
import io.ringkv.replication.CatchUp;
import io.ringkv.replication.RangeKeys;
import io.ringkv.replication.Replicator;
import io.ringkv.storage.memory.MemoryEngine;
import io.ringkv.wire.Command;
import io.ringkv.wire.Origin;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What an entry node answers when forwarding a request to the key's owner fails: a request that
 * never left may be retried (the client's retry is routed again, by a newer ring if one came),
 * while one that may have reached the owner leaves a write's outcome unknown.
 */
@Timeout(30)
class ClusterKvServiceTest {
    private static final Origin ORIGIN = new Origin(new InetSocketAddress("127.0.0.1", 9), new byte[] {1, 2});

    private final MemoryEngine storage = new MemoryEngine(1 << 20);
    private final AtomicReference<Throwable> forwardFailure = new AtomicReference<>();
    private final Peers peers = (peer, request) -> CompletableFuture.failedFuture(forwardFailure.get());
    private final ClusterState cluster = new ClusterState("a", true, RING, Lease.notRequired());
    private final Replicator replicator = new Replicator("a", cluster, storage, peers, 200, Runnable::run);
    private final ClusterKvService service = new ClusterKvService(
            (request, origin) -> CompletableFuture.completedFuture(KVResponse.newBuilder().build()), cluster,
            new Handoff("a", storage, peers), peers, replicator, () -> false,
            new CatchUp("a", cluster, storage, replicator, peers, false), new RangeKeys(storage, peers, 10_000), false,
            1024, null);

    @AfterEach
    void close() {
        storage.close();
    }

    private static KVRequest request(Command command) {
        for (int i = 0; ; i++) {
            byte[] key = ("key-" + i).getBytes(StandardCharsets.UTF_8);
            if (RING.replicasOf(RingPosition.of(key)).getFirst().id().equals("b")) {
                return KVRequest.newBuilder().setCommand(command.code()).setKey(ByteString.copyFrom(key))
                        .setValue(ByteString.copyFromUtf8("v")).build();
            }
        }
    }

    private KVResponse execute(Command command) throws Exception {
        return service.execute(request(command), ORIGIN).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void aForwardThatNeverLeftIsRetriedByTheClientEvenForAWrite() throws Exception {
        forwardFailure.set(new RequestNotSentException("cannot connect", new ConnectException("refused")));
        assertThat(execute(Command.PUT)).as("no reply, and the retry is welcome").isNull();
        assertThat(execute(Command.REMOVE)).isNull();
        assertThat(execute(Command.GET)).isNull();
    }

    @Test
    void aForwardThatMayHaveReachedTheOwnerLeavesAWritesOutcomeUnknown() throws Exception {
        forwardFailure.set(new IOException("connection reset after the request was sent"));
        assertThat(execute(Command.PUT)).isSameAs(KvService.OUTCOME_UNKNOWN);
        assertThat(execute(Command.REMOVE)).isSameAs(KvService.OUTCOME_UNKNOWN);
        assertThat(execute(Command.GET)).as("a read may simply be asked again").isNull();
    }
}
