package io.ringkv.admin;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Requires {@code Authorization: Bearer <token>} on everything but the actuator, which stays open
 * so that probes and Prometheus need no secret. Refusals are RFC 9457 problem details.
 */
public final class AdminTokenFilter extends OncePerRequestFilter {

    /** The filter registered for every path, as both roles install it. */
    public static FilterRegistrationBean<AdminTokenFilter> registration(AdminToken token) {
        var registration = new FilterRegistrationBean<>(new AdminTokenFilter(token));
        registration.addUrlPatterns("/*");
        return registration;
    }

    private static final String PREFIX = "Bearer ";

    private final AdminToken token;

    public AdminTokenFilter(AdminToken token) {
        this.token = token;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        // The decoded path, as Spring MVC routes it: the raw URI would let "/%61pi/..." slip past.
        String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
        // Deny by default: only the actuator (health probes, Prometheus) is open.
        return path.equals("/actuator") || path.startsWith("/actuator/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader("Authorization");
        if (header != null && header.startsWith(PREFIX) && token.matches(header.substring(PREFIX.length()).trim())) {
            chain.doFilter(request, response);
            return;
        }
        response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
        response.setHeader("WWW-Authenticate", "Bearer realm=\"ringkv\"");
        response.setContentType("application/problem+json");
        response.getWriter().write("""
                {"type":"about:blank","title":"Unauthorized","status":401,\
                "detail":"send Authorization: Bearer <token>; the token is ringkv.admin.token or the admin.token file in the storage directory",\
                "instance":"%s"}""".formatted(request.getRequestURI().replace("\"", "")));
    }
}
