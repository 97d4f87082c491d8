package io.ringkv.config;

import io.micrometer.core.instrument.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The meter registries' clock, in place of Spring Boot's {@code Clock.SYSTEM} (see {@link CoarseClock}). */
@Configuration(proxyBeanMethods = false)
public class MetricsClockConfiguration {
    @Bean(destroyMethod = "close")
    Clock coarseMicrometerClock() {
        return new CoarseClock();
    }
}
