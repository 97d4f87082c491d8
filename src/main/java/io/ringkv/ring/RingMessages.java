package io.ringkv.ring;

import io.ringkv.wire.proto.MemberInfo;
import io.ringkv.wire.proto.RingInfo;
import java.util.ArrayList;
import java.util.List;

/** Converts ring snapshots to and from their protobuf form ({@code RingInfo} in kv.proto). */
public final class RingMessages {
    private RingMessages() {}

    public static RingInfo toInfo(Ring ring) {
        RingInfo.Builder b = RingInfo.newBuilder().setEpoch(ring.epoch()).setVnodes(ring.vnodes())
                .setReplicationFactor(ring.replicationFactor());
        for (Member m : ring.members()) {
            b.addMembers(MemberInfo.newBuilder().setId(m.id()).setHost(m.host()).setPort(m.port())
                    .setRestPort(m.restPort()));
        }
        return b.build();
    }

    /** The snapshot; throws IllegalArgumentException with the reason when the message is not a valid ring. */
    public static Ring fromInfo(RingInfo info) {
        List<Member> members = new ArrayList<>(info.getMembersCount());
        for (MemberInfo m : info.getMembersList()) {
            members.add(new Member(m.getId(), m.getHost(), m.getPort(), m.getRestPort()));
        }
        if (info.getEpoch() < 0) {
            throw new IllegalArgumentException("ring epoch out of range: " + Long.toUnsignedString(info.getEpoch()));
        }
        return Ring.of(info.getEpoch(), info.getVnodes(), Math.max(1, info.getReplicationFactor()), members);
    }
}
