package io.spendguard.proxy.bench;

import io.spendguard.proxy.audit.AuditChain;
import io.spendguard.proxy.audit.AuditEvent;
import io.spendguard.proxy.audit.AuditRecord;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the audit chain costs per model call: linking its two records (a decision and a commit, as
 * the engine and the ledger write them) — canonical JSON and SHA-256 — and one Ed25519 signature,
 * which the chain spends once per batch (at most every 50 ms under load), not per call.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class AuditBench {
    private final AuditChain chain = AuditChain.ephemeral(Clock.systemUTC());
    private List<AuditEvent> call;
    private AuditChain.Head head = AuditChain.GENESIS;

    @Setup
    public void setUp() {
        String decision = UUID.randomUUID().toString();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("decision_id", decision);
        d.put("outcome", "CONTINUE");
        d.put("reservation_id", "res_" + decision);
        d.put("claim_usd_micros", 1_254L);
        d.put("reserved_usd_micros", 1_254L);
        d.put("remaining_usd_micros", 998_745_129L);
        d.put("reason_codes", List.of());
        d.put("matched_rule_ids", List.of());
        d.put("model", "gpt-4o-mini");
        d.put("input_tokens", 512L);
        d.put("output_tokens", 256L);
        d.put("pricing_version", "2026-11-01");
        d.put("key_id", "vk_8f2a41c0");
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("reservation_id", "res_" + decision);
        c.put("held_usd_micros", 1_254L);
        c.put("committed_usd_micros", 231L);
        c.put("released_usd_micros", 1_023L);
        c.put("reserved_after_usd_micros", 0L);
        c.put("committed_after_usd_micros", 1_009_102L);
        c.put("remaining_usd_micros", 998_990_898L);
        call = new ArrayList<>(List.of(new AuditEvent(AuditEvent.DECISION, "team-a", d), new AuditEvent(AuditEvent.COMMIT, "team-a", c)));
    }

    @Benchmark
    public List<AuditRecord> linkOneCallsRecords() {
        List<AuditRecord> linked = chain.link(head, call);
        AuditRecord last = linked.get(1);
        head = new AuditChain.Head(last.seq(), last.hash());
        return linked;
    }

    @Benchmark
    public String signOneBatch() {
        return chain.sign(head.hash());
    }
}
