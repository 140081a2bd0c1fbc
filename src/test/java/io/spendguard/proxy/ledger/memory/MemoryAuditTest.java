package io.spendguard.proxy.ledger.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.audit.AuditChain;
import io.spendguard.proxy.audit.AuditEvent;
import io.spendguard.proxy.audit.AuditLog;
import io.spendguard.proxy.audit.AuditRecord;
import io.spendguard.proxy.audit.AuditVerifier;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The in-memory chain: keeps its newest records only, and still verifies from the oldest one kept. */
class MemoryAuditTest {
    @Test
    void keepsTheNewestRecordsAndVerifiesFromTheOldestKept() throws Exception {
        MemoryAudit audit = new MemoryAudit(AuditChain.ephemeral(Clock.systemUTC()), 5);
        for (int i = 0; i < 12; i++) {
            audit.enqueue(new AuditEvent(AuditEvent.COMMIT, i % 2 == 0 ? "even" : "odd", Map.of("i", (long) i)));
        }
        List<AuditRecord> kept = audit.read(AuditLog.Query.all(0)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(kept).extracting(AuditRecord::seq).containsExactly(8L, 9L, 10L, 11L, 12L);
        assertThat(audit.read(new AuditLog.Query("odd", 0, null, 10)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS))
                .extracting(AuditRecord::seq).containsExactly(8L, 10L, 12L);
        AuditVerifier.Result r = audit.verify().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(r.ok()).as(r.describe()).isTrue();
        assertThat(r.records()).isEqualTo(5);
        assertThat(r.headSeq()).isEqualTo(12);
    }
}
