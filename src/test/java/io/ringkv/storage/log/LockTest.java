package io.ringkv.storage.log;

import static io.ringkv.storage.log.Engines.b;
import static io.ringkv.storage.log.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The LOCK file: one engine per directory, and a dead holder's lock is taken over. */
@Timeout(60)
class LockTest {
    @TempDir
    Path dir;

    @Test
    void aSecondEngineOnTheSameDirectoryFailsClearly() throws Exception {
        var config = Engines.small(dir).build();
        try (LogEngine first = LogEngine.open(config)) {
            join(first.put(b("k"), b("v"), 1));
            assertThatThrownBy(() -> LogEngine.open(config))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("in use by another ringkv engine")
                    .hasMessageContaining(dir.toAbsolutePath().toString());
            assertThat(first.get(b("k")).value()).isEqualTo(b("v")); // the first is unharmed
        }
        try (LogEngine again = LogEngine.open(config)) {
            assertThat(again.get(b("k")).value()).isEqualTo(b("v"));
        }
    }

    @Test
    void aStaleLockFileIsTakenOver() throws Exception {
        Files.writeString(dir.resolve(LockFile.NAME), "pid 424242\n");
        try (LogEngine engine = LogEngine.open(Engines.small(dir).build())) {
            join(engine.put(b("k"), b("v"), 1));
        }
    }

    @Test
    void theLockOfAKilledProcessIsTakenOver() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(),
                dir.toString()).redirectErrorStream(true).start();
        try {
            var out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("locked");
            assertThatThrownBy(() -> LogEngine.open(Engines.small(dir).build()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("pid " + holder.pid());
            holder.destroyForcibly(); // SIGKILL: the LOCK file stays, the OS lock goes
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(dir.resolve(LockFile.NAME)).exists();
            try (LogEngine engine = LogEngine.open(Engines.small(dir).build())) {
                join(engine.put(b("k"), b("v"), 1));
            }
        } finally {
            holder.destroyForcibly();
        }
    }
}
