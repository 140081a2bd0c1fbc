package io.spendguard.proxy.audit;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Recomputes the chain record by record, in sequence order, and stops at the first bad record: a
 * sequence gap (removed or reordered), a body that does not hash to its hash (edited), a previous
 * hash that is not the record before's (rewritten, removed or reordered), a key id that is not
 * trusted (re-signed with a foreign key), or a signature that does not verify. Feed it with
 * {@link #accept} and read {@link #result}.
 */
public final class AuditVerifier {
    private record Open(AuditRecord record, String keyId) { }

    private final Map<String, PublicKey> trusted;
    private AuditChain.Head head;
    /** Records since the last signature checked, with the key id each one's body names (bodies are parsed once). */
    private final List<Open> unsigned = new ArrayList<>();
    private long count;
    private Result failure;

    /** Verifies a chain from its first record, or (memory ledger, oldest records dropped) from {@code start}. */
    public AuditVerifier(Map<String, PublicKey> trusted, AuditChain.Head start) {
        this.trusted = trusted;
        this.head = start;
    }

    /**
     * What a verification found: ok, how many records were checked, the last good head, or the first
     * bad record and why. {@code unsigned} counts the newest records that carry no signature: a
     * writer signs within milliseconds, so a check that finds only those may be repeated a moment
     * later ({@link AuditLog#verifySettled}); if they stay unsigned they were stripped of their
     * signatures, or their writer stopped before signing them.
     */
    public record Result(boolean ok, long records, long headSeq, String headHash, Long badSeq, String reason, long unsigned) {
        public JsonObject toJson() {
            JsonObject o = new JsonObject().put("ok", ok).put("records", records).put("head_seq", headSeq).put("head_hash", headHash);
            if (!ok) {
                o.put("first_bad_seq", badSeq).put("reason", reason);
            }
            return o;
        }

        /** True when the only fault is a tail of records not signed yet. */
        public boolean onlyUnsigned() {
            return !ok && unsigned > 0;
        }

        /** One line for a terminal: what was checked, or the first bad record. */
        public String describe() {
            return ok ? "audit chain ok: " + records + " records, head seq " + headSeq + " hash " + headHash
                    : "audit chain broken at record " + badSeq + ": " + reason;
        }
    }

    /** False once a bad record was found (later records are not looked at). */
    public boolean accept(AuditRecord r) {
        if (failure != null) {
            return false;
        }
        JsonObject body = null;
        String problem = checkHash(r);
        if (problem == null) {
            try {
                body = new JsonObject(r.body());
                problem = check(r, body);
            } catch (DecodeException e) {
                problem = "its content is not JSON";
            }
        }
        if (problem != null) {
            failure = bad(r.seq(), problem);
            return false;
        }
        count++;
        head = new AuditChain.Head(r.seq(), r.hash());
        unsigned.add(new Open(r, body.getString("key_id")));
        if (r.signature() != null && r.seq() == r.signedSeq()) {
            String signatureProblem = checkSignature(unsigned.get(unsigned.size() - 1));
            if (signatureProblem != null) {
                failure = bad(unsigned.get(0).record().seq(), signatureProblem);
                return false;
            }
            unsigned.clear();
        }
        return true;
    }

    private String checkHash(AuditRecord r) {
        long expected = head.seq() + 1;
        if (r.seq() != expected) {
            return "found record " + r.seq() + " where record " + expected + " belongs (a record was removed or reordered)";
        }
        if (!Canonical.sha256Hex(r.body()).equals(r.hash())) {
            return "its content does not match its hash (the record was edited)";
        }
        return null;
    }

    private String check(AuditRecord r, JsonObject body) {
        if (!Long.valueOf(r.seq()).equals(body.getLong("seq"))) {
            return "its content says seq " + body.getValue("seq") + " (the record was moved)";
        }
        if (!head.hash().equals(body.getString("prev_hash"))) {
            return "its previous hash is not record " + head.seq() + "'s (a record before it was edited, removed or reordered)";
        }
        String keyId = body.getString("key_id");
        if (!trusted.containsKey(keyId)) {
            return "it is signed with key " + keyId + ", which is not trusted (re-signed with a foreign key?)";
        }
        if (r.signature() != null && r.signedSeq() < r.seq()) {
            return "its signature names record " + r.signedSeq() + ", before itself";
        }
        return null;
    }

    /**
     * {@code last} closes a group: its signature must verify over its hash and be every earlier open
     * record's that has one (an open record without one is covered through the chain).
     */
    private String checkSignature(Open last) {
        AuditRecord signing = last.record();
        for (Open open : unsigned) {
            AuditRecord r = open.record();
            if (r.signature() == null) {
                continue;
            }
            if (r.signedSeq() != signing.seq() || !r.signature().equals(signing.signature()) || !last.keyId().equals(open.keyId())) {
                return "record " + r.seq() + "'s signature is not the one of the transaction it belongs to";
            }
        }
        if (!AuditSigner.verify(trusted.get(last.keyId()), HexFormat.of().parseHex(signing.hash()), signing.signature())) {
            return "the signature over record " + signing.seq() + " does not verify with key " + last.keyId();
        }
        return null;
    }

    private Result bad(long seq, String reason) {
        return new Result(false, count, head.seq(), head.hash(), seq, reason, 0);
    }

    /** The verdict once every record was fed; records left waiting for the one that signs them are bad. */
    public Result result() {
        if (failure != null) {
            return failure;
        }
        // one stamp signs every record up to its head at once, so an unsigned record left open is where signing stopped
        List<AuditRecord> bare = unsigned.stream().map(Open::record).filter(r -> r.signature() == null).toList();
        if (!bare.isEmpty()) {
            AuditRecord first = bare.get(0);
            return new Result(false, count, head.seq(), head.hash(), first.seq(), "records " + first.seq() + " to " + head.seq()
                    + " carry no signature (stripped of it, or written by a process that stopped before signing them)",
                    bare.size());
        }
        if (!unsigned.isEmpty()) {
            AuditRecord first = unsigned.get(0).record();
            return bad(first.seq(), "it is signed over record " + first.signedSeq() + ", which is missing (records were removed from the end)");
        }
        return new Result(true, count, head.seq(), head.hash(), null, null, 0);
    }
}
