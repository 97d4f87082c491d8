package io.ringkv.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringkv.common.TestSeeds;
import io.ringkv.membership.MembershipCodec.Decoded;
import io.ringkv.membership.MembershipCodec.Rejection;
import io.ringkv.membership.Message.Ack;
import io.ringkv.membership.Message.Gossip;
import io.ringkv.membership.Message.Nack;
import io.ringkv.membership.Message.Ping;
import io.ringkv.membership.Message.PingReq;
import io.ringkv.membership.Message.SyncReply;
import io.ringkv.membership.Message.SyncRequest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The datagram format: every message round-trips, and no input makes decoding throw or over-allocate. */
class MembershipCodecTest {
    private static final byte[] KEY = "sixteen byte key, or longer".getBytes(StandardCharsets.UTF_8);
    private static final Endpoint B = Endpoint.of("node-b", "127.0.0.1", 7002);
    private static final Endpoint C = Endpoint.of("nœud-ç", "host.example", 65_535);
    private static final List<Update> GOSSIP = List.of(Update.alive(B, 3), Update.suspect(C, 7, "node-b"),
            Update.dead(B, 4, "node-c"), Update.left(C, Long.MAX_VALUE));

    private final MembershipCodec plain = new MembershipCodec(null, 1_400);
    private final MembershipCodec keyed = new MembershipCodec(KEY, 1_400);

    static Stream<Message> everyMessage() {
        return Stream.of(
                new Ping(Integer.MIN_VALUE, "node-b", GOSSIP),
                new PingReq(1, C, List.of()),
                new Ack(-1, GOSSIP),
                new Nack(42, List.of(Update.alive(C, 0))),
                new SyncRequest(Update.alive(B, 9), "", GOSSIP),
                new SyncReply(GOSSIP, "node-c", List.of()),
                new Gossip(GOSSIP));
    }

    @ParameterizedTest
    @MethodSource("everyMessage")
    void everyMessageRoundTripsWithAndWithoutAKey(Message message) {
        for (MembershipCodec codec : List.of(plain, keyed)) {
            byte[] bytes = codec.encode(message);
            assertThat(bytes).hasSize(MembershipCodec.messageBytes(message) + codec.tagBytes());
            assertThat(codec.decode(bytes, 0, bytes.length)).isEqualTo(new Decoded.Ok(message));
        }
    }

    @Test
    void theHeaderIsVersionFlagsType() {
        byte[] bytes = plain.encode(new Ack(0x01020304, List.of()));
        // version 1, no tag, type 3 (ACK), seq big-endian, no updates
        assertThat(bytes).containsExactly(1, 0, 3, 1, 2, 3, 4, 0);
        assertThat(keyed.encode(new Ack(0x01020304, List.of()))).hasSize(8 + 16).startsWith(1, 1, 3);
    }

    @ParameterizedTest
    @MethodSource("everyMessage")
    void aStampedEpochRoundTripsAndFitsTheEnvelopeTheCoreReserves(Message message) {
        for (MembershipCodec codec : List.of(plain, keyed)) {
            byte[] bytes = codec.encode(message, 1L << 40);
            assertThat(bytes).hasSize(MembershipCodec.messageBytes(message) + codec.tagBytes()
                    + MembershipCodec.EPOCH_BYTES);
            assertThat(bytes.length - MembershipCodec.messageBytes(message))
                    .isLessThanOrEqualTo(MembershipCodec.ENVELOPE_BYTES_MAX);
            assertThat(codec.decode(bytes, 0, bytes.length)).isEqualTo(new Decoded.Ok(message, 1L << 40));
        }
    }

