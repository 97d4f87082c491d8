package io.ringkv.client;

/**
 * Counters since the client was built, for logs, tests and dashboards.
 *
 * @param sent requests sent (first tries)
 * @param resent retransmissions: later tries after a timeout and resends after OVERLOAD
 * @param overloadWaits OVERLOAD replies honoured by waiting and resending
 * @param timedOut requests that got no reply in any try
 * @param staleReplies replies that matched no outstanding request (duplicates, or too late)
 * @param badReplies replies dropped because they did not parse or failed their checksum
 * @param inFlight requests outstanding right now
 */
public record ClientStats(long sent, long resent, long overloadWaits, long timedOut, long staleReplies,
        long badReplies, int inFlight) {}
