/**
 * The consistent-hash ring (design §4): immutable snapshots of members and their virtual-node
 * tokens on the MD5 ring, with an epoch; owner and preference-list lookups; and the plan of
 * ranges that move between two snapshots. Plain Java, no I/O.
 */
package io.ringkv.ring;
