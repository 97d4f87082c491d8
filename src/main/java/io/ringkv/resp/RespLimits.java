package io.ringkv.resp;

/**
 * The store's limits as RESP applies them, with the names of the properties that set them so that
 * an error reply can say which one to change.
 *
 * @param keyBytesMax longest key (ringkv.limits.key-bytes-max); keys have at least one byte
 * @param valueBytesMax longest value (ringkv.limits.value-bytes-max)
 * @param parser what one command may cost on the wire
 */
public record RespLimits(int keyBytesMax, int valueBytesMax, RespParser.Limits parser) {
    /** What one command may make a connection buffer, unless a single argument needs more. */
    public static final int COMMAND_BYTES_MAX = 1 << 20;

    /** The limits of a node: one argument up to a frame, one command up to 1 MiB or a frame. */
    public static RespLimits of(int keyBytesMax, int valueBytesMax, int frameBytesMax) {
        return new RespLimits(keyBytesMax, valueBytesMax,
                new RespParser.Limits(frameBytesMax, Math.max(COMMAND_BYTES_MAX, 2 * frameBytesMax)));
    }

    /** The error for a key outside 1..keyBytesMax bytes, or null when it fits. */
    RespReply checkKey(byte[] key) {
        if (key.length == 0) {
            return RespReply.error("ERR empty keys are not supported (keys are 1.." + keyBytesMax
                    + " bytes, see ringkv.limits.key-bytes-max)");
        }
        if (key.length > keyBytesMax) {
            return RespReply.error("ERR key too long: " + key.length + " bytes (max " + keyBytesMax
                    + " bytes, see ringkv.limits.key-bytes-max)");
        }
        return null;
    }

    /** The error for a value over valueBytesMax bytes, or null when it fits. */
    RespReply checkValue(byte[] value) {
        if (value.length > valueBytesMax) {
            return RespReply.error("ERR value too long: " + value.length + " bytes (max " + valueBytesMax
                    + " bytes, see ringkv.limits.value-bytes-max)");
        }
        return null;
    }
}
