package io.ringkv.resp;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits an inline command line into arguments the way Redis does (its {@code sdssplitargs}):
 * blanks separate arguments; {@code "..."} may hold blanks and the escapes {@code \n \r \t \b \a
 * \\ \"} and {@code \xHH}; {@code '...'} may hold blanks and {@code \'}. A closing quote must be
 * followed by a blank or the end of the line.
 */
final class InlineSplitter {
    private InlineSplitter() {}

    /** The arguments, empty for a blank line, or null when the quotes do not balance. */
    static List<byte[]> split(byte[] line) {
        List<byte[]> args = new ArrayList<>();
        int i = 0;
        int n = line.length;
        while (true) {
            while (i < n && isBlank(line[i])) {
                i++;
            }
            if (i == n) {
                return args;
            }
            ByteArrayOutputStream arg = new ByteArrayOutputStream();
            boolean inDouble = false;
            boolean inSingle = false;
            boolean done = false;
            while (!done) {
                if (inDouble) {
                    if (i == n) {
                        return null;
                    }
                    byte b = line[i];
                    if (b == '\\' && i + 3 < n && line[i + 1] == 'x' && isHex(line[i + 2]) && isHex(line[i + 3])) {
                        arg.write(Character.digit(line[i + 2], 16) * 16 + Character.digit(line[i + 3], 16));
                        i += 3;
                    } else if (b == '\\' && i + 1 < n) {
                        i++;
                        arg.write(switch (line[i]) {
                            case 'n' -> '\n';
                            case 'r' -> '\r';
                            case 't' -> '\t';
                            case 'b' -> '\b';
                            case 'a' -> 7;
                            default -> line[i];
                        });
                    } else if (b == '"') {
                        if (i + 1 < n && !isBlank(line[i + 1])) {
                            return null;
                        }
                        done = true;
                    } else {
                        arg.write(b);
                    }
                } else if (inSingle) {
                    if (i == n) {
                        return null;
                    }
                    byte b = line[i];
                    if (b == '\\' && i + 1 < n && line[i + 1] == '\'') {
                        i++;
                        arg.write('\'');
                    } else if (b == '\'') {
                        if (i + 1 < n && !isBlank(line[i + 1])) {
                            return null;
                        }
                        done = true;
                    } else {
                        arg.write(b);
                    }
                } else if (i == n || isBlank(line[i])) {
                    done = true;
                } else if (line[i] == '"') {
                    inDouble = true;
                } else if (line[i] == '\'') {
                    inSingle = true;
                } else {
                    arg.write(line[i]);
                }
                if (i < n) {
                    i++;
                }
            }
            args.add(arg.toByteArray());
        }
    }

    private static boolean isBlank(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == 0;
    }

    private static boolean isHex(byte b) {
        return Character.digit(b, 16) >= 0;
    }
}
