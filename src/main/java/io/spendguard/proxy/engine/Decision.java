package io.spendguard.proxy.engine;

import java.util.List;

/**
 * A budget decision for one call. When it admits the call ({@link Outcome#admits()}), it names the
 * reservation that holds {@code reservedMicros}; otherwise the reason codes, and for
 * REQUIRE_APPROVAL the approval to resolve. {@code retryAfterSeconds} is the time to the budget's
 * window reset, when it has one. A DEGRADE decision carries the {@code mutation} to apply; when it
 * names no reservation it is a proposal: the caller applies the mutation, re-estimates and asks
 * again with {@link DecisionRequest#mutated()} set.
 */
public record Decision(Outcome outcome, String decisionId, String budgetId, String reservationId, long claimMicros,
                       long reservedMicros, long remainingMicros, List<String> reasonCodes, String approvalId,
                       Long retryAfterSeconds, Mutation mutation) {

    /** The SpendGuard decision vocabulary. */
    public enum Outcome {
        CONTINUE, DEGRADE, SKIP, STOP, REQUIRE_APPROVAL, STOP_RUN_PROJECTION;

        /** True when the call goes to the provider under a reservation. */
        public boolean admits() {
            return this == CONTINUE || this == DEGRADE;
        }
    }

    public Decision {
        reasonCodes = List.copyOf(reasonCodes);
    }

    /** True for a DEGRADE that proposes a mutation without holding anything yet. */
    public boolean isProposal() {
        return outcome == Outcome.DEGRADE && reservationId == null;
    }

    /** This admitting decision as a DEGRADE carrying {@code applied}. */
    public Decision degraded(Mutation applied) {
        return new Decision(Outcome.DEGRADE, decisionId, budgetId, reservationId, claimMicros, reservedMicros, remainingMicros,
                reasonCodes, approvalId, retryAfterSeconds, applied);
    }
}
