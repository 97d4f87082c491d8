package io.ringkv.node;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The node as an operating-system process: its pid, and how it ends. */
final class ProcessNode implements NodeContext {
    private static final Logger log = LoggerFactory.getLogger(ProcessNode.class);
    /**
     * Time given to replies already queued on a socket (the SHUTDOWN acknowledgement itself) to
     * leave before the listeners close. Flushes take microseconds; this only guards the race.
     */
    private static final long REPLY_DRAIN_MS = 100;

    private final ConfigurableApplicationContext context;
    private final long pid = ProcessHandle.current().pid();
    private final long startedAtMillis = System.currentTimeMillis();
    private final AtomicBoolean shuttingDown = new AtomicBoolean();

    ProcessNode(ConfigurableApplicationContext context) {
        this.context = context;
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public int membershipCount() {
        return 1;
    }

    long startedAtMillis() {
        return startedAtMillis;
    }

    @Override
    public void shutdown(String reason) {
        if (!shuttingDown.compareAndSet(false, true)) {
            return;
        }
        log.info("shutting down: {}", reason);
        Thread exit = new Thread(() -> {
            try {
                Thread.sleep(REPLY_DRAIN_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.exit(SpringApplication.exit(context, () -> 0));
        }, "ringkv-shutdown");
        exit.setDaemon(false);
        exit.start();
    }
}
