package io.ringkv.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.Objects;

/** Settings for a {@link RingKvClient}; every one has a default and a checked range. */
public final class RingKvClientBuilder {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 43100;
    public static final int IN_FLIGHT_MAX_LIMIT = 65_536;

    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private Protocol protocol = Protocol.UDP;
    private long initialTimeoutMs = RetryPolicy.DEFAULT.initialTimeoutMs();
    private int tries = RetryPolicy.DEFAULT.tries();
    private int overloadRetriesMax = RetryPolicy.DEFAULT.overloadRetriesMax();
    private long overloadWaitMsMax = RetryPolicy.DEFAULT.overloadWaitMsMax();
    private int inFlightMax = 256;
    private long inFlightWaitMs = 5_000;
    private int connectTimeoutMs = 1_000;
    private int receiveBufferBytes = 1 << 20;
    private Long seed;

    RingKvClientBuilder() {}

    public RingKvClientBuilder host(String host) {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
        this.host = host;
        return this;
    }

    public RingKvClientBuilder port(int port) {
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port must be 1..65535, was " + port);
        }
        this.port = port;
        return this;
    }

    public RingKvClientBuilder server(InetSocketAddress server) {
        return host(server.getHostString()).port(server.getPort());
    }

    public RingKvClientBuilder protocol(Protocol protocol) {
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        return this;
    }

    /** How long the first try waits for a reply; each later try waits twice as long. Default 100. */
    public RingKvClientBuilder initialTimeoutMs(long initialTimeoutMs) {
        this.initialTimeoutMs = initialTimeoutMs;
        return this;
    }

    /** How many times a request is sent before its outcome is unknown. Default 4. */
    public RingKvClientBuilder tries(int tries) {
        this.tries = tries;
        return this;
    }

    /** How many OVERLOAD replies one request waits out before failing with OVERLOAD. Default 10. */
    public RingKvClientBuilder overloadRetriesMax(int overloadRetriesMax) {
        this.overloadRetriesMax = overloadRetriesMax;
        return this;
    }

    /** The longest single OVERLOAD wait honoured, whatever the node asks. Default 2000. */
    public RingKvClientBuilder overloadWaitMsMax(long overloadWaitMsMax) {
        this.overloadWaitMsMax = overloadWaitMsMax;
        return this;
    }

    /** Requests outstanding at once; more wait for a slot. Default 256. */
    public RingKvClientBuilder inFlightMax(int inFlightMax) {
        if (inFlightMax < 1 || inFlightMax > IN_FLIGHT_MAX_LIMIT) {
            throw new IllegalArgumentException("inFlightMax must be 1.." + IN_FLIGHT_MAX_LIMIT + ", was " + inFlightMax);
        }
        this.inFlightMax = inFlightMax;
        return this;
    }

    /** How long a request waits for a slot before it is rejected unsent. Default 5000. */
    public RingKvClientBuilder inFlightWaitMs(long inFlightWaitMs) {
        if (inFlightWaitMs < 0 || inFlightWaitMs > RetryPolicy.TIMEOUT_MS_MAX) {
            throw new IllegalArgumentException("inFlightWaitMs must be 0.." + RetryPolicy.TIMEOUT_MS_MAX);
        }
        this.inFlightWaitMs = inFlightWaitMs;
        return this;
    }

    /** TCP only: how long connecting may take. Default 1000. */
    public RingKvClientBuilder connectTimeoutMs(int connectTimeoutMs) {
        if (connectTimeoutMs < 1 || connectTimeoutMs > RetryPolicy.TIMEOUT_MS_MAX) {
            throw new IllegalArgumentException("connectTimeoutMs must be 1.." + RetryPolicy.TIMEOUT_MS_MAX);
        }
        this.connectTimeoutMs = connectTimeoutMs;
        return this;
    }

    /** UDP only: the socket's receive buffer, so bursts of replies are not dropped. Default 1 MiB. */
    public RingKvClientBuilder receiveBufferBytes(int receiveBufferBytes) {
        if (receiveBufferBytes < 4_096 || receiveBufferBytes > (64 << 20)) {
            throw new IllegalArgumentException("receiveBufferBytes must be 4 KiB..64 MiB");
        }
        this.receiveBufferBytes = receiveBufferBytes;
        return this;
    }

    /**
     * Seeds the messageIDs and the OVERLOAD jitter, for tests that replay a run. Without it the seed
     * comes from SecureRandom, so that IDs cannot be predicted and differ between runs.
     */
    public RingKvClientBuilder seed(long seed) {
        this.seed = seed;
        return this;
    }

    RetryPolicy retryPolicy() {
        return new RetryPolicy(initialTimeoutMs, tries, overloadRetriesMax, overloadWaitMsMax,
                RetryPolicy.DEFAULT.overloadJitterFraction());
    }

    /**
     * Opens the socket (and for TCP connects).
     *
     * @throws IllegalArgumentException for settings out of range
     * @throws UncheckedIOException when the host does not resolve or the socket cannot be opened
     */
    public RingKvClient build() {
        RetryPolicy policy = retryPolicy();
        InetSocketAddress server = new InetSocketAddress(host, port);
        if (server.isUnresolved()) {
            throw new UncheckedIOException(new UnknownHostException("unknown host " + host));
        }
        long actualSeed = seed != null ? seed : new SecureRandom().nextLong();
        Link link;
        try {
            link = switch (protocol) {
                case UDP -> new UdpLink(server, receiveBufferBytes);
                case TCP -> new TcpLink(server, connectTimeoutMs);
            };
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a " + protocol + " socket to " + host + ":" + port + ": "
                    + e.getMessage(), e);
        }
        String label = host + ":" + port;
        try {
            return new RingKvClient(server, protocol,
                    new Requester(link, label, policy, inFlightMax, inFlightWaitMs, actualSeed));
        } catch (RuntimeException | Error e) {
            link.close();
            throw e;
        }
    }
}
