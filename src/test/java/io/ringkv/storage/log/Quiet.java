package io.ringkv.storage.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Turns the engine's logging down for tests that open thousands of engines, and back up. */
final class Quiet implements AutoCloseable {
    private final Logger logger = (Logger) LoggerFactory.getLogger("io.ringkv.storage.log");
    private final Level before = logger.getLevel();

    Quiet() {
        logger.setLevel(Level.OFF);
    }

    @Override
    public void close() {
        logger.setLevel(before);
    }
}
