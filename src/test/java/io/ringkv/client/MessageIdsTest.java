package io.ringkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ringkv.common.TestSeeds;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class MessageIdsTest {
    @Test
    void idsAreSixteenBytesAndNeverRepeat() {
        long seed = TestSeeds.seed();
        MessageIds ids = new MessageIds(seed);
        Set<ByteString> seen = new HashSet<>();
        for (int i = 0; i < 200_000; i++) {
            ByteString id = ids.next();
            assertThat(id.size()).as("seed %d", seed).isEqualTo(16);
            assertThat(seen.add(id)).as("seed %d, id #%d repeated", seed, i).isTrue();
        }
    }

    @Test
    void sameSeedGivesSameIdsAndOtherSeedsDiffer() {
        assertThat(new MessageIds(7).next()).isEqualTo(new MessageIds(7).next());
        assertThat(new MessageIds(7).next()).isNotEqualTo(new MessageIds(8).next());
    }

    @Test
    void bothHalvesChangeFromOneIdToTheNext() {
        MessageIds ids = new MessageIds(TestSeeds.seed());
        ByteString a = ids.next();
        ByteString b = ids.next();
        assertThat(a.substring(0, 8)).isNotEqualTo(b.substring(0, 8));
        assertThat(a.substring(8, 16)).isNotEqualTo(b.substring(8, 16));
    }
}
