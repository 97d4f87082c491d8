package io.ringkv.ecs;

import java.net.URI;
import java.time.Duration;
import java.util.Set;

/**
 * The launcher for nodes someone else runs: by hand, a script, an orchestrator. They are started
 * with {@code ringkv.node.ecs=<ECS URL>} and register themselves; the ECS never starts or kills a
 * process here.
 */
public final class StaticLauncher implements Launcher {
    @Override
    public boolean canLaunch() {
        return false;
    }

    @Override
    public NodeRecord launch(String id, URI ecsUrl, Set<Integer> portsTaken) {
        throw new ClusterException(ClusterException.Kind.BAD_REQUEST,
                "ringkv.ecs.launcher=static does not start nodes: start a node with --ringkv.node.ecs=" + ecsUrl
                        + " and it registers itself, or POST /api/v1/nodes {\"host\":…,\"port\":…,\"restPort\":…}");
    }

    @Override
    public NodeRecord relaunch(NodeRecord node, URI ecsUrl) {
        return launch(node.id(), ecsUrl, Set.of());
    }

    @Override
    public void adopt(NodeRecord node) {
        // Not ours to stop.
    }

    @Override
    public boolean isRunning(NodeRecord node) {
        return false;
    }

    @Override
    public void awaitExitOrStop(NodeRecord node, Duration grace) {
        // Not ours to stop: the node exits on its own after POST /shutdown.
    }

    @Override
    public void close() {
        // Nothing was started.
    }
}
