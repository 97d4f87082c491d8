package io.ringkv.replication;

import com.google.protobuf.ByteString;
import io.ringkv.cluster.Peers;
import io.ringkv.ring.Member;
import io.ringkv.ring.TokenRange;
import io.ringkv.storage.StorageEngine;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Both sides of {@link Command#RANGE_KEYS}: which keys a replica holds in a range, a page at a
 * time. A primary's range sync pushes every key it holds to the range's backups, but a key a
 * backup holds and the primary does not (a remove that reached the old primary and some backups
 * before it died, leaving the others behind) would never be pushed, and would come back the day
 * that backup leads the range. So the sync also lists each backup's keys and pushes those it lacks
 * as they stand here: removed (see {@link RangeSync}).
 *
 * <pre>
 * request: key   = the range: [8 start, exclusive] [8 end, inclusive], big-endian
 *          value = the last key of the previous page; empty for the first
 * reply:   value = [1 more pages: 0 or 1] ([2 length] [length bytes of key])*, keys in unsigned
 *                  lexicographic order, all after the cursor
 * </pre>
 *
 * <p>A page holds at most {@link #PAGE_KEYS_MAX} keys and {@code pageBytesMax} bytes, so that it
 * fits the reply cache like any reply. Serving walks the range on a virtual thread, at most
 * {@link #SERVING_MAX} at once (beyond that OVERLOAD), and keeps only one page's worth of keys.
 * Thread-safe.
 */
public final class RangeKeys {
    private static final Logger log = LoggerFactory.getLogger(RangeKeys.class);
    static final int PAGE_KEYS_MAX = 256;
    static final int SERVING_MAX = 4;
    private static final KVResponse BUSY = KVResponse.newBuilder().setErrCode(ErrorCode.OVERLOAD.code())
            .setOverloadWaitTime(100).build();

    private final StorageEngine storage;
    private final Peers peers;
    private final int pageBytesMax;
    private final Semaphore serving = new Semaphore(SERVING_MAX);

    /** A page of a replica's keys, and whether more follow. */
    public record Page(List<byte[]> keys, boolean more) {}

    /** @param pageBytesMax bytes a page's value may take; at least one key and its length */
    public RangeKeys(StorageEngine storage, Peers peers, int pageBytesMax) {
        if (pageBytesMax < 1 + 2 + 1) {
            throw new IllegalArgumentException("a page must hold a key: " + pageBytesMax);
        }
        this.storage = storage;
        this.peers = peers;
        this.pageBytesMax = pageBytesMax;
    }

    /** The replica's side: the page of its keys in the range that follows the cursor. */
    public CompletionStage<KVResponse> serve(KVRequest request) {
        if (request.getKey().size() != 2 * Long.BYTES) {
            return CompletableFuture.completedFuture(
                    KVResponse.newBuilder().setErrCode(ErrorCode.INVALID_KEY.code()).build());
        }
        if (!serving.tryAcquire()) {
            return CompletableFuture.completedFuture(BUSY);
        }
        ByteBuffer range = request.getKey().asReadOnlyByteBuffer();
        long start = range.getLong();
        long end = range.getLong();
        byte[] after = request.getValue().toByteArray();
        CompletableFuture<KVResponse> reply = new CompletableFuture<>();
        Thread.ofVirtual().name("ringkv-range-keys").start(() -> {
            try {
                Page page = page(start, end, after);
                reply.complete(KVResponse.newBuilder().setErrCode(ErrorCode.SUCCESS.code())
                        .setValue(encode(page)).build());
            } catch (RuntimeException e) {
                log.warn("listing the keys of a range failed: {}", e.toString());
                reply.complete(KVResponse.newBuilder().setErrCode(ErrorCode.INTERNAL_FAILURE.code()).build());
            } finally {
                serving.release();
            }
        });
        return reply;
    }

    Page page(long start, long end, byte[] after) {
        TreeSet<byte[]> smallest = new TreeSet<>(Arrays::compareUnsigned);
        boolean[] more = new boolean[1];
        storage.forEachInRange(start, end, (key, value, version) -> {
            if (Arrays.compareUnsigned(key, after) > 0) {
                smallest.add(key);
                if (smallest.size() > PAGE_KEYS_MAX) {
                    smallest.pollLast();
                    more[0] = true;
                }
            }
        });
        List<byte[]> keys = new ArrayList<>(smallest.size());
        int bytes = 1;
        for (byte[] key : smallest) {
            if (bytes + 2 + key.length > pageBytesMax) {
                more[0] = true;
                break;
            }
            keys.add(key);
            bytes += 2 + key.length;
        }
        return new Page(keys, more[0]);
    }

    /**
     * The syncing primary's side: a page of {@code replica}'s keys in the range. Fails with a
     * {@link RangeKeysUnsupported} when the replica does not know the command (an older node).
     */
    public CompletionStage<Page> fetch(Member replica, TokenRange range, byte[] after) {
        KVRequest request = KVRequest.newBuilder()
                .setCommand(Command.RANGE_KEYS.code())
                .setKey(CatchUp.encode(range))
                .setValue(ByteString.copyFrom(after))
                .build();
        return peers.exchange(replica, request).thenApply(reply -> {
            if (reply.getErrCode() == ErrorCode.UNKNOWN_COMMAND.code()) {
                throw new RangeKeysUnsupported(replica.id());
            }
            if (reply.getErrCode() != ErrorCode.SUCCESS.code()) {
                throw new IllegalStateException(replica.id() + " did not list its keys: "
                        + ErrorCode.of(reply.getErrCode()));
            }
            return decode(reply.getValue());
        });
    }

    static ByteString encode(Page page) {
        int bytes = 1;
        for (byte[] key : page.keys()) {
            bytes += 2 + key.length;
        }
        ByteBuffer out = ByteBuffer.allocate(bytes);
        out.put((byte) (page.more() ? 1 : 0));
        for (byte[] key : page.keys()) {
            out.putShort((short) key.length).put(key);
        }
        return ByteString.copyFrom(out.flip());
    }

    /** Reads a page; a malformed one throws {@link IllegalArgumentException}. */
    static Page decode(ByteString value) {
        ByteBuffer in = value.asReadOnlyByteBuffer();
        if (!in.hasRemaining()) {
            throw new IllegalArgumentException("an empty page");
        }
        boolean more = in.get() != 0;
        List<byte[]> keys = new ArrayList<>();
        while (in.hasRemaining()) {
            if (in.remaining() < 2) {
                throw new IllegalArgumentException("a truncated key length");
            }
            int length = in.getShort() & 0xffff;
            if (length == 0 || length > in.remaining()) {
                throw new IllegalArgumentException("a key of " + length + " bytes with " + in.remaining() + " left");
            }
            byte[] key = new byte[length];
            in.get(key);
            keys.add(key);
        }
        return new Page(keys, more);
    }

    /** The replica answered UNKNOWN_COMMAND: it predates RANGE_KEYS, and the sync goes on without the listing. */
    public static final class RangeKeysUnsupported extends RuntimeException {
        RangeKeysUnsupported(String replica) {
            super(replica + " does not list keys (RANGE_KEYS)", null, false, false);
        }
    }
}
