package io.ringkv;

import java.util.Arrays;

/**
 * The jar's entry point. {@code cli} and {@code bench} run the client tools without starting
 * Spring (they start in milliseconds and need no server configuration); anything else starts the
 * server, whose role comes from the Spring profile ({@code --spring.profiles.active=node}).
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        String tool = args.length > 0 ? args[0] : "";
        String[] rest = args.length > 0 ? Arrays.copyOfRange(args, 1, args.length) : args;
        switch (tool) {
            case "cli" -> System.exit(io.ringkv.client.cli.RingKvCli.run(rest));
            case "bench" -> System.exit(io.ringkv.bench.Bench.run(rest));
            default -> RingKvApplication.main(args);
        }
    }
}
