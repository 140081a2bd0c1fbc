package io.spendguard.proxy.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class DecisionIdsTest {
    private static final long NOON = 1_764_331_200_000L; // 2025-11-28T12:00:00Z

    @Test
    void idsMadeLaterSortAfterEarlierOnes() {
        String earlier = DecisionIds.at(NOON);
        String later = DecisionIds.at(NOON + 1);
        String muchLater = DecisionIds.at(NOON + 86_400_000L);

        assertThat(earlier).isLessThan(later);
        assertThat(later).isLessThan(muchLater);
        assertThat(UUID.fromString(earlier).getMostSignificantBits() >>> 16).as("the time is the first 48 bits").isEqualTo(NOON);
    }

    @Test
    void idsAreVersion7UuidsWithTheirRandomBitsUnique() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String id = DecisionIds.at(NOON);
            UUID uuid = UUID.fromString(id);
            assertThat(uuid.version()).isEqualTo(7);
            assertThat(uuid.variant()).isEqualTo(2);
            ids.add(id);
        }
        assertThat(ids).as("ids of one millisecond differ in their random bits").hasSize(10_000);
    }
}
