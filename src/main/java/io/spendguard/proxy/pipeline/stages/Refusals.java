package io.spendguard.proxy.pipeline.stages;

import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;

/** Turns a refusing decision into its HTTP answer (SPEC §4.1): STOP → 402, REQUIRE_APPROVAL → 409. */
final class Refusals {
    private Refusals() { }

    static ProxyException of(Decision d) {
        JsonObject detail = detail(d);
        if (d.outcome() == Decision.Outcome.REQUIRE_APPROVAL) {
            return new ProxyException(ProxyError.APPROVAL_REQUIRED, ProxyError.APPROVAL_REQUIRED.code(),
                    "This call (estimated " + usd(d.claimMicros()) + ") needs approval on budget '" + d.budgetId()
                            + "'. Ask an operator" + (d.approverRole() == null ? "" : " (role: " + d.approverRole() + ")") + " to approve " + d.approvalId() + ", then resend it with the header "
                            + "X-SpendGuard-Approval-Id: " + d.approvalId() + ".", detail)
                    .header("X-SpendGuard-Approval-Id", d.approvalId());
        }
        String code = d.reasonCodes().isEmpty() ? ProxyError.BUDGET_EXCEEDED.code() : d.reasonCodes().get(0);
        String message;
        if (d.budgetId() == null) {
            message = "No budget applies to this call, so it was not sent.";
        } else if (code.equals(ProxyError.BUDGET_EXCEEDED.code())) {
            message = "Budget '" + d.budgetId() + "' cannot cover this call: it needs up to " + usd(d.claimMicros())
                    + " and " + usd(d.remainingMicros()) + " remains.";
        } else {
            message = "A contract rule on budget '" + d.budgetId() + "' refused this call (" + code + "; rules: "
                    + String.join(", ", d.matchedRuleIds()) + "); it was not sent.";
        }
        ProxyException e = new ProxyException(ProxyError.BUDGET_EXCEEDED, code, message, detail);
        if (d.retryAfterSeconds() != null) {
            e.header("Retry-After", Long.toString(d.retryAfterSeconds()));
        }
        return e;
    }

    static JsonObject detail(Decision d) {
        JsonObject o = new JsonObject()
                .put("decision_id", d.decisionId())
                .put("decision", d.outcome().name())
                .put("budget_id", d.budgetId())
                .put("reason_codes", new JsonArray(d.reasonCodes()))
                .put("matched_rule_ids", new JsonArray(d.matchedRuleIds()))
                .put("claim_usd_micros", d.claimMicros())
                .put("remaining_usd_micros", d.remainingMicros());
        if (d.approvalId() != null) {
            o.put("approval_id", d.approvalId());
        }
        if (d.approverRole() != null) {
            o.put("approver_role", d.approverRole());
        }
        if (d.approvalExpiresAt() != null) {
            o.put("approval_expires_at", d.approvalExpiresAt().toString());
        }
        return o;
    }

    static String usd(long micros) {
        return "$" + BigDecimal.valueOf(micros, 6).stripTrailingZeros().toPlainString();
    }
}
