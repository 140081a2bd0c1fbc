package io.spendguard.proxy.engine;

import io.spendguard.proxy.engine.Decision.Outcome;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.LedgerException;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The budget engine: decides each call against its budget and holds the claim in the ledger.
 * The call's budget rules — a claim that does not fit the remaining budget STOPs, one above the
 * budget's approval threshold waits for a human, {@code degrade_to} proposes the cheaper model when
 * little is left — and the contract rules are merged most-restrictive-wins ({@link Contracts}).
 * CONTINUE is reserved, atomically, or STOPs if a concurrent call took the room first; a DEGRADE is a
 * proposal without a hold: the caller applies it, re-estimates the changed call and asks again with
 * {@link DecisionRequest#mutated()} set, which is then decided as above (without degrading again).
 */
public final class Engine {
    public static final String BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED";
    public static final String NO_BUDGET = "NO_BUDGET";
    public static final String APPROVAL_REQUIRED = "APPROVAL_REQUIRED";
    public static final String DEGRADED_BELOW_REMAINING = "DEGRADED_BELOW_REMAINING";
    /** Ids of the built-in rules a budget's own settings make, as they appear in {@code matched_rule_ids}. */
    public static final String RULE_EXHAUSTED = "budget.exhausted";
    public static final String RULE_APPROVAL_ABOVE = "budget.approval_above";
    public static final String RULE_DEGRADE_TO = "budget.degrade_to";

    private final Ledger ledger;
    private final Approvals approvals;
    private final Clock clock;
    private final Duration reservationTtl;
    private final Supplier<Contracts> contracts;
    private final boolean forwardedOnGrant;
    private volatile String defaultBudgetId;

    /** An engine without contract rules. */
    public Engine(Ledger ledger, Approvals approvals, Clock clock, Duration reservationTtl) {
        this(ledger, approvals, clock, reservationTtl, () -> Contracts.NONE);
    }

    /**
     * {@code contracts} gives the rules in force at each call (they may be reloaded between calls);
     * the caller reports forwarding ({@link #forwarded}) before it sends each admitted call.
     */
    public Engine(Ledger ledger, Approvals approvals, Clock clock, Duration reservationTtl, Supplier<Contracts> contracts) {
        this(ledger, approvals, clock, reservationTtl, contracts, false);
    }

    /**
     * {@code forwardedOnGrant}: every hold counts as forwarded from the moment it is granted, for
     * callers that cannot report forwarding (the sidecar protocol), so an unsettled hold is committed
     * at its TTL rather than released.
     */
    public Engine(Ledger ledger, Approvals approvals, Clock clock, Duration reservationTtl, Supplier<Contracts> contracts,
                  boolean forwardedOnGrant) {
        this.ledger = ledger;
        this.approvals = approvals;
        this.clock = clock;
        this.reservationTtl = reservationTtl;
        this.contracts = contracts;
        this.forwardedOnGrant = forwardedOnGrant;
    }

    /** Picks up the default budget a durable ledger already knows (before the file's budgets are applied). */
    public Future<Void> init() {
        return ledger.budgets().map(list -> {
            list.stream().filter(s -> s.spec().isDefault()).findFirst().ifPresent(s -> defaultBudgetId = s.spec().id());
            return null;
        });
    }

    /** Creates or updates a budget; a budget marked default becomes the one unnamed calls use. */
    public Future<BudgetState> putBudget(BudgetSpec spec) {
        return ledger.putBudget(spec).onSuccess(state -> adopted(spec));
    }

    /**
     * Creates a budget only if its id is free ({@link Ledger#createBudget}: one of any number of
     * concurrent creations wins, the rest fail with {@link LedgerException.Kind#BUDGET_EXISTS}).
     */
    public Future<BudgetState> createBudget(BudgetSpec spec) {
        return ledger.createBudget(spec).onSuccess(state -> adopted(spec));
    }

    private void adopted(BudgetSpec spec) {
        if (spec.isDefault()) {
            defaultBudgetId = spec.id();
        } else if (spec.id().equals(defaultBudgetId)) {
            defaultBudgetId = null;
        }
    }

    /** Removes a budget that holds nothing (see {@link Ledger#deleteBudget}); the default budget is then unset. */
    public Future<BudgetState> deleteBudget(String id) {
        return ledger.deleteBudget(id).onSuccess(state -> {
            if (id.equals(defaultBudgetId)) {
                defaultBudgetId = null;
            }
        });
    }

    public Future<Decision> decide(DecisionRequest request) {
        String budgetId = request.budgetId() != null ? request.budgetId() : defaultBudgetId;
        if (budgetId == null) {
            return recorded(request, refusal(Outcome.STOP, request, null, 0, List.of(NO_BUDGET), null, null));
        }
        Future<BudgetState> budget = ledger.budget(budgetId).recover(e -> Future.failedFuture(
                e instanceof LedgerException le && le.kind() == LedgerException.Kind.UNKNOWN_BUDGET
                        ? ProxyError.UNKNOWN_BUDGET.exception("Budget '" + budgetId + "' does not exist.")
                        : e)).map(state -> withinTenant(request, state));
        if (request.approvalId() != null) {
            return budget.compose(state -> resume(request));
        }
        return budget.compose(state -> decideByRules(request, state));
    }

    /**
     * Refuses a virtual key's call on a budget of another tenant (403, before anything is decided or
     * told about the budget); calls without a virtual key have no tenant to check.
     */
    private static BudgetState withinTenant(DecisionRequest request, BudgetState state) {
        if (request.keyId() != null && !state.spec().chargeableBy(request.tenant())) {
            throw ProxyError.BUDGET_FORBIDDEN.exception("Budget '" + state.spec().id() + "' belongs to another tenant than this key's.");
        }
        return state;
    }

    /** Merges the budget's own rules and the contracts for this call, and acts on the verdict. */
    private Future<Decision> decideByRules(DecisionRequest request, BudgetState state) {
        RuleFacts facts = RuleFacts.of(request, state);
        Contracts.Verdict first = Contracts.evaluate(rules(request, state, state.remainingMicros() == 0), facts, request.mutated());
        // A claim that does not fit may still be degraded to one that does: the changed call is checked again.
        Contracts.Verdict v = request.claimMicros() > state.remainingMicros() && first.outcome() != Outcome.DEGRADE
                ? Contracts.evaluate(rules(request, state, true), facts, request.mutated())
                : first;
        String budgetId = state.spec().id();
        return switch (v.outcome()) {
            case CONTINUE -> reserve(request, budgetId, v.matchedRuleIds());
            case DEGRADE -> recorded(request, new Decision(Outcome.DEGRADE, request.decisionId(), budgetId, null,
                    request.claimMicros(), 0, state.remainingMicros(), v.reasonCodes(), null, null, v.mutation(),
                    v.matchedRuleIds(), null, null));
            case REQUIRE_APPROVAL -> {
                Approval a = approvals.request(request.decisionId(), budgetId, request.model(), request.claimMicros(),
                        request.requestHash(), v.approverRole(), request.caller());
                yield recorded(request, refusal(Outcome.REQUIRE_APPROVAL, request, budgetId, state.remainingMicros(),
                        v.reasonCodes(), a.id(), null).withRules(v.matchedRuleIds(), a.approverRole(), a.expiresAt()));
            }
            // only an exhausted budget frees up at the window reset; a rule's refusal does not
            default -> recorded(request, refusal(v.outcome(), request, budgetId, state.remainingMicros(), v.reasonCodes(), null,
                    v.reasonCodes().contains(BUDGET_EXHAUSTED) ? state.window().secondsToReset(clock.instant()) : null)
                    .withRules(v.matchedRuleIds(), null, null));
        };
    }

    /** A decision that changes no ledger row, once its audit record is stored. */
    private Future<Decision> recorded(DecisionRequest request, Decision decision) {
        return ledger.audit().append(AuditEvents.decision(request, decision)).map(decision);
    }

    /**
     * The rules for one call, in the order their reasons read: the budget's exhaustion when
     * {@code exhausted} (a budget with nothing left always STOPs), the contracts, then the budget's
     * approval threshold and degrade_to.
     */
    private List<Rule> rules(DecisionRequest request, BudgetState state, boolean exhausted) {
        List<Rule> rules = new ArrayList<>();
        if (exhausted) {
            rules.add(new Rule(RULE_EXHAUSTED, null, null, null, null, Outcome.STOP, BUDGET_EXHAUSTED, null, null));
        }
        rules.addAll(contracts.get().rules());
        BudgetSpec spec = state.spec();
        if (spec.approvalAboveMicros() != null) {
            rules.add(new Rule(RULE_APPROVAL_ABOVE, null, spec.approvalAboveMicros(), null, null, Outcome.REQUIRE_APPROVAL,
                    APPROVAL_REQUIRED, null, null));
        }
        if (spec.degradeTo() != null && spec.degradeTo().applies(request.model(), state.remainingMicros())) {
            rules.add(new Rule(RULE_DEGRADE_TO, null, null, null, null, Outcome.DEGRADE, DEGRADED_BELOW_REMAINING, null,
                    new Mutation(spec.degradeTo().model(), null, null)));
        }
        return rules;
    }

    private Future<Decision> resume(DecisionRequest request) {
        Approval a = approvals.get(request.approvalId()).orElseThrow(() -> ProxyError.UNKNOWN_APPROVAL.exception(
                "Approval '" + request.approvalId() + "' does not exist."));
        // Before anything about the approval is told: its state is the requester's business only.
        if (!a.mayResume(request.caller())) {
            throw ProxyError.APPROVAL_FORBIDDEN.exception("Approval '" + a.id() + "' was asked for by another caller; "
                    + "only the virtual key (or provider credential) that asked may resume it.");
        }
        if (request.requestHash() != null && !a.requestHash().equals(request.requestHash())) {
            throw ProxyError.APPROVAL_MISMATCH.exception("Approval '" + a.id() + "' was granted for a different request body.");
        }
        switch (a.state()) {
            case PENDING -> {
                return recorded(request, refusal(Outcome.REQUIRE_APPROVAL, request, a.budgetId(), 0,
                        List.of(APPROVAL_REQUIRED), a.id(), null).withRules(List.of(), a.approverRole(), a.expiresAt()));
            }
            case DENIED -> throw ProxyError.APPROVAL_DENIED.exception("Approval '" + a.id() + "' was denied"
                    + (a.reason() == null ? "." : ": " + a.reason()));
            case EXPIRED -> throw ProxyError.APPROVAL_EXPIRED.exception("Approval '" + a.id() + "' expired before it was approved.");
            case CONSUMED -> throw ProxyError.APPROVAL_CONSUMED.exception("Approval '" + a.id() + "' has already been used.");
            default -> { }
        }
        if (!approvals.consume(a.id())) {
            throw ProxyError.APPROVAL_CONSUMED.exception("Approval '" + a.id() + "' has already been used.");
        }
        return reserve(request, a.budgetId(), List.of()).onComplete(d -> {
            if (d.failed() || !d.result().outcome().admits()) {
                approvals.unconsume(a.id());
            }
        });
    }

    /** Holds the claim; the decision (CONTINUE, or STOP if it no longer fits) is recorded in the ledger's transaction. */
    private Future<Decision> reserve(DecisionRequest request, String budgetId, List<String> matchedRuleIds) {
        // Derived from the decision id, so a retried decision (same ids) finds its hold instead of taking another.
        String reservationId = "res_" + request.decisionId();
        Instant expires = clock.instant().plus(reservationTtl);
        Function<Ledger.Hold, Decision> decision = hold -> (hold.granted()
                ? new Decision(Outcome.CONTINUE, request.decisionId(), budgetId, reservationId, request.claimMicros(),
                        request.claimMicros(), hold.budget().remainingMicros(), List.of(), request.approvalId(), null, null)
                : stop(request, hold.budget())).withRules(matchedRuleIds, null, null);
        return ledger.reserve(new Ledger.Reservation(reservationId, budgetId, request.claimMicros(), expires, forwardedOnGrant,
                hold -> AuditEvents.decision(request, decision.apply(hold)))).map(decision);
    }

    private Decision stop(DecisionRequest request, BudgetState state) {
        return refusal(Outcome.STOP, request, state.spec().id(), state.remainingMicros(), List.of(BUDGET_EXHAUSTED), null,
                state.window().secondsToReset(clock.instant()));
    }

    private static Decision refusal(Outcome outcome, DecisionRequest request, String budgetId, long remaining,
                                    List<String> reasons, String approvalId, Long retryAfter) {
        return new Decision(outcome, request.decisionId(), budgetId, null, request.claimMicros(), 0, remaining, reasons,
                approvalId, retryAfter, null);
    }

    public Future<Ledger.Settled> commit(String reservationId, long amountMicros) {
        return ledger.commit(reservationId, amountMicros);
    }

    public Future<Ledger.Settled> release(String reservationId) {
        return ledger.release(reservationId);
    }

    /** The admitted call is about to be sent: if it never settles, its hold is committed at its TTL. */
    public Future<Void> forwarded(String reservationId) {
        return forwardedOnGrant ? Future.succeededFuture() : ledger.forwarded(reservationId);
    }

    public Ledger ledger() {
        return ledger;
    }

    public Approvals approvals() {
        return approvals;
    }

    public Clock clock() {
        return clock;
    }

    /** How long a reservation is held before it expires (what the sidecar protocol reports as {@code ttl_expires_at}). */
    public Duration reservationTtl() {
        return reservationTtl;
    }
}
