package io.ringkv.node;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.ringkv.transport.PacketHandler;
import io.ringkv.wire.Command;
import io.ringkv.wire.Envelope;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.Origin;
import io.ringkv.wire.proto.KVResponse;
import java.net.InetSocketAddress;
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
 * request whose write is still waiting on storage (or on another node) is tracked in {@link #inflight}, and a retry that
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

    private final NodeContext node;
    private final KvService kv;
    private final ReplyCache replies;
    private final NodeMetrics metrics;
    private final ConcurrentHashMap<InflightKey, Boolean> inflight = new ConcurrentHashMap<>();
    private final int inflightMax;
    private final int valueBytesMax;

    public RequestProcessor(NodeContext node, KvService kv, ReplyCache replies, NodeMetrics metrics,
            int inflightMax, int valueBytesMax) {
        this.node = node;
        this.kv = kv;
        this.replies = replies;
        this.metrics = metrics;
        this.inflightMax = inflightMax;
        this.valueBytesMax = valueBytesMax;
    }

    private record InflightKey(InetSocketAddress client, ByteString messageId) {}

    private static InflightKey inflightKey(Origin key) {
        return new InflightKey(key.client(), ByteString.copyFrom(key.messageId()));
    }

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

    /** Cached in place of a reply for a write whose outcome is unknown (no real reply is empty). */
    private static final byte[] UNKNOWN_OUTCOME_MARK = new byte[0];

    /** {@code request} is null when the payload did not parse. */
    private void process(ByteString messageId, Envelope.Opened.Request request, InetSocketAddress sender,
            Replier replier, long startNanos) {
        byte[] id = messageId.toByteArray();
        // A forwarded request is cached under its origin: the client's address and messageID.
        Origin origin = request == null || !request.request().hasOrigin()
                ? null
                : Origin.decode(request.request().getOrigin());
        Origin key = origin != null ? origin : new Origin(sender, id);
        byte[] cached = replies.get(key.client(), key.messageId());
        if (cached != null && cached.length == 0) {
            // A retry of a write whose outcome is unknown: running it again could apply it twice.
            metrics.discarded("retry-of-unknown-outcome");
            return;
        }
        if (cached != null) {
            metrics.replayed();
            replier.reply(origin == null ? cached : Envelope.resealReply(cached, messageId));
            return;
        }
        // Most requests complete within this call and are never tracked: no key is built while
        // nothing is in flight.
        InflightKey inflightKey = inflight.isEmpty() ? null : inflightKey(key);
        if (inflightKey != null && inflight.containsKey(inflightKey)) {
            metrics.discarded("retry-inflight");
            return;
        }
        Command command = request == null ? null : Command.of(request.request().getCommand());
        int replyBytesMax = REPLY_OVERHEAD_BYTES + id.length + (command == Command.GET ? valueBytesMax : 0);
        if (inflight.size() >= inflightMax || !replies.hasRoom(key.client(), key.messageId(), replyBytesMax)) {
            int waitMs = replies.overloadWaitMs();
            metrics.completed(command, ErrorCode.OVERLOAD, startNanos);
            replier.reply(Envelope.sealReply(messageId, KVResponse.newBuilder()
                    .setErrCode(ErrorCode.OVERLOAD.code())
                    .setOverloadWaitTime(waitMs)
                    .build()));
            return;
        }
        CompletionStage<KVResponse> outcome = request == null
                ? Replies.done(Replies.of(ErrorCode.UNKNOWN_COMMAND))
                : kv.execute(request.request(), key);
        var done = outcome.toCompletableFuture();
        if (done.isDone() && !done.isCompletedExceptionally()) {
            finish(messageId, key, origin != null, sender, replier, command, done.join(), startNanos);
            return;
        }
        InflightKey tracked = inflightKey != null ? inflightKey : inflightKey(key);
        inflight.put(tracked, Boolean.TRUE);
        outcome.whenComplete((response, failure) -> {
            KVResponse reply = failure == null ? response : internalFailure(command, failure);
            try {
                finish(messageId, key, origin != null, sender, replier, command, reply, startNanos);
            } finally {
                // Removed only after the reply is cached, so a retry always finds one of the two.
                inflight.remove(tracked);
            }
        });
    }

    /**
     * {@code response} null: nothing is sent or cached, a retry is welcome; {@link
     * KvService#OUTCOME_UNKNOWN}: nothing is sent, and retries are refused for the cache's TTL.
     */
    private void finish(ByteString messageId, Origin key, boolean forwarded, InetSocketAddress sender,
            Replier replier, Command command, KVResponse response, long startNanos) {
        if (response == null) {
            metrics.discarded("no-reply");
            return;
        }
        if (response == KvService.OUTCOME_UNKNOWN) {
            metrics.discarded("outcome-unknown");
            replies.put(key.client(), key.messageId(), UNKNOWN_OUTCOME_MARK);
            return;
        }
        byte[] bytes = Envelope.sealReply(forwarded ? ByteString.copyFrom(key.messageId()) : messageId, response);
        if (response.getErrCode() != ErrorCode.OVERLOAD.code()) {
            // OVERLOAD means "not executed, retry this messageID later": caching it would refuse the retry.
            replies.put(key.client(), key.messageId(), bytes);
        }
        metrics.completed(command, ErrorCode.of(response.getErrCode()), startNanos);
        replier.reply(forwarded ? Envelope.sealReply(messageId, response) : bytes);
        if (command == Command.SHUTDOWN && response.getErrCode() == ErrorCode.SUCCESS.code()) {
            node.shutdown("SHUTDOWN command from " + sender);
        }
    }

    /** The service promises not to fail its stages; if it does anyway, the client hears of it. */
    private static KVResponse internalFailure(Command command, Throwable failure) {
        log.error("{} failed unexpectedly", command, failure);
        return Replies.of(ErrorCode.INTERNAL_FAILURE);
    }
}
