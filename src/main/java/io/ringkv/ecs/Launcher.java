package io.ringkv.ecs;

import java.net.URI;
import java.time.Duration;
import java.util.Set;

/**
 * Starts and stops node processes for the coordinator. Implementations: {@link LocalLauncher}
 * (child JVMs of the ECS's own jar) and {@link StaticLauncher} (nodes started by someone else,
 * which register themselves).
 *
 * <p>Called from one operation thread at a time, and from {@link #close()} at shutdown.
 */
public interface Launcher extends AutoCloseable {

    /** Whether {@link #launch} works; a static launcher only admits nodes that register. */
    boolean canLaunch();

    /**
     * Starts a node process and returns at once, without waiting until it is ready.
     *
     * @param id the node's id
     * @param ecsUrl where the node reaches the ECS
     * @param portsTaken ports of known nodes, never handed out again even while those are down
     * @return the node's record: JOINING, with its ports, pid, log file and data directory
     */
    NodeRecord launch(String id, URI ecsUrl, Set<Integer> portsTaken);

    /** Starts a known local node again on its own ports and data directory; returns it with the new pid. */
    NodeRecord relaunch(NodeRecord node, URI ecsUrl);

    /**
     * Takes responsibility for a running node found again after an ECS restart: {@link #close()}
     * stops it like the nodes launched by this process.
     */
    void adopt(NodeRecord node);

    /** Whether the node's recorded process still runs (false when there is no pid). */
    boolean isRunning(NodeRecord node);

    /**
     * Waits up to {@code grace} for the node's process to exit (after a shutdown request), then
     * sends SIGTERM and, after another grace period, SIGKILL. Returns once it is gone; a node
     * without a pid returns at once.
     */
    void awaitExitOrStop(NodeRecord node, Duration grace);

    /** Stops every process this launcher owns (SIGTERM, then SIGKILL after a grace period). */
    @Override
    void close();
}
