package io.ringkv.resp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The connection and server commands that clients and tools send besides data: PING, ECHO, INFO,
 * SELECT, COMMAND, CLIENT, HELLO, AUTH, CONFIG GET. They answer at once, on the event loop, and
 * say as much as redis-cli, redis-benchmark, Jedis and Lettuce need, in Redis's wording.
 */
final class ServerCommands {
    /**
     * The Redis version ringkv reports in INFO and HELLO: clients pick features by it, and ringkv
     * speaks the RESP2 of Redis 7.0. ringkv's own version is reported beside it.
     */
    static final String REDIS_COMPATIBLE_VERSION = "7.0.0";
    /** What CONFIG GET answers: the settings tools ask about, as Redis would report ringkv's behaviour. */
    private static final Map<String, String> CONFIG = configTable();

    private final RespBackend backend;
    private final Clients clients;
    private final int port;
    private final String version;
    private final LongSupplier clockMillis;

    ServerCommands(RespBackend backend, Clients clients, int port, String version, LongSupplier clockMillis) {
        this.backend = backend;
        this.clients = clients;
        this.port = port;
        this.version = version;
        this.clockMillis = clockMillis;
    }

    RespReply ping(List<byte[]> args) {
        return switch (args.size()) {
            case 1 -> RespReply.PONG;
            case 2 -> RespReply.bulk(args.get(1));
            default -> RespCommands.wrongArity("ping");
        };
    }

    RespReply select(List<byte[]> args) {
        long index = parseLong(args.get(1));
        if (index == Long.MIN_VALUE) {
            return RespReply.error("ERR value is not an integer or out of range");
        }
        return index == 0 ? RespReply.OK : RespReply.error("ERR DB index is out of range");
    }

    RespReply auth(List<byte[]> args) {
        if (args.size() == 2) {
            return RespReply.error("ERR AUTH <password> called without any password configured for the default"
                    + " user. Are you sure your configuration is correct?");
        }
        if (args.size() != 3) {
            return RespCommands.wrongArity("auth");
        }
        return checkUser(args.get(1));
    }

    /** HELLO [protover [AUTH username password] [SETNAME clientname]]: RESP2 only. */
    RespReply hello(Session session, List<byte[]> args) {
        if (args.size() >= 2) {
            long protocol = parseLong(args.get(1));
            if (protocol == Long.MIN_VALUE) {
                return RespReply.error("ERR Protocol version is not an integer or out of range");
            }
            if (protocol != 2) {
                return RespReply.error("NOPROTO unsupported protocol version");
            }
        }
        String name = null;
        for (int i = 2; i < args.size(); i++) {
            String option = upper(args.get(i));
            boolean hasMore = i + 1 < args.size();
            if (option.equals("AUTH") && i + 2 < args.size()) {
                RespReply denied = checkUser(args.get(i + 1));
                if (denied != RespReply.OK) {
                    return denied;
                }
                i += 2;
            } else if (option.equals("SETNAME") && hasMore) {
                name = text(args.get(++i));
                if (!isPlainText(name)) {
                    return RespReply.error("ERR Client names cannot contain spaces, newlines or special characters.");
                }
            } else {
                return RespReply.error("ERR Syntax error in HELLO option '" + text(args.get(i)) + "'");
            }
        }
        if (name != null) {
            session.name = name;
        }
        return RespReply.array(
                RespReply.bulk("server"), RespReply.bulk("redis"),
                RespReply.bulk("version"), RespReply.bulk(REDIS_COMPATIBLE_VERSION),
                RespReply.bulk("proto"), RespReply.integer(2),
                RespReply.bulk("id"), RespReply.integer(session.id),
                RespReply.bulk("mode"), RespReply.bulk("standalone"),
                RespReply.bulk("role"), RespReply.bulk("master"),
                RespReply.bulk("modules"), RespReply.EMPTY_ARRAY);
    }

    /** ringkv has one user, {@code default}, without a password: any password is accepted for it. */
    private static RespReply checkUser(byte[] user) {
        return text(user).equals("default")
                ? RespReply.OK
                : RespReply.error("WRONGPASS invalid username-password pair or user is disabled.");
    }

