package io.ringkv.ecs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keeps the {@link ClusterState} in {@code <dir>/cluster.json}. A save is atomic and durable: the
 * new state goes to a temporary file that is fsynced, renamed over the old one, and the directory
 * is fsynced, so after a crash the file holds either the old state or the new one, never a mix.
 *
 * <p>Thread-safe: saves are serialized. Saves block on the disk; callers run them off request
 * threads where they can.
 */
public final class StateStore {
    public static final String FILE_NAME = "cluster.json";
    private static final String TEMP_SUFFIX = ".tmp";

    private final Path dir;
    private final Path file;
    private final JsonMapper json = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();
    /** Why the last save failed, or null after a good one: what the health indicator reports. */
    private volatile String lastFailure;

    public StateStore(Path dir) {
        this.dir = dir;
        this.file = dir.resolve(FILE_NAME);
    }

    public Path file() {
        return file;
    }

    /**
     * The persisted state; empty when there is none yet. A file that cannot be parsed stops the
     * ECS rather than being replaced: starting afresh would launch a second cluster beside nodes
     * that still hold data.
     */
    public Optional<ClusterState> load() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException missing) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the ECS state " + file, e);
        }
        try {
            ClusterState state = json.readValue(bytes, ClusterState.class);
            if (state.format() != ClusterState.FORMAT) {
                throw new IllegalStateException("the ECS state " + file + " has format " + state.format()
                        + ", this ECS reads format " + ClusterState.FORMAT);
            }
            state.currentRing(); // validates members, epoch and vnodes
            return Optional.of(state);
        } catch (JacksonException | IllegalArgumentException e) {
            throw new IllegalStateException("the ECS state " + file + " is corrupt (" + firstLine(e.getMessage())
                    + "); move it away to start a new cluster, or restore it from a copy", e);
        }
    }

    /** Writes the state atomically and durably; throws UncheckedIOException when the disk refuses. */
    public synchronized void save(ClusterState state) {
        Path temp = dir.resolve(FILE_NAME + TEMP_SUFFIX);
        try {
            Files.createDirectories(dir);
            byte[] bytes = json.writeValueAsBytes(state);
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                out.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            // The rename is durable only once the directory entry is on disk.
            try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
                directory.force(true);
            }
            lastFailure = null;
        } catch (IOException e) {
            lastFailure = e.toString();
            throw new UncheckedIOException("cannot write the ECS state " + file, e);
        }
    }

    /** Null when the last save succeeded (or none was tried), else why it failed. */
    public String lastFailure() {
        return lastFailure;
    }

    /** Whether a save could succeed now: the directory exists (or can be made) and is writable. */
    public boolean writable() {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            return false;
        }
        return Files.isWritable(dir);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int end = message.indexOf('\n');
        return end < 0 ? message : message.substring(0, end);
    }
}
