package io.ringkv.ring;

/** One range whose primary owner changes between two ring snapshots: from {@code from} to {@code to}. */
public record Transfer(TokenRange range, String from, String to) {}
