/**
 * Fault injection for tests and drills, off unless {@code ringkv.faults.enabled=true}: decorators
 * around the real parts (the log engine's file system now; the transports later) that make them
 * fail on command. Nothing here is consulted on the hot path when faults are disabled, because
 * then the decorators are not installed at all.
 */
package io.ringkv.faults;
