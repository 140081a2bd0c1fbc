package io.spendguard.proxy.engine;

import java.time.Instant;
import java.util.List;

/**
 * A budget decision for one call. When it admits the call ({@link Outcome#admits()}), it names the
 * reservation that holds {@code reservedMicros}; otherwise the reason codes, and for
 * REQUIRE_APPROVAL the approval to resolve, who may approve it ({@code approverRole}, null: anyone)
 * and when it lapses. {@code retryAfterSeconds} is the time to the budget's window reset, when it has
 * one. A DEGRADE decision carries the {@code mutation} to apply; when it names no reservation it is a
 * proposal: the caller applies the mutation, re-estimates and asks again with
 * {@link DecisionRequest#mutated()} set. {@code matchedRuleIds} names the rules (contract and
 * built-in) that matched, for the refusal body and the audit record. {@code run} is the agent run the
 * call belongs to (null: none, or not known to this gate), for a run refusal's body.
 */
public record Decision(Outcome outcome, String decisionId, String budgetId, String reservationId, long claimMicros,
                       long reservedMicros, long remainingMicros, List<String> reasonCodes, String approvalId,
                       Long retryAfterSeconds, Mutation mutation, List<String> matchedRuleIds, String approverRole,
                       Instant approvalExpiresAt, RunSnapshot run) {

    /** The SpendGuard decision vocabulary. */
    public enum Outcome {
        CONTINUE, DEGRADE, SKIP, STOP, REQUIRE_APPROVAL, STOP_RUN_PROJECTION;

        /** True when the call goes to the provider under a reservation. */
        public boolean admits() {
            return this == CONTINUE || this == DEGRADE;
        }
    }

    /** A decision under no run. */
    public Decision(Outcome outcome, String decisionId, String budgetId, String reservationId, long claimMicros,
                    long reservedMicros, long remainingMicros, List<String> reasonCodes, String approvalId,
                    Long retryAfterSeconds, Mutation mutation, List<String> matchedRuleIds, String approverRole,
                    Instant approvalExpiresAt) {
        this(outcome, decisionId, budgetId, reservationId, claimMicros, reservedMicros, remainingMicros, reasonCodes, approvalId,
                retryAfterSeconds, mutation, matchedRuleIds, approverRole, approvalExpiresAt, null);
    }

    /** A decision no rule is named for. */
    public Decision(Outcome outcome, String decisionId, String budgetId, String reservationId, long claimMicros,
                    long reservedMicros, long remainingMicros, List<String> reasonCodes, String approvalId,
                    Long retryAfterSeconds, Mutation mutation) {
        this(outcome, decisionId, budgetId, reservationId, claimMicros, reservedMicros, remainingMicros, reasonCodes, approvalId,
                retryAfterSeconds, mutation, List.of(), null, null, null);
    }

    public Decision {
        reasonCodes = List.copyOf(reasonCodes);
        matchedRuleIds = matchedRuleIds == null ? List.of() : List.copyOf(matchedRuleIds);
    }

    /** True for a DEGRADE that proposes a mutation without holding anything yet. */
    public boolean isProposal() {
        return outcome == Outcome.DEGRADE && reservationId == null;
    }

    /**
     * This admitting decision (made for the changed call) as the DEGRADE {@code proposal} asked for:
     * its mutation, and the proposal's rules and reasons ahead of this decision's own.
     */
    public Decision degradedBy(Decision proposal) {
        return new Decision(Outcome.DEGRADE, decisionId, budgetId, reservationId, claimMicros, reservedMicros, remainingMicros,
                concat(proposal.reasonCodes, reasonCodes), approvalId, retryAfterSeconds, proposal.mutation,
                concat(proposal.matchedRuleIds, matchedRuleIds), approverRole, approvalExpiresAt, run);
    }

    private static List<String> concat(List<String> first, List<String> then) {
        return java.util.stream.Stream.concat(first.stream(), then.stream()).distinct().toList();
    }

    /** This decision naming the rules behind it (and, for an approval, who approves and until when). */
    public Decision withRules(List<String> ruleIds, String role, Instant expiresAt) {
        return new Decision(outcome, decisionId, budgetId, reservationId, claimMicros, reservedMicros, remainingMicros,
                reasonCodes, approvalId, retryAfterSeconds, mutation, ruleIds, role, expiresAt, run);
    }

    /** This decision made under {@code run} (null: none). */
    public Decision withRun(RunSnapshot run) {
        return new Decision(outcome, decisionId, budgetId, reservationId, claimMicros, reservedMicros, remainingMicros,
                reasonCodes, approvalId, retryAfterSeconds, mutation, matchedRuleIds, approverRole, approvalExpiresAt, run);
    }
}
