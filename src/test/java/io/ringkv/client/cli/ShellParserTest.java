package io.ringkv.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(5)
class ShellParserTest {
    private static ShellCommand parse(String line) {
        return ShellParser.parse(line);
    }

    @Test
    void putJoinsTheRestOfTheLineWithSingleSpaces() {
        assertThat(parse("put k a b c")).isEqualTo(new ShellCommand.Put("k", "a b c"));
        assertThat(parse("  put   k   a    b\tc  ")).isEqualTo(new ShellCommand.Put("k", "a b c"));
        assertThat(parse("put k v")).isEqualTo(new ShellCommand.Put("k", "v"));
    }

    @Test
    void putWithoutValueOrWithNullDeletes() {
        assertThat(parse("put k")).isEqualTo(new ShellCommand.Delete("k"));
        assertThat(parse("put k null")).isEqualTo(new ShellCommand.Delete("k"));
        assertThat(parse("put k   null  ")).isEqualTo(new ShellCommand.Delete("k"));
        // Only a value that is exactly the word null deletes.
        assertThat(parse("put k null x")).isEqualTo(new ShellCommand.Put("k", "null x"));
        assertThat(parse("put k NULL")).isEqualTo(new ShellCommand.Put("k", "NULL"));
    }

    @Test
    void keyedCommandsNeedExactlyOneKey() {
        assertThat(parse("get k")).isEqualTo(new ShellCommand.Get("k"));
        assertThat(parse("delete k")).isEqualTo(new ShellCommand.Delete("k"));
        assertThat(parse("put")).isInstanceOf(ShellCommand.Invalid.class);
        assertThat(parse("get")).isEqualTo(new ShellCommand.Invalid("usage: get <key>"));
        assertThat(parse("get a b")).isEqualTo(new ShellCommand.Invalid("usage: get <key>"));
        assertThat(parse("delete")).isEqualTo(new ShellCommand.Invalid("usage: delete <key>"));
    }

    @Test
    void connectTakesHostAndPort() {
        assertThat(parse("connect localhost 43100")).isEqualTo(new ShellCommand.Connect("localhost", 43100));
        assertThat(parse("connect localhost")).isEqualTo(new ShellCommand.Invalid("usage: connect <host> <port>"));
        assertThat(parse("connect localhost port")).isEqualTo(
                new ShellCommand.Invalid("port must be a number 1..65535, was 'port'"));
        assertThat(parse("connect localhost 70000")).isEqualTo(
                new ShellCommand.Invalid("port must be a number 1..65535, was 70000"));
        assertThat(parse("disconnect")).isEqualTo(new ShellCommand.Disconnect());
    }

    @Test
    void logLevelAcceptsTheEce419Levels() {
        for (LogLevel level : LogLevel.values()) {
            assertThat(parse("logLevel " + level.name().toLowerCase())).isEqualTo(new ShellCommand.SetLogLevel(level));
        }
        assertThat(parse("logLevel LOUD")).isEqualTo(
                new ShellCommand.Invalid("unknown log level 'LOUD'; use one of ALL|DEBUG|INFO|WARN|ERROR|OFF"));
    }

    @Test
    void otherLines() {
        assertThat(parse("")).isEqualTo(new ShellCommand.Nothing());
        assertThat(parse("   ")).isEqualTo(new ShellCommand.Nothing());
        assertThat(parse("# a comment")).isEqualTo(new ShellCommand.Nothing());
        assertThat(parse("help")).isEqualTo(new ShellCommand.Help());
        assertThat(parse("quit")).isEqualTo(new ShellCommand.Quit());
        assertThat(parse("QUIT")).isEqualTo(new ShellCommand.Quit());
        assertThat(parse("pid")).isEqualTo(new ShellCommand.Pid());
        assertThat(parse("pid 3")).isInstanceOf(ShellCommand.Invalid.class);
        assertThat(parse("frobnicate k")).isEqualTo(
                new ShellCommand.Invalid("unknown command 'frobnicate'; type help for the list"));
    }
}
