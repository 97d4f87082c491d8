package io.ringkv.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringkv.faults.NetworkRule.Direction;
import io.ringkv.faults.NetworkRule.Protocol;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rules as the REST body gives them: defaults, round trip, and a clear refusal of every bad input. */
class NetworkRuleJsonTest {

    private static Map<String, Object> json(Object... pairs) {
        Map<String, Object> map = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }

    private static void refused(Object rules, String... messageParts) {
        assertThatThrownBy(() -> NetworkRuleJson.parseList(rules))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).contains(messageParts));
    }

    @Test
    void anEmptyRuleMatchesEverythingAndDoesNothing() {
        NetworkRule rule = NetworkRuleJson.parseList(List.of(json())).getFirst();
        assertThat(rule).isEqualTo(new NetworkRule(Protocol.ALL, Direction.BOTH, null, 0, 0, 0, 0, false, false));
    }

    @Test
    void theIssueExampleParsesAndFormatsBack() {
        List<NetworkRule> rules = NetworkRuleJson.parseList(List.of(
                json("protocol", "udp", "direction", "inbound", "peer", "127.0.0.1:5000", "dropPercent", 30,
                        "duplicatePercent", 10, "delayMs", 5, "reorder", true),
                json("peer", "127.0.0.1:43101", "cut", true)));
        assertThat(rules.get(0)).isEqualTo(new NetworkRule(Protocol.UDP, Direction.INBOUND,
                new InetSocketAddress("127.0.0.1", 5000), 30, 10, 5, 0, true, false));
        assertThat(rules.get(1).cut()).isTrue();
        Map<String, Object> formatted = NetworkRuleJson.format(rules.get(0));
        assertThat(formatted).containsEntry("protocol", "udp").containsEntry("peer", "127.0.0.1:5000")
                .containsEntry("dropPercent", 30.0).containsEntry("jitterMs", 0);
        assertThat(NetworkRuleJson.parseList(List.of(formatted))).containsExactly(rules.get(0));
    }

    @Test
    void badInputIsRefusedWithTheRuleAndTheFieldNamed() {
        refused(List.of(json("protocol", "sctp")), "network[0]", "unknown protocol 'sctp'", "udp, tcp, all");
        refused(List.of(json(), json("direction", "sideways")), "network[1]", "inbound, outbound, both");
        refused(List.of(json("dropPercent", 101)), "dropPercent must be between 0 and 100");
        refused(List.of(json("duplicatePercent", -1)), "duplicatePercent");
        refused(List.of(json("delayMs", 60_000)), "delayMs must be between 0 and 10000");
        refused(List.of(json("delayMs", 8_000, "jitterMs", 3_000)), "above the cap of 10000 ms");
        refused(List.of(json("delayMs", 1.5)), "whole number");
        refused(List.of(json("dropPercnt", 30)), "unknown field 'dropPercnt'");
        refused(List.of(json("dropPercent", "30")), "must be a number");
        refused(List.of(json("reorder", "yes")), "true or false");
        refused(List.of(json("peer", "127.0.0.1")), "host:port");
        refused(List.of(json("peer", "127.0.0.1:70000")), "host:port");
        refused(List.of(json("peer", "no-such-host.invalid:5000")), "does not resolve");
        refused(List.of(json("peer", "127.0.0.1:5000", "cut", true, "direction", "inbound")), "cut");
        refused(List.of(json("cut", true, "dropPercent", 5)), "cut");
        refused(json("dropPercent", 30), "list of rules");
        refused(List.of("drop"), "JSON object");
        refused(java.util.Collections.nCopies(NetworkFaults.RULES_MAX + 1, json()), "at most " + NetworkFaults.RULES_MAX);
    }

    @Test
    void ipv6PeersAreWrittenInBrackets() {
        NetworkRule rule = NetworkRuleJson.parseList(List.of(json("peer", "[::1]:5000"))).getFirst();
        assertThat(NetworkRuleJson.format(rule)).containsEntry("peer", "[0:0:0:0:0:0:0:1]:5000");
    }
}
