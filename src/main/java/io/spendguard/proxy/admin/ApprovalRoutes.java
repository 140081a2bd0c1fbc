package io.spendguard.proxy.admin;

import io.spendguard.proxy.audit.AuditEvent;
import io.spendguard.proxy.audit.AuditLog;
import io.spendguard.proxy.config.Ids;
import io.spendguard.proxy.engine.Approval;
import io.spendguard.proxy.engine.Approvals;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The approval routes of the admin API: {@code GET /v1/approvals?state=&approver_role=},
 * {@code GET /v1/approvals/{id}} and {@code POST /v1/approvals/{id}/resolve}
 * {@code {decision: approve|deny, reason}} — 409 when the approval is no longer pending (already
 * resolved, used, or expired after {@code approval_ttl}). A resolution is answered once its audit
 * record is stored.
 */
final class ApprovalRoutes {
    private final Approvals approvals;
    private final AuditLog audit;

    ApprovalRoutes(Approvals approvals, AuditLog audit) {
        this.approvals = approvals;
        this.audit = audit;
    }

    void mount(Router r) {
        r.get("/v1/approvals").handler(this::list);
        r.get("/v1/approvals/:id").handler(ctx -> approvals.get(ctx.pathParam("id")).ifPresentOrElse(
                a -> AdminApi.json(ctx, 200, a.toJson()), () -> unknown(ctx)));
        r.post("/v1/approvals/:id/resolve").handler(this::resolve);
    }

    private void list(RoutingContext ctx) {
        String state = ctx.request().getParam("state");
        Approval.State filter;
        try {
            filter = state == null ? null : Approval.State.valueOf(state.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            AdminApi.error(ctx, 400, "state: " + state + " (expected one of: pending, approved, denied, expired, consumed)");
            return;
        }
        JsonArray data = new JsonArray(approvals.list(filter, ctx.request().getParam("approver_role")).stream()
                .map(Approval::toJson).toList());
        AdminApi.json(ctx, 200, new JsonObject().put("data", data));
    }

    private void resolve(RoutingContext ctx) {
        JsonObject body = AdminApi.body(ctx);
        if (body == null) {
            return;
        }
        Object decision = body.getValue("decision");
        String reason;
        try {
            Fields.only(body, "", "decision", "reason");
            if (!"approve".equals(decision) && !"deny".equals(decision)) {
                throw new IllegalArgumentException("decision: " + (decision == null ? "missing" : decision instanceof String s ? Ids.shown(s) : "not a string")
                        + " (expected: approve or deny)");
            }
            reason = body.getValue("reason") == null ? null : Fields.text(body, "reason", Fields.MAX_TEXT, null);
        } catch (IllegalArgumentException e) {
            AdminApi.error(ctx, 400, e.getMessage());
            return;
        }
        String id = ctx.pathParam("id");
        Approval before = approvals.get(id).orElse(null);
        if (before == null) {
            unknown(ctx);
            return;
        }
        if (before.state() != Approval.State.PENDING) {
            AdminApi.json(ctx, 409, AdminApi.errorBody(409, "approval " + id + " is " + before.toJson().getString("state")
                    + ", not pending").put("approval", before.toJson()));
            return;
        }
        approvals.resolve(id, "approve".equals(decision), reason).ifPresentOrElse(a -> {
            Map<String, Object> facts = new LinkedHashMap<>();
            facts.put("approval_id", a.id());
            facts.put("decision_id", a.decisionId());
            facts.put("resolution", decision);
            facts.put("reason", reason);
            facts.put("approver_role", a.approverRole());
            facts.put("claim_usd_micros", a.claimMicros());
            AdminApi.reply(ctx, audit.append(new AuditEvent(AuditEvent.APPROVAL_RESOLVED, a.budgetId(), facts)).map(v -> a.toJson()), 200);
        }, () -> unknown(ctx));
    }

    private static void unknown(RoutingContext ctx) {
        AdminApi.error(ctx, 404, "unknown approval " + ctx.pathParam("id"));
    }
}
