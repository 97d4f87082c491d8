package io.ringkv.faults;

import io.ringkv.faults.NetworkRule.Direction;
import io.ringkv.faults.NetworkRule.Protocol;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Network rules to and from the JSON of {@code /api/v1/node/faults}, as the maps and lists a JSON
 * parser gives, without depending on one. Every field is optional; an unknown field, a wrong type
 * or a value out of bounds is refused with a message that names the rule and the field, because a
 * typo in a fault plan must not silently test something else.
 *
 * <pre>{"protocol":"udp|tcp|all", "direction":"inbound|outbound|both", "peer":"host:port|all",
 *  "dropPercent":0..100, "duplicatePercent":0..100, "delayMs":0..10000, "jitterMs":0..10000,
 *  "reorder":false, "cut":false}</pre>
 */
public final class NetworkRuleJson {
    private static final Set<String> FIELDS = Set.of("protocol", "direction", "peer", "dropPercent",
            "duplicatePercent", "delayMs", "jitterMs", "reorder", "cut");
    private static final String ALL_PEERS = "all";

    private NetworkRuleJson() {}

    /** The rules of a {@code "network"} value: a JSON array of rule objects. */
    public static List<NetworkRule> parseList(Object json) {
        if (!(json instanceof List<?> list)) {
            throw new IllegalArgumentException("network must be a list of rules, e.g. [{\"dropPercent\":30}]");
        }
        if (list.size() > NetworkFaults.RULES_MAX) {
            throw new IllegalArgumentException("network has " + list.size() + " rules; at most "
                    + NetworkFaults.RULES_MAX);
        }
        List<NetworkRule> rules = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            try {
                rules.add(parse(list.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("network[" + i + "]: " + e.getMessage(), e);
            }
        }
        return rules;
    }

    static NetworkRule parse(Object json) {
        if (!(json instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("a rule must be a JSON object");
        }
        for (Object field : map.keySet()) {
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException("unknown field '" + field + "'; known: "
                        + FIELDS.stream().sorted().collect(Collectors.joining(", ")));
            }
        }
        return new NetworkRule(
                choice(map, "protocol", Protocol.class, Protocol.ALL),
                choice(map, "direction", Direction.class, Direction.BOTH),
                peer(map.get("peer")),
                number(map, "dropPercent").doubleValue(),
                number(map, "duplicatePercent").doubleValue(),
                whole(map, "delayMs"),
                whole(map, "jitterMs"),
                flag(map, "reorder"),
                flag(map, "cut"));
    }

    /** A rule as {@link #parse} reads it, with every field written out. */
    public static Map<String, Object> format(NetworkRule rule) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("protocol", name(rule.protocol()));
        json.put("direction", name(rule.direction()));
        json.put("peer", rule.peer() == null ? ALL_PEERS : hostPort(rule.peer()));
        json.put("dropPercent", rule.dropPercent());
        json.put("duplicatePercent", rule.duplicatePercent());
        json.put("delayMs", rule.delayMs());
        json.put("jitterMs", rule.jitterMs());
        json.put("reorder", rule.reorder());
        json.put("cut", rule.cut());
        return json;
    }

    private static <E extends Enum<E>> E choice(Map<?, ?> map, String field, Class<E> type, E absent) {
        Object value = map.get(field);
        if (value == null) {
            return absent;
        }
        for (E constant : type.getEnumConstants()) {
            if (name(constant).equals(value)) {
                return constant;
            }
        }
        throw new IllegalArgumentException("unknown " + field + " '" + value + "'; one of "
                + Arrays.stream(type.getEnumConstants()).map(NetworkRuleJson::name).collect(Collectors.joining(", ")));
    }

    private static Number number(Map<?, ?> map, String field) {
        Object value = map.get(field);
        if (value == null) {
            return 0;
        }
        if (!(value instanceof Number number)) {
            throw new IllegalArgumentException(field + " must be a number, was '" + value + "'");
        }
        return number;
    }

    private static int whole(Map<?, ?> map, String field) {
        double value = number(map, field).doubleValue();
        if (value != Math.rint(value) || Math.abs(value) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(field + " must be a whole number of milliseconds, was " + value);
        }
        return (int) value;
    }

    private static boolean flag(Map<?, ?> map, String field) {
        Object value = map.get(field);
        if (value == null) {
            return false;
        }
        if (!(value instanceof Boolean flag)) {
            throw new IllegalArgumentException(field + " must be true or false, was '" + value + "'");
        }
        return flag;
    }

    /** {@code host:port} ({@code [v6]:port} for IPv6), or {@code all} / absent for every peer. */
    private static InetSocketAddress peer(Object value) {
        if (value == null || ALL_PEERS.equals(value)) {
            return null;
        }
        if (!(value instanceof String text)) {
            throw new IllegalArgumentException("peer must be \"host:port\" or \"all\", was '" + value + "'");
        }
        int colon = text.lastIndexOf(':');
        String host = colon > 0 ? text.substring(0, colon) : "";
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (host.isEmpty() || port < 1 || port > 65_535) {
            throw new IllegalArgumentException("peer must be \"host:port\" with a port 1..65535 or \"all\", was '"
                    + text + "'");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("peer host '" + host + "' does not resolve");
        }
    }

    private static String hostPort(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    private static String name(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT);
    }
}
