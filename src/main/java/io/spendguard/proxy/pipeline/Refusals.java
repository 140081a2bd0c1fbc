package io.spendguard.proxy.pipeline;

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
                            + "'. Ask an operator to approve " + d.approvalId() + ", then resend it with the header "
                            + "X-SpendGuard-Approval-Id: " + d.approvalId() + ".", detail)
                    .header("X-SpendGuard-Approval-Id", d.approvalId());
        }
        String code = d.reasonCodes().isEmpty() ? ProxyError.BUDGET_EXCEEDED.code() : d.reasonCodes().get(0);
        String message = d.budgetId() == null
                ? "No budget applies to this call, so it was not sent."
                : "Budget '" + d.budgetId() + "' cannot cover this call: it needs up to " + usd(d.claimMicros())
                        + " and " + usd(d.remainingMicros()) + " remains.";
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
                .put("claim_usd_micros", d.claimMicros())
                .put("remaining_usd_micros", d.remainingMicros());
        if (d.approvalId() != null) {
            o.put("approval_id", d.approvalId());
        }
        return o;
    }

    static String usd(long micros) {
        return "$" + BigDecimal.valueOf(micros, 6).stripTrailingZeros().toPlainString();
    }
}
