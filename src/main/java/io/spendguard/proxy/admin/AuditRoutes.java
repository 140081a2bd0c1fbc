package io.spendguard.proxy.admin;

import io.spendguard.proxy.audit.AuditLog;
import io.spendguard.proxy.audit.AuditRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * The audit routes of the admin API. {@code GET /v1/audit?budget_id=&since=&limit=} pages through
 * the chain in sequence order: {@code since} is a sequence number (records after it; pass the
 * previous page's {@code next_since}) or an ISO-8601 instant (records written at or after it),
 * {@code limit} 1 to 1000 (default 100). {@code GET /v1/audit/verify} recomputes the whole chain and
 * its signatures: 200 with {@code ok: true}, or 409 naming the first bad record.
 */
final class AuditRoutes {
    private static final int DEFAULT_LIMIT = 100;

    private final AuditLog audit;

    AuditRoutes(AuditLog audit) {
        this.audit = audit;
    }

    void mount(Router r) {
        r.get("/v1/audit").handler(this::list);
        r.get("/v1/audit/verify").handler(ctx -> audit.verifySettled(ctx.vertx()).onComplete(ar -> {
            if (ar.failed()) {
                AdminApi.error(ctx, 500, "internal error");
            } else {
                AdminApi.json(ctx, ar.result().ok() ? 200 : 409, ar.result().toJson());
            }
        }));
    }

    private void list(RoutingContext ctx) {
        AuditLog.Query query;
        try {
            query = query(ctx);
        } catch (IllegalArgumentException e) {
            AdminApi.error(ctx, 400, e.getMessage());
            return;
        }
        AdminApi.reply(ctx, audit.read(query).map(records -> page(records, query)), 200);
    }

    private static JsonObject page(List<AuditRecord> records, AuditLog.Query query) {
        JsonObject out = new JsonObject().put("data", new JsonArray(records.stream().map(AuditRecord::toJson).toList()));
        // a full page may have more after it
        out.put("next_since", records.size() == query.limit() ? records.get(records.size() - 1).seq() : null);
        return out;
    }

    private static AuditLog.Query query(RoutingContext ctx) {
        String budget = ctx.request().getParam("budget_id");
        String since = ctx.request().getParam("since");
        String limitText = ctx.request().getParam("limit");
        int limit;
        try {
            limit = limitText == null ? DEFAULT_LIMIT : Integer.parseInt(limitText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("limit: " + limitText + " (expected: 1 to " + AuditLog.MAX_PAGE + ")");
        }
        if (limit < 1 || limit > AuditLog.MAX_PAGE) {
            throw new IllegalArgumentException("limit: " + limitText + " (expected: 1 to " + AuditLog.MAX_PAGE + ")");
        }
        long afterSeq = 0;
        Instant from = null;
        if (since != null && since.matches("\\d{1,18}")) {
            afterSeq = Long.parseLong(since);
        } else if (since != null) {
            try {
                from = Instant.parse(since);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("since: " + since
                        + " (expected: a sequence number or an ISO-8601 instant such as 2026-12-01T00:00:00Z)");
            }
        }
        return new AuditLog.Query(budget == null || budget.isEmpty() ? null : budget, afterSeq, from, limit);
    }
}
