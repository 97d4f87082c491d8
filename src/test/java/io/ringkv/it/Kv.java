package io.ringkv.it;

import com.google.protobuf.ByteString;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/** Builds requests and message IDs for the IT clients, and names reply codes in failure messages. */
public final class Kv {
    private Kv() {}

    /** A fresh 16-byte messageID, as the reference clients use. Only uniqueness matters here. */
    public static ByteString newId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return ByteString.copyFrom(ByteBuffer.allocate(16).putLong(random.nextLong()).putLong(random.nextLong()).flip());
    }

    public static ByteString bytes(String utf8) {
        return ByteString.copyFrom(utf8, StandardCharsets.UTF_8);
    }

    public static KVRequest put(ByteString key, ByteString value, int version) {
        return KVRequest.newBuilder().setCommand(Command.PUT.code()).setKey(key).setValue(value).setVersion(version)
                .build();
    }

    /** A PUT that carries no version field at all. */
    public static KVRequest put(ByteString key, ByteString value) {
        return KVRequest.newBuilder().setCommand(Command.PUT.code()).setKey(key).setValue(value).build();
    }

    public static KVRequest get(ByteString key) {
        return KVRequest.newBuilder().setCommand(Command.GET.code()).setKey(key).build();
    }

    public static KVRequest remove(ByteString key) {
        return KVRequest.newBuilder().setCommand(Command.REMOVE.code()).setKey(key).build();
    }

    public static KVRequest command(Command command) {
        return KVRequest.newBuilder().setCommand(command.code()).build();
    }

    public static KVRequest command(int code) {
        return KVRequest.newBuilder().setCommand(code).build();
    }

    /** The code's name for assertion messages, e.g. {@code NO_SUCH_KEY(1)}. */
    public static String describe(KVResponse response) {
        ErrorCode code = ErrorCode.of(response.getErrCode());
        return (code == null ? "?" : code.name()) + "(" + response.getErrCode() + ")";
    }
}
