package io.ringkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Start-up configuration errors end the process quickly with a non-zero code and a message that
 * names what is wrong, instead of a node that runs with a silently defaulted setting.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeConfigIT {
    /** Start-up to failure takes a few seconds on a slow machine; a node that runs on is the bug. */
    private static final Duration EXIT_WAIT = Duration.ofSeconds(30);

    @Test
    void portOutOfRangeFailsStartup() {
        assertStartupFails("port", args -> args.put("ringkv.node.port", "70000"), "ringkv.node.port");
    }

    @Test
    void respPortOutOfRangeFailsStartup() {
        assertStartupFails("respPort", args -> args.put("ringkv.node.resp-port", "65536"), "ringkv.node.resp-port");
    }

    @Test
    void respPortEqualToNodePortFailsStartup() {
        String output = assertStartupFails("respPortClash",
                args -> args.put("ringkv.node.resp-port", args.get("ringkv.node.port")), "ringkv.node.resp-port");
        assertThat(output).contains("must differ from ringkv.node.port");
    }

    @Test
    void zeroKeyLimitFailsStartup() {
        assertStartupFails("keyBytesMax", args -> args.put("ringkv.limits.key-bytes-max", "0"),
                "ringkv.limits.key-bytes-max");
    }

    @Test
    void misspelledPropertyFailsStartup() {
        assertStartupFails("typo", args -> args.put("ringkv.node.prot", "1"), "ringkv.node.prot");
    }

    @Test
    void nonNumericValueFailsStartup() {
        assertStartupFails("notANumber", args -> args.put("ringkv.node.inflight-max", "many"),
                "ringkv.node.inflight-max");
    }

    @Test
    void startingWithoutARoleFails() {
        String output = assertStartupFails("noRole", args -> args.remove("spring.profiles.active"), "role");
        assertThat(output).contains("spring.profiles.active=node");
    }

    /** Launches with the change, asserts a quick non-zero exit whose output names the fault, returns the output. */
    private static String assertStartupFails(String name, Consumer<Map<String, String>> change, String named) {
        try (NodeProcess node = NodeProcess.spawn("NodeConfigIT-" + name, change)) {
            OptionalInt exit = node.awaitExit(EXIT_WAIT);
            String output = node.output();
            assertThat(exit).as("exit code of %s; output:%n%s", node, output).isPresent();
            assertThat(exit.getAsInt()).as("exit code; output:%n%s", output).isNotZero();
            assertThat(output).containsAnyOf(named, camelCase(named));
            return output;
        }
    }

    /**
     * Spring reports a failed bean validation under the record component's name
     * ({@code ringkv.limits.keyBytesMax}), which relaxed binding accepts as the same property.
     */
    private static String camelCase(String kebab) {
        var camel = new StringBuilder();
        for (int i = 0; i < kebab.length(); i++) {
            char c = kebab.charAt(i);
            if (c == '-' && i + 1 < kebab.length()) {
                camel.append(Character.toUpperCase(kebab.charAt(++i)));
            } else {
                camel.append(c);
            }
        }
        return camel.toString();
    }
}
