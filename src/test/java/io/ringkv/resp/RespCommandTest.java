package io.ringkv.resp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Command names in any letter case, and near misses that name nothing. */
class RespCommandTest {
    @ParameterizedTest
    @CsvSource({"get,GET", "GET,GET", "gEt,GET", "set,SET", "SeT,SET", "del,DEL", "Mget,MGET", "dbsize,DBSIZE",
            "PING,PING", "config,CONFIG"})
    void namesInAnyCase(String name, RespCommand expected) {
        assertThat(RespCommand.of(name.getBytes(StandardCharsets.ISO_8859_1))).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"ge", "gets", "gez", "xet", "g%t", "set!", "'get '"})
    void nearMissesNameNothing(String name) {
        assertThat(RespCommand.of(name.getBytes(StandardCharsets.ISO_8859_1))).isNull();
    }

    @Test
    void bytesThatOnlyLookLikeLettersWithTheCaseBitSetNameNothing() {
        // 'G' | 0x20 == 'g', but so would be no other byte: 0x07 | 0x20 is 0x27, a quote.
        for (int b = -128; b < 128; b++) {
            byte[] name = {(byte) b, 'e', 't'};
            RespCommand command = RespCommand.of(name);
            boolean letter = b == 'g' || b == 'G' || b == 's' || b == 'S';
            assertThat(command != null).as("byte %d", b).isEqualTo(letter);
            byte[] middle = {'g', (byte) b, 't'};
            assertThat(RespCommand.of(middle) != null).as("middle byte %d", b).isEqualTo(b == 'e' || b == 'E');
        }
    }
}
