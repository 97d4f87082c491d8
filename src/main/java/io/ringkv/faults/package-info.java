/**
 * Fault injection for tests and drills, off unless {@code ringkv.faults.enabled=true}: decorators
 * around the real parts that make them fail on command. {@link io.ringkv.faults.DiskFaults} wraps
 * the log engine's file system; {@link io.ringkv.faults.NetworkFaults} holds a seeded network plan
 * that a handler in the UDP and TCP listeners (through their {@code ChannelHook}) and a wrapper
 * around the links to peers carry out. Nothing here is consulted on the hot path when faults are
 * disabled, because then the decorators are not installed at all.
 */
package io.ringkv.faults;
