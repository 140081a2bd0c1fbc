package io.spendguard.proxy.audit;

import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Gives events their place in the chain. Each record's canonical body holds its sequence number and
 * the previous record's hash, so a record cannot be edited, removed or moved without breaking every
 * hash after it. Records are signed in groups, once over the hash of the last of a group
 * ({@link AuditRecord}): the memory chain signs what it seals, the durable ledgers store records
 * unsigned in the ledger's transaction and sign them just after ({@link AuditSealer}). Also knows which public keys a verifier trusts: this signer's and
 * the ones configured in {@code audit.trusted_keys} (keys used before a rotation).
 */
public final class AuditChain {
    /** The chain before its first record. */
    public static final Head GENESIS = new Head(0, "0".repeat(64));

    /** The last record written: the next one gets {@code seq + 1} and {@code hash} as its previous hash. */
    public record Head(long seq, String hash) { }

    private final AuditSigner signer;
    private final Clock clock;
    private final Map<String, PublicKey> trusted;

    public AuditChain(AuditSigner signer, Clock clock, List<PublicKey> alsoTrusted) {
        this.signer = signer;
        this.clock = clock;
        Map<String, PublicKey> keys = new LinkedHashMap<>();
        keys.put(signer.keyId(), signer.publicKey());
        alsoTrusted.forEach(k -> keys.put(AuditSigner.keyId(k), k));
        this.trusted = Map.copyOf(keys);
    }

    /** A chain signed by a key that lives as long as this process. */
    public static AuditChain ephemeral(Clock clock) {
        return new AuditChain(AuditSigner.ephemeral(), clock, List.of());
    }

    public String keyId() {
        return signer.keyId();
    }

    /** The public keys whose signatures verify, by key id. */
    public Map<String, PublicKey> trusted() {
        return trusted;
    }

    /**
     * The records for {@code events}, in order, after {@code head}, not yet signed: each one's body
     * holds its place in the chain, so they can be stored at once and signed a moment later.
     */
    public List<AuditRecord> link(Head head, List<AuditEvent> events) {
        return link(head, now(), events);
    }

    /** The time records written now carry (milliseconds). */
    public Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    /** {@link #link(Head, List)} at {@code at} (from {@link #now}): the caller keeps the time without parsing it back. */
    public List<AuditRecord> link(Head head, Instant at, List<AuditEvent> events) {
        String time = at.toString();
        List<AuditRecord> out = new ArrayList<>(events.size());
        String prev = head.hash();
        for (int i = 0; i < events.size(); i++) {
            AuditEvent e = events.get(i);
            Map<String, Object> body = new TreeMap<>(); // in key order: written as it is
            body.put("seq", head.seq() + 1 + i);
            body.put("time", time);
            body.put("type", e.type());
            body.put("budget_id", e.budgetId());
            body.put("data", e.data());
            body.put("prev_hash", prev);
            body.put("key_id", signer.keyId());
            Canonical.Hashed text = Canonical.hashed(body);
            prev = text.sha256Hex();
            out.add(new AuditRecord(head.seq() + 1 + i, text.json(), prev, 0, null));
        }
        return out;
    }

    /** This chain's signature (base64) over a record hash (hex): it covers that record and, through the chain, all before it. */
    public String sign(String hash) {
        return signer.sign(HexFormat.of().parseHex(hash));
    }

    /** The records for {@code events} after {@code head}, linked and signed at once (one signature covers them all). */
    public List<AuditRecord> seal(Head head, List<AuditEvent> events) {
        return seal(head, now(), events);
    }

    /** {@link #seal(Head, List)} at {@code at} (from {@link #now}). */
    public List<AuditRecord> seal(Head head, Instant at, List<AuditEvent> events) {
        if (events.isEmpty()) {
            return List.of();
        }
        List<AuditRecord> linked = link(head, at, events);
        AuditRecord last = linked.get(linked.size() - 1);
        String signature = sign(last.hash());
        return linked.stream().map(r -> new AuditRecord(r.seq(), r.body(), r.hash(), last.seq(), signature)).toList();
    }
}
