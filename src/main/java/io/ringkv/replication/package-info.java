/**
 * Primary-backup replication (design §5): the primary of a key orders its writes, applies them,
 * and acknowledges the client only once every replica of the key's set in the current ring has
 * them; backups refuse writes stamped with another ring epoch; a node that becomes primary of a
 * range, or whose range gains a replica, pushes the range to its replicas before it trusts it.
 * Plain Java: the node role wires it.
 */
package io.ringkv.replication;
