package io.ringkv.node;

import io.ringkv.faults.DiskFaults;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Profile;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Arms and disarms injected faults. Exists only with {@code ringkv.faults.enabled=true}: without it
 * the path is a plain 404 and no decorator is installed.
 *
 * <p>Faults are named in kebab case in JSON: {@code {"disk": "fsync-eio"}}.
 */
@RestController
@Profile("node")
@RequestMapping("/api/v1/node/faults")
@ConditionalOnProperty(name = "ringkv.faults.enabled", havingValue = "true")
class FaultsController {
    private final DiskFaults disk;

    FaultsController(DiskFaults disk) {
        this.disk = disk;
    }

    /** The armed faults; a field left out of a POST keeps its current value. */
    record Faults(String disk) {}

    /** What is armed now, and how many operations were failed on purpose. */
    record FaultsState(String disk, long injected) {}

    @GetMapping
    FaultsState get() {
        return state();
    }

    @PostMapping
    ResponseEntity<?> arm(@RequestBody Faults request) {
        if (request.disk() != null) {
            DiskFaults.Fault fault = parse(request.disk());
            if (fault == null) {
                return ResponseEntity.of(ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
                        "unknown disk fault '" + request.disk() + "'; one of " + names())).build();
            }
            disk.arm(fault);
        }
        return ResponseEntity.ok(state());
    }

    @DeleteMapping
    FaultsState heal() {
        disk.arm(DiskFaults.Fault.NONE);
        return state();
    }

    private FaultsState state() {
        return new FaultsState(name(disk.fault()), disk.injected());
    }

    private static String name(DiskFaults.Fault fault) {
        return fault.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static DiskFaults.Fault parse(String text) {
        return Arrays.stream(DiskFaults.Fault.values()).filter(f -> name(f).equals(text)).findFirst().orElse(null);
    }

    private static String names() {
        return Arrays.stream(DiskFaults.Fault.values()).map(FaultsController::name).collect(Collectors.joining(", "));
    }
}
