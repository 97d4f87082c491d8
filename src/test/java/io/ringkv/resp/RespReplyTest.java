package io.ringkv.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The bytes of every reply shape, pre-encoded constants included. */
class RespReplyTest {

    static Stream<Arguments> replies() {
        return Stream.of(
                Arguments.of(RespReply.OK, "+OK\r\n"),
                Arguments.of(new RespReply.Simple("OK"), "+OK\r\n"),
                Arguments.of(RespReply.PONG, "+PONG\r\n"),
                Arguments.of(RespReply.integer(0), ":0\r\n"),
                Arguments.of(RespReply.integer(1), ":1\r\n"),
                Arguments.of(RespReply.integer(-42), ":-42\r\n"),
                Arguments.of(RespReply.integer(Long.MAX_VALUE), ":9223372036854775807\r\n"),
                Arguments.of(RespReply.NULL, "$-1\r\n"),
                Arguments.of(RespReply.bulk("abc"), "$3\r\nabc\r\n"),
                Arguments.of(RespReply.bulk(""), "$0\r\n\r\n"),
                Arguments.of(RespReply.error("ERR bad\r\nthing"), "-ERR bad  thing\r\n"),
                Arguments.of(RespReply.array(RespReply.integer(1), RespReply.NULL, RespReply.OK),
                        "*3\r\n:1\r\n$-1\r\n+OK\r\n"),
                Arguments.of(RespReply.EMPTY_ARRAY, "*0\r\n"));
    }

    @ParameterizedTest
    @MethodSource("replies")
    void encodesExactly(RespReply reply, String expected) {
        ByteBuf out = Unpooled.buffer();
        reply.writeTo(out);
        assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo(expected);
        out.release();
    }
}
