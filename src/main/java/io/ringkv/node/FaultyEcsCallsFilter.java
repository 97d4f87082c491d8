package io.ringkv.node;

import io.ringkv.admin.Caller;
import io.ringkv.faults.Fate;
import io.ringkv.faults.NetworkFaults;
import io.ringkv.faults.NetworkRule;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The other half of a node's partition from its ECS ({@code ringkv.faults.enabled=true} only): the
 * ECS's calls to this node (ring pushes, handoff and repair orders, readiness probes), recognised by
 * their {@link Caller#HEADER}, are refused with 503 while the node's fault plan cuts or drops
 * inbound TCP from the ECS's address ({@code ringkv.node.ecs}). The ECS then sees the node as
 * unreachable, as it would behind a real partition. The operator's own calls carry no such header
 * and pass, so the partition can be healed through the same API.
 *
 * <p>Only the verdict matters here: a drop refuses the call just as a cut does (an HTTP call cannot
 * be half lost), and delays are not applied to admin calls.
 */
final class FaultyEcsCallsFilter extends OncePerRequestFilter {
    private final NetworkFaults faults;
    private final InetSocketAddress ecs;

    FaultyEcsCallsFilter(NetworkFaults faults, String ecsUrl) {
        this.faults = faults;
        this.ecs = NetworkFaults.addressOf(URI.create(ecsUrl));
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !Caller.ECS.equals(request.getHeader(Caller.HEADER));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (faults.decide(NetworkRule.Protocol.TCP, NetworkRule.Direction.INBOUND, ecs) instanceof Fate.Deliver) {
            chain.doFilter(request, response);
            return;
        }
        response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        response.setContentType("application/problem+json");
        response.getWriter().write("""
                {"type":"about:blank","title":"Service Unavailable","status":503,\
                "detail":"calls from the ECS at %s are cut by ringkv.faults"}""".formatted(ecs));
    }
}
