package io.ringkv.client;

/** How the client talks to the node. Both carry the same envelopes (design §2). */
public enum Protocol {
    /** One datagram per request; lost datagrams are resent with the same messageID. The default. */
    UDP,
    /**
     * One connection carrying varint-length-prefixed frames, pipelined. A request is sent once and
     * waits for the whole retry budget; if the connection breaks, its outcome is unknown.
     */
    TCP
}
