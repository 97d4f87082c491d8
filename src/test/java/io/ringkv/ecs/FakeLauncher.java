package io.ringkv.ecs;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Launches {@link FakeNodes} nodes: ports counted up from 50000, pids from 1000. */
final class FakeLauncher implements Launcher {
    private final FakeNodes nodes;
    private int nextPort = 50_000;
    private long nextPid = 1000;
    final List<String> stopped = new ArrayList<>();
    final List<String> relaunched = new ArrayList<>();
    /** Nodes launched with this id are never ready (their process exits at once). */
    String broken;

    FakeLauncher(FakeNodes nodes) {
        this.nodes = nodes;
    }

    @Override
    public boolean canLaunch() {
        return true;
    }

    @Override
    public NodeRecord launch(String id, URI ecsUrl, Set<Integer> portsTaken) {
        int port = nextPort++;
        int rest = nextPort++;
        return start(new NodeRecord(id, "127.0.0.1", port, rest, NodeStatus.JOINING, null, "/logs/" + id + ".log",
                "/data/" + id, true, 0, null));
    }

    @Override
    public NodeRecord relaunch(NodeRecord node, URI ecsUrl) {
        relaunched.add(node.id());
        return start(node);
    }

    private NodeRecord start(NodeRecord record) {
        FakeNodes.Node node = nodes.node(record.id());
        node.pid = nextPid++;
        node.incarnation = "inc-" + node.pid;
        node.running = !record.id().equals(broken);
        node.epoch = -1;
        return record.withPid(node.pid);
    }

    @Override
    public void adopt(NodeRecord node) {}

    @Override
    public boolean isRunning(NodeRecord node) {
        FakeNodes.Node fake = nodes.nodes.get(node.id());
        return fake != null && fake.running && node.pid() != null && fake.pid == node.pid();
    }

    @Override
    public void awaitExitOrStop(NodeRecord node, Duration grace) {
        stopped.add(node.id());
        FakeNodes.Node fake = nodes.nodes.get(node.id());
        if (fake != null) {
            fake.running = false;
        }
    }

    @Override
    public void close() {}
}
