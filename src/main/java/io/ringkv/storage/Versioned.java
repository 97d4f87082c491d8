package io.ringkv.storage;

/** A stored value with the version the client wrote with it. The array is never mutated. */
public record Versioned(byte[] value, int version) {}
