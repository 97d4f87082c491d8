package io.ringkv.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The node's lease on a manual nanosecond clock. */
class LeaseTest {
    private static final Duration LEASE = Duration.ofMillis(1500);
    private long nanos = 1_000_000_000L;
    private final Lease lease = Lease.fromEcs(() -> nanos);

    private long sendHeartbeat() {
        return lease.now();
    }

    private void advanceMs(long ms) {
        nanos += ms * 1_000_000;
    }

    @Test
    void invalidUntilTheFirstGrant() {
        assertThat(lease.valid()).isFalse();
        assertThat(lease.status().reason()).contains("no heartbeat acknowledged");
    }

    @Test
    void runsForTheLeaseFromTheSendingNotFromTheReply() {
        long sent = sendHeartbeat();
        advanceMs(1000); // a slow reply
        lease.answered(sent, LEASE, true, null);
        assertThat(lease.valid()).isTrue();
        assertThat(lease.status().remainingMs()).isEqualTo(500);
        advanceMs(499);
        assertThat(lease.valid()).isTrue();
        advanceMs(1);
        assertThat(lease.valid()).as("exactly lease after the sending").isFalse();
        assertThat(lease.status().reason()).contains("no heartbeat acknowledged for 1500 ms");
    }

    @Test
    void eachGrantRenewsIt() {
        for (int i = 0; i < 10; i++) {
            long sent = sendHeartbeat();
            advanceMs(20);
            lease.answered(sent, LEASE, true, null);
            advanceMs(480);
            assertThat(lease.valid()).isTrue();
        }
        assertThat(lease.status().leaseMs()).isEqualTo(1500);
    }

    @Test
    void aRefusalRenewsNothingAndTheLeaseRunsOut() {
        long first = sendHeartbeat();
        lease.answered(first, LEASE, true, null);
        advanceMs(500);
        long second = sendHeartbeat();
        lease.answered(second, LEASE, false, "routes by epoch 6, the ring is at 7; pull it");
        assertThat(lease.valid()).as("granted until first + lease").isTrue();
        assertThat(lease.status().reason()).contains("epoch 6");
        advanceMs(1000);
        assertThat(lease.valid()).isFalse();
        assertThat(lease.status().reason()).isEqualTo("routes by epoch 6, the ring is at 7; pull it");
    }

    @Test
    void aLateGrantCountsFromItsOwnSending() {
        long older = sendHeartbeat();
        advanceMs(1000);
        long newer = sendHeartbeat();
        lease.answered(newer, LEASE, false, "not a member of the ring at epoch 7");
        lease.answered(older, LEASE, true, null); // its reply took the long way
        assertThat(lease.status().remainingMs()).isEqualTo(500);
        advanceMs(500);
        assertThat(lease.valid()).isFalse();
    }

    @Test
    void aLateGrantDoesNotShortenANewerOne() {
        long older = sendHeartbeat();
        advanceMs(500);
        long newer = sendHeartbeat();
        lease.answered(newer, LEASE, true, null);
        lease.answered(older, LEASE, true, null);
        advanceMs(1400);
        assertThat(lease.valid()).isTrue();
    }

    @Test
    void aLoneNodeNeedsNone() {
        Lease none = Lease.notRequired();
        assertThat(none.valid()).isTrue();
        assertThat(none.status().required()).isFalse();
        assertThat(new ClusterState("n1").leaseValid()).isTrue();
        assertThat(new ClusterState("n1", true, null).leaseValid()).as("a cluster member waits for a grant")
                .isFalse();
    }

    @Test
    void aLeaseByQuorumHoldsExactlyWhileTheViewHasAMajority() {
        Lease quorum = Lease.byQuorum();
        assertThat(quorum.valid()).as("before the first view").isFalse();
        quorum.quorum(true, "unused");
        assertThat(quorum.valid()).isTrue();
        assertThat(quorum.status().reason()).isNull();
        quorum.quorum(false, "2 of the 5 members are alive");
        assertThat(quorum.valid()).isFalse();
        assertThat(quorum.status()).extracting(Lease.Status::required, Lease.Status::valid, Lease.Status::reason)
                .containsExactly(true, false, "2 of the 5 members are alive");
        advanceMs(3_600_000);
        quorum.quorum(true, "unused");
        assertThat(quorum.valid()).as("no clock involved").isTrue();
    }
}
