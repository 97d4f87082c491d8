package io.ringkv.ecs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {
    @TempDir
    Path dir;

    @Test
    void aMissingFileMeansNoState() {
        assertThat(new StateStore(dir.resolve("none")).load()).isEmpty();
    }

    @Test
    void aStateSurvivesTheRoundTrip() {
        Member a = new Member("node-1", "127.0.0.1", 43100, 43200);
        ClusterState state = ClusterState.empty(8, 1)
                .withRing(Ring.of(3, 8, List.of(a)))
                .withNode(new NodeRecord("node-1", "127.0.0.1", 43100, 43200, NodeStatus.UP, 42L, "/l", "/d", true, 43300, "inc-1"))
                .withNextNodeNumber(2)
                .withOperation(OperationView.queued("op-1", OperationKind.ADD_NODES, List.of("node-1"), 1, 0,
                        Instant.parse("2026-01-01T00:00:00Z")).withError("boom"));
        StateStore store = new StateStore(dir);
        store.save(state);
        assertThat(store.load()).contains(state);
        assertThat(store.lastFailure()).isNull();
        assertThat(dir.resolve("cluster.json.tmp")).doesNotExist();
    }

    @Test
    void aCorruptFileStopsTheEcsWithAMessageNamingIt() throws Exception {
        Files.writeString(dir.resolve(StateStore.FILE_NAME), "{\"format\":1,\"ring\":");
        assertThatThrownBy(() -> new StateStore(dir).load())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cluster.json is corrupt");
    }

    @Test
    void aFileWithAnInvalidRingIsCorruptToo() throws Exception {
        Files.writeString(dir.resolve(StateStore.FILE_NAME), """
                {"format":1,"ring":{"epoch":1,"vnodes":0,"members":[]},"nodes":[],"nextNodeNumber":1,
                 "nextOperationNumber":1,"operations":[]}""");
        assertThatThrownBy(() -> new StateStore(dir).load()).hasMessageContaining("corrupt");
    }
}