    @Test
    void theEpochFollowsTheHeaderUnderFlagBitOne() {
        byte[] bytes = plain.encode(new Ack(0x01020304, List.of()), 0x0A0B);
        // version 1, flags: epoch, type 3 (ACK), epoch big-endian, seq, no updates
        assertThat(bytes).containsExactly(1, 2, 3, 0, 0, 0, 0, 0, 0, 0x0A, 0x0B, 1, 2, 3, 4, 0);
        assertThat(keyed.encode(new Ack(1, List.of()), 5)).startsWith(1, 3, 3);
        byte[] negative = bytes.clone();
        negative[3] = (byte) 0x80;
        assertMalformed(negative, "negative ring epoch");
        assertThatThrownBy(() -> plain.encode(new Ack(1, List.of()), -2)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @MethodSource("everyMessage")
    void everyTruncationIsRejectedAsMalformed(Message message) {
        byte[] bytes = plain.encode(message);
        for (int length = 0; length < bytes.length; length++) {
            Decoded decoded = plain.decode(bytes, 0, length);
            assertThat(decoded).as("first %d bytes", length).isInstanceOfSatisfying(Decoded.Rejected.class,
                    r -> assertThat(r.rejection()).isEqualTo(Rejection.MALFORMED));
        }
    }

    @Test
    void trailingBytesBadVersionsAndUnknownTypesAreMalformed() {
        byte[] bytes = plain.encode(new Ack(1, List.of()));
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
        assertMalformed(longer, "after the message");
        byte[] version = bytes.clone();
        version[0] = 2;
        assertMalformed(version, "unsupported version 2");
        byte[] type = bytes.clone();
        type[2] = 99;
        assertMalformed(type, "unknown message type 99");
        byte[] flags = bytes.clone();
        flags[1] = 4;
        assertMalformed(flags, "unknown flags");
    }

    @Test
    void aHugeCountIsRejectedBeforeAnythingIsAllocated() {
        // An ACK claiming 255 updates with 2 bytes left.
        byte[] bytes = {1, 0, 3, 0, 0, 0, 1, (byte) 255, 0, 0};
        assertMalformed(bytes, "255 updates cannot fit");
        // A string claiming 200 bytes with 1 left.
        byte[] ping = {1, 0, 1, 0, 0, 0, 1, (byte) 200, 'x'};
        assertMalformed(ping, "a string of 200 bytes");
    }

    @Test
    void fieldsTheRecordsRefuseAreMalformedNotThrown() {
        // PING_REQ to an endpoint with port 0.
        byte[] bytes = {1, 0, 2, 0, 0, 0, 1, 1, 'b', 1, 'h', 0, 0, 0};
        assertMalformed(bytes, "port must be 1..65535");
        // A string that is not UTF-8.
        byte[] ping = {1, 0, 1, 0, 0, 0, 1, 1, (byte) 0xff, 0};
        assertMalformed(ping, "not UTF-8");
    }

    @Test
    void randomBytesNeverThrow() {
        long seed = TestSeeds.seed();
        SplittableRandom random = new SplittableRandom(seed);
        byte[] valid = plain.encode(new Gossip(GOSSIP));
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes;
            if (random.nextBoolean()) {
                bytes = new byte[1 + random.nextInt(64)];
                random.nextBytes(bytes);
                bytes[0] = 1;
                if (bytes.length > 1) {
                    bytes[1] = 0;
                }
            } else {
                bytes = valid.clone();
                bytes[3 + random.nextInt(bytes.length - 3)] ^= (byte) (1 << random.nextInt(8));
            }
            Decoded decoded = plain.decode(bytes, 0, bytes.length);
            assertThat(decoded).as("seed %d, input %d", seed, i).isNotNull();
        }
    }

    @Test
    void withAKeyUntaggedWronglyTaggedAndTamperedDatagramsAreRejectedAsUnauthenticated() {
        Message message = new Ping(5, "node-b", GOSSIP);
        assertUnauthenticated(keyed, plain.encode(message), "no tag");
        assertUnauthenticated(new MembershipCodec("another key of 16+ bytes".getBytes(StandardCharsets.UTF_8), 1_400),
                keyed.encode(message), "wrong tag");
        byte[] tampered = keyed.encode(message);
        tampered[10] ^= 1;
        assertUnauthenticated(keyed, tampered, "wrong tag");
        assertUnauthenticated(plain, keyed.encode(message), "no cluster key");
        assertUnauthenticated(keyed, new byte[] {1, 1, 3, 0}, "too short for a tag");
    }

    @Test
    void datagramsOverTheLimitAreRejectedAndNeverEncoded() {
        MembershipCodec small = new MembershipCodec(null, SwimConfig.DATAGRAM_BYTES_MIN);
        byte[] big = plain.encode(new Gossip(java.util.Collections.nCopies(30, Update.alive(B, 1))));
        assertThat(small.decode(big, 0, big.length)).isInstanceOfSatisfying(Decoded.Rejected.class,
                r -> assertThat(r.rejection()).isEqualTo(Rejection.TOO_LARGE));
        assertThatThrownBy(() -> small.encode(new Gossip(java.util.Collections.nCopies(30, Update.alive(B, 1)))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceeds the datagram limit");
    }

    @Test
    void aShortClusterKeyIsRefused() {
        assertThatThrownBy(() -> new MembershipCodec(new byte[15], 1_400)).hasMessageContaining("at least 16 bytes");
    }

    private void assertMalformed(byte[] bytes, String reason) {
        assertThat(plain.decode(bytes, 0, bytes.length)).isInstanceOfSatisfying(Decoded.Rejected.class, r -> {
            assertThat(r.rejection()).isEqualTo(Rejection.MALFORMED);
            assertThat(r.reason()).contains(reason);
        });
    }

    private static void assertUnauthenticated(MembershipCodec codec, byte[] bytes, String reason) {
        assertThat(codec.decode(bytes, 0, bytes.length)).isInstanceOfSatisfying(Decoded.Rejected.class, r -> {
            assertThat(r.rejection()).isEqualTo(Rejection.UNAUTHENTICATED);
            assertThat(r.reason()).contains(reason);
        });
    }
}
