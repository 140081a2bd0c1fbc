package io.spendguard.proxy.pipeline.stages;

import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.engine.RunSnapshot;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.spendguard.proxy.ledger.RunLimit;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;

/**
 * Turns a refusing decision into its HTTP answer (SPEC §4.1): STOP → 402, REQUIRE_APPROVAL → 409. A
 * refusal by an agent run (SPEC §10) names the run limit in its message and carries the run's id,
 * steps and µUSD in the {@code spendguard} object.
 */
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
        } else if (Engine.RUN_REFUSALS.contains(code)) {
            message = runMessage(code, d);
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

    /** Which run limit refused the call, and what the agent should know to stop retrying it. */
    private static String runMessage(String code, Decision d) {
        RunSnapshot run = d.run();
        String name = run == null || run.id() == null ? "This run" : "Run '" + run.id() + "'";
        return switch (code) {
            case RunLimit.RUN_STEP_LIMIT -> name + " has used all " + (run == null ? "" : run.maxSteps() + " ")
                    + "of its steps (runs.max_steps); this call was not sent. Start a new run to continue.";
            case RunLimit.RUN_BUDGET_EXCEEDED -> name + " cannot cover this call: it needs up to " + usd(d.claimMicros()) + " and the run has "
                    + (run == null ? "" : "used " + usd(run.usdMicros()) + " of its " + usd(run.maxUsdMicros()) + " ")
                    + "(runs.max_usd); this call was not sent.";
            case RunLimit.RUN_STOPPED -> name + " was stopped by an operator; no call of it is sent any more.";
            default -> "This request's history repeats one tool call (same name and arguments) "
                    + (run == null ? "too often" : run.maxRepeatedToolCalls() + " times or more")
                    + " (runs.max_repeated_tool_calls): the agent looks stuck in a loop, so this call was not sent.";
        };
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
        if (d.run() != null) {
            o.put("run_id", d.run().id()).put("run_steps", d.run().steps()).put("run_usd_micros", d.run().usdMicros());
        }
        return o;
    }

    static String usd(long micros) {
        return "$" + BigDecimal.valueOf(micros, 6).stripTrailingZeros().toPlainString();
    }
}
