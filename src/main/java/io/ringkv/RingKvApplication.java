package io.ringkv;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class RingKvApplication {
    public static void main(String[] args) {
        SpringApplication.run(RingKvApplication.class, args);
    }
}
