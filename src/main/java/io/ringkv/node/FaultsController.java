package io.ringkv.node;

import io.ringkv.faults.DiskFaults;
import io.ringkv.faults.NetworkFaults;
import io.ringkv.faults.NetworkRule;
import io.ringkv.faults.NetworkRuleJson;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Profile;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Arms and disarms injected faults. Exists only with {@code ringkv.faults.enabled=true}: without it
 * the path is a plain 404 and no decorator is installed.
 *
 * <p>A POST body holds any of {@code "disk"} (kebab case: {@code "fsync-eio"}), {@code "network"}
 * (a list of rules, see {@link NetworkRuleJson}; it replaces the network plan, {@code []} heals
 * the network) and {@code "seed"} (for the network rules given with it; a new one is chosen and
 * shown otherwise). A field left out keeps its current value. The whole body is checked before
 * anything is armed, so a bad request arms nothing.
 */
@RestController
@Profile("node")
@RequestMapping("/api/v1/node/faults")
@ConditionalOnProperty(name = "ringkv.faults.enabled", havingValue = "true")
class FaultsController {
    private static final Set<String> FIELDS = Set.of("disk", "network", "seed");

    private final DiskFaults disk;
    private final NetworkFaults network;

    FaultsController(DiskFaults disk, NetworkFaults network) {
        this.disk = disk;
        this.network = network;
    }

    /** What is armed now, and what it did: {@code injected} counts failed disk operations. */
    record FaultsState(String disk, long injected, NetworkState network) {}

    /** The network plan ({@code seed} null when it has no rules) and its counters since start. */
    record NetworkState(Long seed, List<Map<String, Object>> rules, NetworkFaults.Counters counters) {}

    @GetMapping
    FaultsState get() {
        return state();
    }

    @PostMapping
    ResponseEntity<?> arm(@RequestBody Map<String, Object> body) {
        DiskFaults.Fault diskFault;
        List<NetworkRule> rules;
        long seed;
        try {
            for (String field : body.keySet()) {
                if (!FIELDS.contains(field)) {
                    throw new IllegalArgumentException("unknown field '" + field + "'; known: disk, network, seed");
                }
            }
            diskFault = body.get("disk") == null ? null : parse(body.get("disk"));
            rules = body.get("network") == null ? null : NetworkRuleJson.parseList(body.get("network"));
            seed = seed(body.get("seed"), rules != null);
        } catch (IllegalArgumentException e) {
            return ResponseEntity.of(ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, e.getMessage())).build();
        }
        if (diskFault != null) {
            disk.arm(diskFault);
        }
        if (rules != null) {
            network.arm(rules, seed);
        }
        return ResponseEntity.ok(state());
    }

    @DeleteMapping
    FaultsState heal() {
        disk.arm(DiskFaults.Fault.NONE);
        network.heal();
        return state();
    }

    /** A body that is not a JSON object at all gets a problem too, not the default error page. */
    @ExceptionHandler(HttpMessageNotReadableException.class)
    ProblemDetail unreadable(HttpMessageNotReadableException e) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, "body must be a JSON object such as"
                + " {\"disk\":\"fsync-eio\"} or {\"network\":[{\"dropPercent\":30}],\"seed\":42}");
    }

    private FaultsState state() {
        NetworkFaults.Plan plan = network.plan();
        return new FaultsState(name(disk.fault()), disk.injected(), new NetworkState(plan.seed(),
                plan.rules().stream().map(NetworkRuleJson::format).toList(), network.counters()));
    }

    private static long seed(Object value, boolean withRules) {
        if (value == null) {
            return NetworkFaults.newSeed();
        }
        if (!withRules) {
            throw new IllegalArgumentException("seed applies to the network rules given with it; none were");
        }
        if (!(value instanceof Integer || value instanceof Long)) {
            throw new IllegalArgumentException("seed must be a whole number that fits in 64 bits, was '" + value + "'");
        }
        return ((Number) value).longValue();
    }

    private static String name(DiskFaults.Fault fault) {
        return fault.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static DiskFaults.Fault parse(Object text) {
        return Arrays.stream(DiskFaults.Fault.values()).filter(f -> name(f).equals(text)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown disk fault '" + text + "'; one of "
                        + Arrays.stream(DiskFaults.Fault.values()).map(FaultsController::name)
                                .collect(Collectors.joining(", "))));
    }
}