    RespReply client(Session session, List<byte[]> args) {
        String sub = upper(args.get(1));
        int words = args.size();
        return switch (sub) {
            case "ID" -> words == 2 ? RespReply.integer(session.id) : RespCommands.wrongArity("client|id");
            case "GETNAME" -> words == 2
                    ? (session.name.isEmpty() ? RespReply.NULL : RespReply.bulk(session.name))
                    : RespCommands.wrongArity("client|getname");
            case "SETNAME" -> {
                if (words != 3) {
                    yield RespCommands.wrongArity("client|setname");
                }
                String name = text(args.get(2));
                if (!isPlainText(name)) {
                    yield RespReply.error("ERR Client names cannot contain spaces, newlines or special characters.");
                }
                session.name = name;
                yield RespReply.OK;
            }
            case "SETINFO" -> {
                if (words != 4) {
                    yield RespCommands.wrongArity("client|setinfo");
                }
                String attribute = upper(args.get(2));
                String value = text(args.get(3));
                if (!attribute.equals("LIB-NAME") && !attribute.equals("LIB-VER")) {
                    yield RespReply.error("ERR Unrecognized option '" + text(args.get(2)) + "'");
                }
                if (!isPlainText(value)) {
                    yield RespReply.error("ERR " + attribute.toLowerCase(Locale.ROOT)
                            + " cannot contain spaces, newlines or special characters.");
                }
                if (attribute.equals("LIB-NAME")) {
                    session.libName = value;
                } else {
                    session.libVersion = value;
                }
                yield RespReply.OK;
            }
            case "INFO" -> words == 2
                    ? RespReply.bulk(session.describe(clockMillis.getAsLong()) + "\n")
                    : RespCommands.wrongArity("client|info");
            case "LIST" -> {
                long now = clockMillis.getAsLong();
                StringBuilder list = new StringBuilder();
                for (Session s : clients.sessions()) {
                    list.append(s.describe(now)).append('\n');
                }
                yield RespReply.bulk(list.toString());
            }
            case "NO-EVICT", "NO-TOUCH" -> words == 3 ? RespReply.OK
                    : RespCommands.wrongArity("client|" + sub.toLowerCase(Locale.ROOT));
            case "HELP" -> lines("CLIENT <subcommand> [<arg> ...]. ringkv supports:",
                    "ID", "GETNAME", "SETNAME <name>", "SETINFO <LIB-NAME|LIB-VER> <value>", "INFO", "LIST",
                    "NO-EVICT <ON|OFF>", "NO-TOUCH <ON|OFF>", "HELP");
            default -> unknownSubcommand(args.get(1), "CLIENT");
        };
    }

    RespReply command(List<byte[]> args) {
        if (args.size() == 1) {
            List<RespReply> all = new ArrayList<>();
            for (RespCommand command : RespCommand.values()) {
                all.add(info(command));
            }
            return new RespReply.Array(all);
        }
        String sub = upper(args.get(1));
        return switch (sub) {
            case "COUNT" -> RespReply.integer(RespCommand.values().length);
            case "LIST" -> {
                List<RespReply> names = new ArrayList<>();
                for (RespCommand command : RespCommand.values()) {
                    names.add(RespReply.bulk(command.lowerName()));
                }
                yield new RespReply.Array(names);
            }
            case "INFO" -> {
                List<RespReply> infos = new ArrayList<>();
                for (RespCommand command : named(args)) {
                    infos.add(command == null ? RespReply.NULL : info(command));
                }
                yield new RespReply.Array(infos);
            }
            case "DOCS" -> {
                List<RespReply> docs = new ArrayList<>();
                for (RespCommand command : args.size() == 2 ? List.of(RespCommand.values()) : named(args)) {
                    if (command != null) {
                        docs.add(RespReply.bulk(command.lowerName()));
                        docs.add(RespReply.array(
                                RespReply.bulk("summary"), RespReply.bulk(command.summary()),
                                RespReply.bulk("since"), RespReply.bulk("1.0.0"),
                                RespReply.bulk("group"), RespReply.bulk(command.group())));
                    }
                }
                yield new RespReply.Array(docs);
            }
            case "HELP" -> lines("COMMAND [<subcommand> [<arg> ...]]. ringkv supports:",
                    "(no subcommand)", "COUNT", "LIST", "INFO [<command-name> ...]", "DOCS [<command-name> ...]",
                    "HELP");
            default -> unknownSubcommand(args.get(1), "COMMAND");
        };
    }

    RespReply config(List<byte[]> args) {
        if (!upper(args.get(1)).equals("GET")) {
            return RespReply.error("ERR CONFIG " + text(args.get(1))
                    + " is not supported by ringkv; its settings are the ringkv.* properties");
        }
        if (args.size() < 3) {
            return RespCommands.wrongArity("config|get");
        }
        List<RespReply> pairs = new ArrayList<>();
        for (var entry : CONFIG.entrySet()) {
            for (int i = 2; i < args.size(); i++) {
                String pattern = text(args.get(i)).toLowerCase(Locale.ROOT);
                if (pattern.equals("*") || pattern.equals(entry.getKey())) {
                    pairs.add(RespReply.bulk(entry.getKey()));
                    pairs.add(RespReply.bulk(entry.getValue()));
                    break;
                }
            }
        }
        return new RespReply.Array(pairs);
    }

