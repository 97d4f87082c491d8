package io.ringkv.admin;

import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;

/** Refuses to start without a role, instead of running a web server that serves nothing. */
@Configuration(proxyBeanMethods = false)
@Profile("!node & !ecs")
class NoRoleConfiguration {
    NoRoleConfiguration() {
        throw new IllegalStateException(
                "ringkv needs a role: start it with --spring.profiles.active=node or --spring.profiles.active=ecs (see README)");
    }
}
