package io.spendguard.proxy.audit;

import io.vertx.core.json.JsonObject;

/**
 * One record of the audit chain as stored. {@code body} is the canonical JSON that was hashed: the
 * sequence number, time, type, budget id, facts, the previous record's hash and the id of the key
 * that signed it. {@code hash} is the SHA-256 of {@code body} (hex). Records are signed per commit:
 * {@code signature} is the Ed25519 signature (base64) over the hash of record {@code signedSeq}, the
 * last record written in the same transaction, which through the chain covers every record before it.
 */
public record AuditRecord(long seq, String body, String hash, long signedSeq, String signature) {

    /** The hashed content, parsed. */
    public JsonObject content() {
        return new JsonObject(body);
    }

    public String type() {
        return content().getString("type");
    }

    public String budgetId() {
        return content().getString("budget_id");
    }

    /** The record as the admin API and the export show it: its content plus hash and signature. */
    public JsonObject toJson() {
        return content().put("hash", hash).put("signed_seq", signedSeq).put("signature", signature);
    }
}
