package io.ringkv.resp;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Looks a command up, checks its arity, and runs it. Unknown commands and wrong arities get
 * Redis's error replies word for word, so clients and people recognise them.
 *
 * <p>Called on the connection's event loop; never blocks. The stage may complete on another
 * thread and never completes exceptionally.
 */
final class RespCommands {
    /** Redis quotes at most this many characters of an unknown command or argument. */
    private static final int EXCERPT_CHARS_MAX = 128;

    private final DataCommands data;
    private final ServerCommands server;
    private final Clients clients;

    RespCommands(DataCommands data, ServerCommands server, Clients clients) {
        this.data = data;
        this.server = server;
        this.clients = clients;
    }

    /** QUIT is the connection's to handle; anything else is answered here. */
    CompletionStage<RespReply> execute(Session session, RespCommand command, List<byte[]> args) {
        clients.commandProcessed();
        if (command == null) {
            return done(unknownCommand(args));
        }
        if (!command.arityAllows(args.size())) {
            return done(wrongArity(command.lowerName()));
        }
        try {
            return switch (command) {
                case GET -> data.get(args);
                case SET -> data.set(args);
                case DEL -> data.del(args);
                case EXISTS -> data.exists(args);
                case MGET -> data.mget(args);
                case MSET -> data.mset(args);
                case DBSIZE -> done(data.dbsize());
                case PING -> done(server.ping(args));
                case ECHO -> done(RespReply.bulk(args.get(1)));
                case INFO -> done(server.info(args));
                case SELECT -> done(server.select(args));
                case QUIT -> done(RespReply.OK);
                case COMMAND -> done(server.command(args));
                case CLIENT -> done(server.client(session, args));
                case HELLO -> done(server.hello(session, args));
                case AUTH -> done(server.auth(args));
                case CONFIG -> done(server.config(args));
            };
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    static RespReply wrongArity(String lowerName) {
        return RespReply.error("ERR wrong number of arguments for '" + lowerName + "' command");
    }

    /** Redis 7's text: {@code unknown command 'foo', with args beginning with: 'a' 'b' }. */
    static RespReply unknownCommand(List<byte[]> args) {
        StringBuilder text = new StringBuilder("ERR unknown command '")
                .append(excerpt(args.getFirst()))
                .append("', with args beginning with: ");
        for (int i = 1; i < args.size() && text.length() < 512; i++) {
            text.append('\'').append(excerpt(args.get(i))).append("' ");
        }
        return RespReply.error(text.toString());
    }

    /** The start of an argument as printable text: control bytes and quotes become {@code ?}. */
    static String excerpt(byte[] arg) {
        StringBuilder out = new StringBuilder(Math.min(arg.length, EXCERPT_CHARS_MAX));
        for (int i = 0; i < arg.length && i < EXCERPT_CHARS_MAX; i++) {
            int b = arg[i] & 0xff;
            out.append(b >= 0x20 && b < 0x7f && b != '\'' ? (char) b : '?');
        }
        return out.toString();
    }

    private static CompletionStage<RespReply> done(RespReply reply) {
        return CompletableFuture.completedFuture(reply);
    }
}
