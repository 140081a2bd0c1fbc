package io.spendguard.proxy.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The tamper matrix on a chain of records as stored: every kind of change is found, at the right record. */
class AuditVerifierTest {
    private final Clock clock = Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC);
    private final AuditChain chain = AuditChain.ephemeral(clock);

    /** Ten records written in three transactions (4, 3 and 3 records), as a ledger would. */
    private List<AuditRecord> written() {
        List<AuditRecord> out = new ArrayList<>();
        AuditChain.Head head = AuditChain.GENESIS;
        for (int tx = 0; tx < 3; tx++) {
            List<AuditEvent> events = new ArrayList<>();
            for (int i = 0; i < (tx == 0 ? 4 : 3); i++) {
                events.add(new AuditEvent(AuditEvent.COMMIT, "team", Map.of("reservation_id", "res_" + tx + "_" + i,
                        "committed_usd_micros", 1000L * (i + 1))));
            }
            List<AuditRecord> sealed = chain.seal(head, events);
            out.addAll(sealed);
            AuditRecord last = sealed.get(sealed.size() - 1);
            head = new AuditChain.Head(last.seq(), last.hash());
        }
        return out;
    }

    private AuditVerifier.Result verify(List<AuditRecord> records) {
        AuditVerifier v = new AuditVerifier(chain.trusted(), AuditChain.GENESIS);
        records.forEach(v::accept);
        return v.result();
    }

    private static AuditRecord withBody(AuditRecord r, String body, boolean rehash) {
        return new AuditRecord(r.seq(), body, rehash ? Canonical.sha256Hex(body) : r.hash(), r.signedSeq(), r.signature());
    }

    @Test
    void anIntactChainVerifies() {
        AuditVerifier.Result r = verify(written());
        assertThat(r.ok()).isTrue();
        assertThat(r.records()).isEqualTo(10);
        assertThat(r.headSeq()).isEqualTo(10);
        assertThat(r.describe()).startsWith("audit chain ok: 10 records");
    }

    @Test
    void recordsAreCanonicalJsonWithSortedKeysAndOneSignaturePerTransaction() {
        List<AuditRecord> records = written();
        AuditRecord first = records.get(0);
        assertThat(first.body()).startsWith("{\"budget_id\":\"team\",\"data\":{\"committed_usd_micros\":1000,\"reservation_id\":\"res_0_0\"},"
                + "\"key_id\":\"" + chain.keyId() + "\",\"prev_hash\":\"" + "0".repeat(64) + "\",\"seq\":1,");
        assertThat(first.hash()).isEqualTo(Canonical.sha256Hex(first.body()));
        assertThat(records.subList(0, 4)).allSatisfy(r -> {
            assertThat(r.signedSeq()).isEqualTo(4);
            assertThat(r.signature()).isEqualTo(records.get(3).signature());
        });
        assertThat(records.get(4).signedSeq()).isEqualTo(7);
        assertThat(records.get(1).content().getString("prev_hash")).isEqualTo(first.hash());
    }

    @Test
    void anEditedRecordIsFound() {
        List<AuditRecord> records = written();
        AuditRecord r = records.get(5);
        records.set(5, withBody(r, r.body().replace("\"committed_usd_micros\":2000", "\"committed_usd_micros\":2"), false));
        AuditVerifier.Result result = verify(records);
        assertThat(result.ok()).isFalse();
        assertThat(result.badSeq()).isEqualTo(6);
        assertThat(result.reason()).contains("edited");
        assertThat(result.records()).isEqualTo(5);
    }

    @Test
    void anEditedAndRehashedRecordBreaksTheNextLink() {
        List<AuditRecord> records = written();
        AuditRecord r = records.get(4);
        records.set(4, withBody(r, r.body().replace("\"committed_usd_micros\":1000", "\"committed_usd_micros\":1"), true));
        AuditVerifier.Result result = verify(records);
        assertThat(result.badSeq()).isEqualTo(6);
        assertThat(result.reason()).contains("previous hash");
    }

    @Test
    void anEditedRehashedRecordAtTheEndOfItsTransactionFailsItsSignature() {
        List<AuditRecord> records = written();
        AuditRecord r = records.get(9);
        records.set(9, withBody(r, r.body().replace("\"committed_usd_micros\":3000", "\"committed_usd_micros\":3"), true));
        AuditVerifier.Result result = verify(records);
        assertThat(result.badSeq()).isEqualTo(8); // the first record of the transaction whose signature fails
        assertThat(result.reason()).contains("does not verify");
    }

    @Test
    void aRemovedRecordIsFound() {
        List<AuditRecord> records = written();
        records.remove(3);
        AuditVerifier.Result result = verify(records);
        assertThat(result.badSeq()).isEqualTo(5);
        assertThat(result.reason()).contains("where record 4 belongs");
    }

    @Test
    void removingTheEndOfATransactionLeavesItsRecordsUnsigned() {
        List<AuditRecord> records = written();
        records.remove(9);
        AuditVerifier.Result result = verify(records);
        assertThat(result.ok()).isFalse();
        assertThat(result.badSeq()).isEqualTo(8);
        assertThat(result.reason()).contains("missing");
    }

    @Test
    void reorderedRecordsAreFound() {
        List<AuditRecord> records = written();
        AuditRecord a = records.get(2);
        AuditRecord b = records.get(6);
        // swapped in place, sequence numbers and all
        records.set(2, new AuditRecord(3, b.body(), b.hash(), b.signedSeq(), b.signature()));
        records.set(6, new AuditRecord(7, a.body(), a.hash(), a.signedSeq(), a.signature()));
        AuditVerifier.Result result = verify(records);
        assertThat(result.badSeq()).isEqualTo(3);
        assertThat(result.reason()).contains("moved");
    }

    @Test
    void aChainResealedWithAForeignKeyIsNotTrusted() {
        AuditChain foreign = AuditChain.ephemeral(clock);
        List<AuditRecord> records = written();
        List<AuditEvent> events = new ArrayList<>();
        for (AuditRecord r : records) {
            var c = r.content();
            events.add(new AuditEvent(c.getString("type"), c.getString("budget_id"), c.getJsonObject("data").getMap()));
        }
        events.set(5, new AuditEvent(AuditEvent.COMMIT, "team", Map.of("committed_usd_micros", 1L)));
        AuditVerifier.Result result = verify(foreign.seal(AuditChain.GENESIS, events));
        assertThat(result.badSeq()).isEqualTo(1);
        assertThat(result.reason()).contains("not trusted").contains(foreign.keyId());
    }

    @Test
    void aForgedSignatureUnderOurKeyIdDoesNotVerify() {
        AuditSigner foreign = AuditSigner.ephemeral();
        List<AuditRecord> records = written();
        // rewrite the last transaction (records 8–10): our key id in the bodies, a foreign key's signature
        List<AuditRecord> forged = new ArrayList<>(records.subList(0, 7));
        String prev = records.get(6).hash();
        List<String> bodies = new ArrayList<>();
        for (AuditRecord r : records.subList(7, 10)) {
            Map<String, Object> body = new TreeMap<>(r.content().getMap());
            body.put("prev_hash", prev);
            body.put("data", Map.of("committed_usd_micros", 1L));
            String text = Canonical.json(body);
            prev = Canonical.sha256Hex(text);
            bodies.add(text);
        }
        String signature = foreign.sign(HexFormat.of().parseHex(prev));
        for (int i = 0; i < 3; i++) {
            forged.add(new AuditRecord(8 + i, bodies.get(i), Canonical.sha256Hex(bodies.get(i)), 10, signature));
        }
        AuditVerifier.Result result = verify(forged);
        assertThat(result.badSeq()).isEqualTo(8);
        assertThat(result.reason()).contains("does not verify with key " + chain.keyId());
    }

    @Test
    void aKeyFromBeforeARotationStaysTrustedWhenConfigured() {
        AuditChain old = AuditChain.ephemeral(clock);
        List<AuditRecord> before = old.seal(AuditChain.GENESIS, List.of(new AuditEvent(AuditEvent.BUDGET_PUT, "team", Map.of())));
        AuditSigner current = AuditSigner.ephemeral();
        AuditChain rotated = new AuditChain(current, clock, List.of(old.trusted().get(old.keyId())));
        AuditRecord last = before.get(0);
        List<AuditRecord> all = new ArrayList<>(before);
        all.addAll(rotated.seal(new AuditChain.Head(last.seq(), last.hash()),
                List.of(new AuditEvent(AuditEvent.BUDGET_PUT, "team", Map.of()))));
        AuditVerifier v = new AuditVerifier(rotated.trusted(), AuditChain.GENESIS);
        all.forEach(v::accept);
        assertThat(v.result().ok()).isTrue();
        AuditVerifier strict = new AuditVerifier(AuditChain.ephemeral(clock).trusted(), AuditChain.GENESIS);
        all.forEach(strict::accept);
        assertThat(strict.result().ok()).isFalse();
    }

    @Test
    void unsignedRecordsAreCoveredByTheNextSignatureButAnUnsignedTailIsNot() {
        List<AuditEvent> events = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            events.add(new AuditEvent(AuditEvent.RELEASE, "team", Map.of("i", (long) i)));
        }
        List<AuditRecord> linked = chain.link(AuditChain.GENESIS, events);
        List<AuditRecord> stored = new ArrayList<>(linked);
        // records 1–4 stored unsigned; 5 signed (as a durable ledger's sealer stamps it); 6 not yet
        String signature = chain.sign(linked.get(4).hash());
        stored.set(4, new AuditRecord(5, linked.get(4).body(), linked.get(4).hash(), 5, signature));
        AuditVerifier.Result r = verify(stored);
        assertThat(r.ok()).isFalse();
        assertThat(r.onlyUnsigned()).isTrue();
        assertThat(r.unsigned()).isEqualTo(1);
        assertThat(r.badSeq()).isEqualTo(6);
        assertThat(verify(stored.subList(0, 5)).ok()).as("1–4 covered by 5's signature through the chain").isTrue();
        AuditRecord edited = withBody(stored.get(1), stored.get(1).body().replace("\"i\":1", "\"i\":7"), true);
        stored.set(1, edited);
        assertThat(verify(stored.subList(0, 5)).badSeq()).as("an unsigned record is still linked").isEqualTo(3);
    }
}
