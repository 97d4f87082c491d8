package io.ringkv.client.cli;

import io.ringkv.client.Protocol;
import io.ringkv.client.RingKvClient;

/** How the CLI builds its clients: everything but the node's address comes from the command line. */
record ClientSettings(Protocol protocol, long initialTimeoutMs, int tries) {
    RingKvClient connect(String host, int port) {
        return RingKvClient.builder()
                .host(host)
                .port(port)
                .protocol(protocol)
                .initialTimeoutMs(initialTimeoutMs)
                .tries(tries)
                .build();
    }
}
