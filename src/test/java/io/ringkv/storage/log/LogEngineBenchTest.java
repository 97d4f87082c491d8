package io.ringkv.storage.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs {@link LogEngineBench} in child JVMs started as a node is ({@code -Xmx64m}) and prints
 * the figures. Only with {@code -Dringkv.long=true} (minutes, gigabytes of disk); it asserts
 * nothing about speed, only that the runs finish and the keys fit.
 * {@code -Dringkv.bench.keys=10000000} sets the big load (default 5 million);
 * {@code -Dringkv.bench.dir=/path} where the data goes (default a temp dir, deleted after).
 */
@Timeout(value = 60, unit = TimeUnit.MINUTES)
class LogEngineBenchTest {

    @Test
    void measure() throws Exception {
        assumeTrue(Boolean.getBoolean("ringkv.long"), "measurements run with -Dringkv.long=true");
        long bigKeys = Long.getLong("ringkv.bench.keys", 5_000_000);
        Path base = Path.of(System.getProperty("ringkv.bench.dir", Files.createTempDirectory("ringkv-bench").toString()));
        List<String> lines = new ArrayList<>();
        try {
            lines.addAll(run("load", base.resolve("big").toString(), String.valueOf(bigKeys)));
            lines.addAll(run("restart", base.resolve("big").toString()));
            delete(base.resolve("big"));
            Path million = base.resolve("million");
            lines.addAll(run("load", million.toString(), "1000000"));
            lines.addAll(run("restart", million.toString()));
            lines.addAll(run("nohints", million.toString()));
            lines.addAll(run("restart", million.toString()));
            lines.addAll(run("gets", million.toString(), "1000000", "5", "32"));
            lines.addAll(run("merge", million.toString(), "1000000"));
            for (String policy : List.of("always", "interval", "never")) {
                lines.addAll(run("puts", base.resolve("puts-" + policy).toString(), policy, "5", "32"));
            }
        } finally {
            delete(base);
        }
        System.out.println("==== log engine figures ====");
        lines.forEach(System.out::println);
        assertThat(lines).anyMatch(l -> l.startsWith("BENCH load keys " + bigKeys + " failed 0"));
    }

    private static List<String> run(String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                LogEngineBench.class.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> figures = new ArrayList<>();
        try (var out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                System.out.println(line);
                if (line.startsWith("BENCH")) {
                    figures.add(line);
                }
            }
        }
        assertThat(process.waitFor(30, TimeUnit.MINUTES)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", args)).isZero();
        return figures;
    }

    private static void delete(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
