package io.ringkv.node;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.ringkv.storage.StorageEngine;
import io.ringkv.storage.StorageException;
import io.ringkv.transport.PacketHandler;
import io.ringkv.wire.Command;
import io.ringkv.wire.Envelope;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVResponse;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns request packets into replies with at-most-once semantics, for UDP datagrams and TCP
 * frames alike.
 *
 * <p>Every reply a request earned (error replies included) is kept in the {@link ReplyCache} by
 * (client address, messageID); a retry gets the same bytes back and is not executed again. A
 * request whose write is still waiting on storage is tracked in {@link #inflight}, and a retry that
 * arrives meanwhile is dropped: the original's reply answers it. OVERLOAD replies are the one
 * exception and are not cached, because they tell the client to retry the same messageID later.
 *
 * <p>Runs on Netty event loops and never blocks; storage completions may arrive on other threads.
 */
public final class RequestProcessor implements PacketHandler {
    private static final Logger log = LoggerFactory.getLogger(RequestProcessor.class);
    /** Envelope and response fields around a value, generously rounded up. */
    private static final int REPLY_OVERHEAD_BYTES = 96;

    /** The largest reply this processor can produce for values of {@code valueBytesMax}. */
    public static int replyBytesMax(int valueBytesMax) {
        return REPLY_OVERHEAD_BYTES + Envelope.MESSAGE_ID_BYTES_MAX + valueBytesMax;
    }

    /** Storage is shedding load; the wait is a guess at how long a group commit takes to drain. */
    private static final KVResponse BUSY = KVResponse.newBuilder()
            .setErrCode(ErrorCode.OVERLOAD.code())
            .setOverloadWaitTime(50)
            .build();

    private final NodeContext node;
    private final StorageEngine storage;
    private final ReplyCache replies;
    private final NodeMetrics metrics;
    private final ConcurrentHashMap<InflightKey, Boolean> inflight = new ConcurrentHashMap<>();
    private final int inflightMax;
    private final int keyBytesMax;
    private final int valueBytesMax;

    public RequestProcessor(NodeContext node, StorageEngine storage, ReplyCache replies, NodeMetrics metrics,
            int inflightMax, int keyBytesMax, int valueBytesMax) {
        this.node = node;
        this.storage = storage;
        this.replies = replies;
        this.metrics = metrics;
        this.inflightMax = inflightMax;
        this.keyBytesMax = keyBytesMax;
        this.valueBytesMax = valueBytesMax;
    }

    private record InflightKey(InetSocketAddress client, ByteString messageId) {}

    @Override
    public void handle(ByteBuf packet, InetSocketAddress sender, Replier replier) {
        long startNanos = System.nanoTime();
        switch (Envelope.open(packet.nioBuffer())) {
            case Envelope.Opened.Malformed m -> {
                metrics.discarded("malformed");
                replier.reject(m.reason());
            }
            case Envelope.Opened.BadChecksum b -> {
                metrics.discarded("checksum");
                replier.reject("checksum mismatch");
            }
            case Envelope.Opened.BadPayload p -> process(p.messageId(), null, sender, replier, startNanos);
            case Envelope.Opened.Request r -> process(r.messageId(), r, sender, replier, startNanos);
        }
    }

    @Override
    public void discarded(InetSocketAddress sender, Discard why) {
        metrics.discarded(switch (why) {
            case OVERSIZED_DATAGRAM -> "oversized";
            case BAD_FRAME -> "bad-frame";
        });
    }

    /** {@code request} is null when the payload did not parse. */
    private void process(ByteString messageId, Envelope.Opened.Request request, InetSocketAddress sender,
            Replier replier, long startNanos) {
        byte[] id = messageId.toByteArray();
        byte[] cached = replies.get(sender, id);
        if (cached != null) {
            metrics.replayed();
            replier.reply(cached);
            return;
        }
        InflightKey key = new InflightKey(sender, messageId);
        if (inflight.containsKey(key)) {
            metrics.discarded("retry-inflight");
            return;
        }
        Command command = request == null ? null : Command.of(request.request().getCommand());
        int replyBytesMax = REPLY_OVERHEAD_BYTES + id.length + (command == Command.GET ? valueBytesMax : 0);
        if (inflight.size() >= inflightMax || !replies.hasRoom(sender, id, replyBytesMax)) {
            int waitMs = replies.overloadWaitMs();
            metrics.completed(command, ErrorCode.OVERLOAD, startNanos);
            replier.reply(Envelope.sealReply(messageId, KVResponse.newBuilder()
                    .setErrCode(ErrorCode.OVERLOAD.code())
                    .setOverloadWaitTime(waitMs)
                    .build()));
            return;
        }
        CompletionStage<KVResponse> outcome = request == null
                ? error(ErrorCode.UNKNOWN_COMMAND)
                : execute(command, request);
        var done = outcome.toCompletableFuture();
        if (done.isDone()) {
            finish(messageId, id, sender, replier, command, done.join(), startNanos);
            return;
        }
        inflight.put(key, Boolean.TRUE);
        outcome.whenComplete((response, failure) -> {
            KVResponse reply = failure == null ? response : failureReply(command, failure);
            try {
                finish(messageId, id, sender, replier, command, reply, startNanos);
            } finally {
                // Removed only after the reply is cached, so a retry always finds one of the two.
                inflight.remove(key);
            }
        });
    }

    private void finish(ByteString messageId, byte[] id, InetSocketAddress sender, Replier replier,
            Command command, KVResponse response, long startNanos) {
        byte[] bytes = Envelope.sealReply(messageId, response);
        if (response.getErrCode() != ErrorCode.OVERLOAD.code()) {
            // OVERLOAD means "not executed, retry this messageID later": caching it would refuse the retry.
            replies.put(sender, id, bytes);
        }
        metrics.completed(command, ErrorCode.of(response.getErrCode()), startNanos);
        replier.reply(bytes);
        if (command == Command.SHUTDOWN && response.getErrCode() == ErrorCode.SUCCESS.code()) {
            node.shutdown("SHUTDOWN command from " + sender);
        }
    }

    private CompletionStage<KVResponse> execute(Command command, Envelope.Opened.Request request) {
        if (command == null) {
            return error(ErrorCode.UNKNOWN_COMMAND);
        }
        var kv = request.request();
        try {
            return switch (command) {
                case PUT -> {
                    if (!validKey(kv.getKey())) {
                        yield error(ErrorCode.INVALID_KEY);
                    }
                    if (kv.getValue().size() > valueBytesMax) {
                        yield error(ErrorCode.INVALID_VALUE);
                    }
                    yield storage.put(kv.getKey().toByteArray(), kv.getValue().toByteArray(), kv.getVersion())
                            .handle((ok, failure) -> failure == null ? Replies.SUCCESS : failureReply(command, failure));
                }
                case GET -> {
                    if (!validKey(kv.getKey())) {
                        yield error(ErrorCode.INVALID_KEY);
                    }
                    var found = storage.get(kv.getKey().toByteArray());
                    yield Replies.done(found == null
                            ? Replies.NO_SUCH_KEY
                            : KVResponse.newBuilder()
                                    .setErrCode(ErrorCode.SUCCESS.code())
                                    .setValue(ByteString.copyFrom(found.value()))
                                    .setVersion(found.version())
                                    .build());
                }
                case REMOVE -> {
                    if (!validKey(kv.getKey())) {
                        yield error(ErrorCode.INVALID_KEY);
                    }
                    yield storage.remove(kv.getKey().toByteArray())
                            .handle((existed, failure) -> failure != null
                                    ? failureReply(command, failure)
                                    : existed ? Replies.SUCCESS : Replies.NO_SUCH_KEY);
                }
                case WIPEOUT -> storage.wipe()
                        .handle((ok, failure) -> failure == null ? Replies.SUCCESS : failureReply(command, failure));
                case SHUTDOWN, IS_ALIVE -> Replies.done(Replies.SUCCESS);
                case GET_PID -> Replies.done(KVResponse.newBuilder()
                        .setErrCode(ErrorCode.SUCCESS.code())
                        .setPid((int) node.pid())
                        .build());
                case GET_MEMBERSHIP_COUNT -> Replies.done(KVResponse.newBuilder()
                        .setErrCode(ErrorCode.SUCCESS.code())
                        .setMembershipCount(node.membershipCount())
                        .build());
            };
        } catch (RuntimeException e) {
            return Replies.done(failureReply(command, e));
        }
    }

    private boolean validKey(ByteString key) {
        return !key.isEmpty() && key.size() <= keyBytesMax;
    }

    private static CompletionStage<KVResponse> error(ErrorCode code) {
        return Replies.done(Replies.of(code));
    }

    private static KVResponse failureReply(Command command, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause()
                : failure;
        if (cause instanceof StorageException se) {
            switch (se.reason()) {
                case OUT_OF_SPACE -> {
                    return Replies.of(ErrorCode.OUT_OF_SPACE);
                }
                case BUSY -> {
                    return BUSY;
                }
                case FAILURE -> {}
            }
        }
        log.warn("{} failed: {}", command, cause.toString(), cause instanceof StorageException ? null : cause);
        return Replies.of(ErrorCode.INTERNAL_FAILURE);
    }
}
