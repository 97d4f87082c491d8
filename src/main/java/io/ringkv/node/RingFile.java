package io.ringkv.node;

import io.ringkv.ring.Ring;
import io.ringkv.ring.RingView;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The last ring a cluster node adopted, kept in {@code <storage dir>/ring.json} so that a node
 * restarted while its ECS is down still routes by it. Written whole to a temporary file, fsynced
 * and renamed over the old one, so a crash leaves the old ring or the new one, never a torn file;
 * an unreadable file is reported and ignored (the node then waits for its ECS).
 */
final class RingFile {
    private static final Logger log = LoggerFactory.getLogger(RingFile.class);
    static final String NAME = "ring.json";

    private final Path file;
    private final JsonMapper json;

    RingFile(Path dir, JsonMapper json) {
        this.file = dir.resolve(NAME);
        this.json = json;
    }

    /** The ring saved last, or null when there is none or it cannot be read. */
    Ring load() {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            Ring ring = json.readValue(Files.readString(file), RingView.class).toRing();
            log.info("routing by the ring saved in {} (epoch {}, {} members) until the ECS says otherwise", file,
                    ring.epoch(), ring.members().size());
            return ring;
        } catch (IOException | JacksonException | IllegalArgumentException | NullPointerException e) {
            log.warn("ignoring {}: {}; waiting for the ECS's ring", file, e.toString());
            return null;
        }
    }

    /** Saves the ring; a failure is logged, not thrown: the node keeps routing by it in memory. */
    void save(Ring ring) {
        Path temp = file.resolveSibling(NAME + ".tmp");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(temp, json.writeValueAsString(RingView.of(ring)));
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | JacksonException e) {
            log.warn("cannot save ring epoch {} to {}: {}", ring.epoch(), file, e.toString());
        }
    }
}
