package io.ringkv.it;

import static io.ringkv.it.Kv.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import io.ringkv.wire.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every query of the Grafana dashboard names metrics that a real node exports: the node is given
 * some traffic of every kind (so lazily registered meters exist), its {@code /actuator/prometheus}
 * is scraped, and each panel's PromQL is checked name by name. A renamed meter or a typo in a
 * panel fails here instead of showing "No data" to an operator.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DashboardMetricsIT {
    private static final Path DASHBOARD = Path.of("dashboards", "ringkv-node.json");
    /** Metric names in PromQL: our own and Micrometer's JVM, process and system families. */
    private static final Pattern NAME = Pattern.compile("\\b((?:ringkv|jvm|process|system)_[a-zA-Z0-9_]+)\\b");
    /** {__name__=~"regex"} selectors. */
    private static final Pattern NAME_REGEX = Pattern.compile("__name__=~\"([^\"]+)\"");

    @Test
    void everyPanelQueryNamesAMetricTheNodeExports() throws IOException {
        String dashboard = Files.readString(DASHBOARD);
        Map<String, List<String>> queries = new LinkedHashMap<>();
        List<Map<String, Object>> panels = JsonPath.read(dashboard, "$.panels[?(@.targets)]");
        for (Map<String, Object> panel : panels) {
            List<String> exprs = JsonPath.read(panel, "$.targets[*].expr");
            queries.put("panel '" + panel.get("title") + "'", exprs);
        }
        List<String> variables = JsonPath.read(dashboard, "$.templating.list[?(@.definition)].definition");
        queries.put("variables", variables);
        assertThat(queries).hasSizeGreaterThan(20);

        String exposition;
        try (NodeProcess node = NodeProcess.start("DashboardMetricsIT"); UdpKv udp = node.udp()) {
            assertThat(udp.put(bytes("k"), bytes("v"), 1).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            assertThat(udp.get(bytes("k")).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            assertThat(udp.get(bytes("missing")).getErrCode()).isEqualTo(ErrorCode.NO_SUCH_KEY.code());
            assertThat(udp.remove(bytes("k")).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            udp.send(new byte[] {0x0a, 0x01, 0x00, 0x19, 1, 2, 3, 4, 5, 6, 7, 8}); // bad checksum: discarded
            System.gc(); // no-op for the node; its own start-up has long run a GC
            exposition = node.get("/actuator/prometheus", false).body();
        }
        Set<String> exported = exposition.lines()
                .filter(line -> !line.startsWith("#") && !line.isBlank())
                .map(line -> line.split("[{ ]", 2)[0])
                .collect(Collectors.toCollection(TreeSet::new));

        List<String> missing = new ArrayList<>();
        queries.forEach((where, exprs) -> {
            for (String expr : exprs) {
                Matcher names = NAME.matcher(expr.replaceAll(NAME_REGEX.pattern(), ""));
                int found = 0;
                while (names.find()) {
                    found++;
                    if (!exported.contains(names.group(1))) {
                        missing.add(where + ": " + names.group(1));
                    }
                }
                Matcher regexes = NAME_REGEX.matcher(expr);
                while (regexes.find()) {
                    found++;
                    Pattern wanted = Pattern.compile(regexes.group(1));
                    if (exported.stream().noneMatch(n -> wanted.matcher(n).matches())) {
                        missing.add(where + ": __name__=~" + regexes.group(1));
                    }
                }
                assertThat(found).as("%s: a query that names no metric: %s", where, expr).isPositive();
            }
        });
        assertThat(missing).as("metrics the dashboard queries but the node does not export (it exports %s)", exported)
                .isEmpty();
    }
}
