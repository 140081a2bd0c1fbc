package io.spendguard.proxy.engine;

import io.spendguard.proxy.engine.Decision.Outcome;

/**
 * One compiled contract rule (SpendGuard v1alpha1 shape plus a CEL condition): it matches a call
 * when every {@code when} test that is set holds — the budget id, {@code claim > claimGt},
 * {@code claim >= claimGte} — and its {@code condition} (null: none) is true. Then it asks for
 * {@code outcome} with {@code reasonCode}; REQUIRE_APPROVAL names who approves ({@code approverRole},
 * null: anyone) and DEGRADE the {@code mutation} to make.
 */
public record Rule(String id, String budgetId, Long claimGt, Long claimGte, Condition condition, Outcome outcome,
                   String reasonCode, String approverRole, Mutation mutation) {

    public Rule {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("id: missing");
        }
        if (outcome == Outcome.STOP_RUN_PROJECTION) {
            throw new IllegalArgumentException("then.decision: STOP_RUN_PROJECTION is not a contract decision");
        }
        if (outcome == Outcome.DEGRADE && (mutation == null || mutation.isEmpty())) {
            throw new IllegalArgumentException("then.mutate: missing (expected: model and/or max_output_tokens for DEGRADE)");
        }
        if (outcome != Outcome.DEGRADE && mutation != null) {
            throw new IllegalArgumentException("then.mutate: only allowed with decision DEGRADE");
        }
        if (outcome != Outcome.REQUIRE_APPROVAL && approverRole != null) {
            throw new IllegalArgumentException("then.approver_role: only allowed with decision REQUIRE_APPROVAL");
        }
    }

    /** True when every test of this rule holds for {@code facts}; a failing CEL evaluation throws. */
    public boolean matches(RuleFacts facts) {
        if (budgetId != null && !budgetId.equals(facts.budgetId())) {
            return false;
        }
        if (claimGt != null && facts.claimMicros() <= claimGt) {
            return false;
        }
        if (claimGte != null && facts.claimMicros() < claimGte) {
            return false;
        }
        return condition == null || condition.test(facts);
    }

    /**
     * What this rule's DEGRADE would actually change for a call with {@code facts}: the model if it
     * differs, the output limit if it lowers it; null when nothing would change.
     */
    Mutation effectiveMutation(RuleFacts facts) {
        String model = mutation.model() != null && !mutation.model().equals(facts.model()) ? mutation.model() : null;
        Integer max = mutation.maxOutputTokens() != null
                && (facts.maxOutputTokens() == 0 || facts.maxOutputTokens() > mutation.maxOutputTokens())
                ? mutation.maxOutputTokens() : null;
        Mutation m = new Mutation(model, max, null);
        return m.isEmpty() ? null : m;
    }
}
