/**
 * A node's part in the cluster (design §4): the ring it routes by, its links to peers, and the
 * handoff that streams ranges it is losing to their new owners. Plain Java: the node role wires
 * it and exposes it over REST; the request path in {@code io.ringkv.node} consults it.
 */
package io.ringkv.cluster;