    /** INFO [section ...]: server, clients, stats, keyspace; default, all and everything are all four. */
    RespReply info(List<byte[]> args) {
        List<String> wanted = new ArrayList<>();
        for (int i = 1; i < args.size(); i++) {
            wanted.add(text(args.get(i)).toLowerCase(Locale.ROOT));
        }
        boolean everything = wanted.isEmpty() || wanted.contains("default") || wanted.contains("all")
                || wanted.contains("everything");
        long now = clockMillis.getAsLong();
        StringBuilder out = new StringBuilder();
        if (everything || wanted.contains("server")) {
            long uptimeSeconds = (now - clients.startedMillis()) / 1000;
            section(out, "Server",
                    "redis_version:" + REDIS_COMPATIBLE_VERSION,
                    "ringkv_version:" + version,
                    "ringkv_node_id:" + backend.nodeId(),
                    "redis_mode:standalone",
                    "os:" + System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                            + System.getProperty("os.arch"),
                    "arch_bits:64",
                    "process_id:" + backend.pid(),
                    "tcp_port:" + port,
                    "uptime_in_seconds:" + uptimeSeconds,
                    "uptime_in_days:" + uptimeSeconds / 86_400);
        }
        if (everything || wanted.contains("clients")) {
            section(out, "Clients",
                    "connected_clients:" + clients.connected(),
                    "maxclients:" + clients.connectionsMax());
        }
        if (everything || wanted.contains("stats")) {
            section(out, "Stats",
                    "total_connections_received:" + clients.received(),
                    "total_commands_processed:" + clients.commands(),
                    "rejected_connections:" + clients.rejected());
        }
        if (everything || wanted.contains("keyspace")) {
            long keys = backend.keys();
            // As in Redis, an empty database has no line. Keys and bytes are this node's own.
            section(out, "Keyspace", keys > 0 ? "db0:keys=" + keys + ",expires=0,avg_ttl=0" : null);
        }
        return RespReply.bulk(out.toString());
    }

    private static void section(StringBuilder out, String title, String... lines) {
        if (!out.isEmpty()) {
            out.append("\r\n");
        }
        out.append("# ").append(title).append("\r\n");
        for (String line : lines) {
            if (line != null) {
                out.append(line).append("\r\n");
            }
        }
    }

    private static RespReply info(RespCommand command) {
        List<RespReply> flags = new ArrayList<>();
        for (String flag : command.flags()) {
            flags.add(new RespReply.Simple(flag));
        }
        return RespReply.array(
                RespReply.bulk(command.lowerName()),
                RespReply.integer(command.arity()),
                new RespReply.Array(flags),
                RespReply.integer(command.firstKey()),
                RespReply.integer(command.lastKey()),
                RespReply.integer(command.keyStep()),
                RespReply.EMPTY_ARRAY,
                RespReply.EMPTY_ARRAY,
                RespReply.EMPTY_ARRAY,
                RespReply.EMPTY_ARRAY);
    }

    /** The commands named from the third word on; null for a name ringkv does not know. */
    private static List<RespCommand> named(List<byte[]> args) {
        List<RespCommand> commands = new ArrayList<>();
        for (int i = 2; i < args.size(); i++) {
            commands.add(RespCommand.of(args.get(i)));
        }
        return commands;
    }

    private static RespReply unknownSubcommand(byte[] sub, String command) {
        return RespReply.error("ERR unknown subcommand '" + RespCommands.excerpt(sub) + "'. Try " + command + " HELP.");
    }

    private static RespReply lines(String... lines) {
        List<RespReply> replies = new ArrayList<>();
        for (String line : lines) {
            replies.add(new RespReply.Simple(line));
        }
        return new RespReply.Array(replies);
    }

    private static Map<String, String> configTable() {
        Map<String, String> table = new LinkedHashMap<>();
        table.put("save", "");
        table.put("appendonly", "no");
        table.put("databases", "1");
        table.put("maxmemory", "0");
        return table;
    }

    /** A decimal integer, or Long.MIN_VALUE when the bytes are not one. */
    static long parseLong(byte[] bytes) {
        try {
            return Long.parseLong(text(bytes));
        } catch (NumberFormatException e) {
            return Long.MIN_VALUE;
        }
    }

    /** Printable ASCII without blanks, what Redis accepts in client names and library info. */
    private static boolean isPlainText(String text) {
        return text.chars().allMatch(c -> c >= '!' && c <= '~');
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static String upper(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1).toUpperCase(Locale.ROOT);
    }
}
