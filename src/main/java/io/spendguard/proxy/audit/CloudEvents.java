package io.spendguard.proxy.audit;

import io.vertx.core.json.JsonObject;

/**
 * An audit record as a CloudEvents 1.0 event (JSON format), for shipping the chain to a SIEM or an
 * event bus: {@code type} {@code io.spendguard.audit.<record type>}, {@code subject} the budget,
 * {@code sequence} the record's place in the chain, and the whole record (hash and signature
 * included, so the receiver can verify it) as {@code data}.
 */
public final class CloudEvents {
    public static final String SOURCE = "/spendguard/audit";
    public static final String TYPE_PREFIX = "io.spendguard.audit.";

    private CloudEvents() {
    }

    public static JsonObject of(AuditRecord r) {
        JsonObject content = r.toJson(); // the record's content, hash and signature: parsed once
        JsonObject event = new JsonObject()
                .put("specversion", "1.0")
                .put("id", r.hash())
                .put("source", SOURCE)
                .put("type", TYPE_PREFIX + content.getString("type"))
                .put("time", content.getString("time"))
                .put("sequence", Long.toString(r.seq()))
                .put("datacontenttype", "application/json");
        if (content.getString("budget_id") != null) {
            event.put("subject", content.getString("budget_id"));
        }
        return event.put("data", content);
    }
}
