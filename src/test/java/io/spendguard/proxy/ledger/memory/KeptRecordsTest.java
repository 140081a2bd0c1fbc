package io.spendguard.proxy.ledger.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spendguard.proxy.audit.AuditChain;
import io.spendguard.proxy.audit.AuditEvent;
import io.spendguard.proxy.audit.AuditRecord;
import io.spendguard.proxy.audit.AuditVerifier;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Records packed into byte segments read back exactly as they were sealed, across segment boundaries. */
class KeptRecordsTest {
    private final AuditChain chain = AuditChain.ephemeral(Clock.systemUTC());

    /** {@code n} sealed records after GENESIS, each with a body of about {@code size} characters. */
    private List<AuditRecord> sealed(int n, int size) {
        List<AuditEvent> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            events.add(new AuditEvent(AuditEvent.COMMIT, i % 3 == 0 ? "a" : "b", Map.of("i", (long) i, "pad", "é".repeat(size))));
        }
        return chain.seal(AuditChain.GENESIS, events);
    }

    @Test
    void manySegmentsReadBackAsSealedAndVerifyFromTheOldestKept() {
        List<AuditRecord> all = sealed(9000, 300); // ~600 bytes each: several 1 MiB segments
        KeptRecords kept = new KeptRecords(5000);
        Instant time = Instant.parse("2026-12-01T00:00:00Z");
        KeptRecords.Seal seal = new KeptRecords.Seal(all.get(all.size() - 1).seq(), all.get(0).signature(), time);
        all.forEach(r -> kept.add(r, r.budgetId(), seal));

        List<AuditRecord> page = kept.read(0, null, null, 1000);
        assertThat(page).hasSize(1000);
        assertThat(page.get(0)).isEqualTo(all.get(4000));
        assertThat(kept.read(8990, null, null, 1000)).containsExactlyElementsOf(all.subList(8990, 9000));
        assertThat(kept.read(0, "a", null, 1000)).allMatch(r -> r.budgetId().equals("a")).first()
                .isEqualTo(all.stream().skip(4000).filter(r -> r.budgetId().equals("a")).findFirst().orElseThrow());
        assertThat(kept.read(0, null, time.plusSeconds(1), 1000)).isEmpty();

        AuditChain.Head start = kept.start();
        assertThat(start).isEqualTo(new AuditChain.Head(4000, all.get(3999).hash()));
        AuditVerifier verifier = new AuditVerifier(chain.trusted(), start);
        for (long after = start.seq(); ; ) {
            List<AuditRecord> records = kept.read(after, null, null, 1000);
            if (records.isEmpty()) {
                break;
            }
            records.forEach(verifier::accept);
            after = records.get(records.size() - 1).seq();
        }
        AuditVerifier.Result r = verifier.result();
        assertThat(r.ok()).as(r.describe()).isTrue();
        assertThat(r.records()).isEqualTo(5000);
    }

    @Test
    void aRecordLargerThanASegmentIsKeptWhole() {
        List<AuditRecord> all = sealed(3, 700_000); // 1.4 MB of UTF-8 each
        KeptRecords kept = new KeptRecords(10);
        KeptRecords.Seal seal = new KeptRecords.Seal(3, all.get(0).signature(), Instant.now());
        all.forEach(r -> kept.add(r, r.budgetId(), seal));
        assertThat(kept.read(0, null, null, 10)).containsExactlyElementsOf(all);
        assertThat(kept.start()).isEqualTo(AuditChain.GENESIS);
    }

    @Test
    void refusesARecordOutOfOrder() {
        List<AuditRecord> all = sealed(2, 1);
        KeptRecords kept = new KeptRecords(10);
        KeptRecords.Seal seal = new KeptRecords.Seal(2, all.get(0).signature(), Instant.now());
        assertThatThrownBy(() -> kept.add(all.get(1), "b", seal)).isInstanceOf(IllegalStateException.class);
    }
}
