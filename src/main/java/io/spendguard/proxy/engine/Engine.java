package io.spendguard.proxy.engine;

import io.spendguard.proxy.engine.Decision.Outcome;
import io.spendguard.proxy.error.ProxyError;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The budget engine: decides each call against its budget and holds the claim in the ledger.
 * A claim that does not fit the remaining budget STOPs (most restrictive first); one above the
 * budget's approval threshold waits for a human; anything else is reserved, atomically, or STOPs if
 * a concurrent call took the room first. A budget with {@code degrade_to} first proposes the cheaper
 * model when little is left (a DEGRADE without a hold); the caller re-estimates the changed call and
 * asks again with {@link DecisionRequest#mutated()} set, which is then decided as above.
 */
public final class Engine {
    public static final String BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED";
    public static final String NO_BUDGET = "NO_BUDGET";
    public static final String APPROVAL_REQUIRED = "APPROVAL_REQUIRED";
    public static final String DEGRADED_BELOW_REMAINING = "DEGRADED_BELOW_REMAINING";

    private final Ledger ledger;
    private final Approvals approvals;
    private final Clock clock;
    private final Duration reservationTtl;
    private final boolean forwardedOnGrant;
    private volatile String defaultBudgetId;

    /** An engine whose caller reports forwarding ({@link #forwarded}) before it sends each admitted call. */
    public Engine(Ledger ledger, Approvals approvals, Clock clock, Duration reservationTtl) {
        this(ledger, approvals, clock, reservationTtl, false);
    }

    /**
     * {@code forwardedOnGrant}: every hold counts as forwarded from the moment it is granted, for
     * callers that cannot report forwarding (the sidecar protocol), so an unsettled hold is committed
     * at its TTL rather than released.
     */
    public Engine(Ledger ledger, Approvals approvals, Clock clock, Duration reservationTtl, boolean forwardedOnGrant) {
        this.ledger = ledger;
        this.approvals = approvals;
        this.clock = clock;
        this.reservationTtl = reservationTtl;
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
        return ledger.putBudget(spec).onSuccess(state -> {
            if (spec.isDefault()) {
                defaultBudgetId = spec.id();
            } else if (spec.id().equals(defaultBudgetId)) {
                defaultBudgetId = null;
            }
        });
    }

    public Future<Decision> decide(DecisionRequest request) {
        String budgetId = request.budgetId() != null ? request.budgetId() : defaultBudgetId;
        if (budgetId == null) {
            return Future.succeededFuture(refusal(Outcome.STOP, request, null, 0, List.of(NO_BUDGET), null, null));
        }
        Future<BudgetState> budget = ledger.budget(budgetId).recover(e -> Future.failedFuture(
                e instanceof LedgerException le && le.kind() == LedgerException.Kind.UNKNOWN_BUDGET
                        ? ProxyError.UNKNOWN_BUDGET.exception("Budget '" + budgetId + "' does not exist.")
                        : e));
        if (request.approvalId() != null) {
            return budget.compose(state -> resume(request));
        }
        return budget.compose(state -> {
            BudgetSpec.DegradeTo degrade = state.spec().degradeTo();
            if (!request.mutated() && degrade != null && degrade.applies(request.model(), state.remainingMicros())) {
                return Future.succeededFuture(new Decision(Outcome.DEGRADE, request.decisionId(), budgetId, null,
                        request.claimMicros(), 0, state.remainingMicros(), List.of(DEGRADED_BELOW_REMAINING), null, null,
                        new Mutation(degrade.model(), null, null)));
            }
            if (request.claimMicros() > state.remainingMicros()) {
                return Future.succeededFuture(stop(request, state));
            }
            Long above = state.spec().approvalAboveMicros();
            if (above != null && request.claimMicros() > above) {
                Approval a = approvals.request(request.decisionId(), budgetId, request.model(), request.claimMicros(), request.requestHash());
                return Future.succeededFuture(refusal(Outcome.REQUIRE_APPROVAL, request, budgetId, state.remainingMicros(),
                        List.of(APPROVAL_REQUIRED), a.id(), null));
            }
            return reserve(request, budgetId);
        });
    }

    private Future<Decision> resume(DecisionRequest request) {
        Approval a = approvals.get(request.approvalId()).orElseThrow(() -> ProxyError.UNKNOWN_APPROVAL.exception(
                "Approval '" + request.approvalId() + "' does not exist."));
        if (request.requestHash() != null && !a.requestHash().equals(request.requestHash())) {
            throw ProxyError.APPROVAL_MISMATCH.exception("Approval '" + a.id() + "' was granted for a different request body.");
        }
        switch (a.state()) {
            case PENDING -> {
                return Future.succeededFuture(refusal(Outcome.REQUIRE_APPROVAL, request, a.budgetId(), 0,
                        List.of(APPROVAL_REQUIRED), a.id(), null));
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
        return reserve(request, a.budgetId()).onComplete(d -> {
            if (d.failed() || !d.result().outcome().admits()) {
                approvals.unconsume(a.id());
            }
        });
    }

    private Future<Decision> reserve(DecisionRequest request, String budgetId) {
        // Derived from the decision id, so a retried decision (same ids) finds its hold instead of taking another.
        String reservationId = "res_" + request.decisionId();
        Instant expires = clock.instant().plus(reservationTtl);
        return ledger.reserve(new Ledger.Reservation(reservationId, budgetId, request.claimMicros(), expires, forwardedOnGrant))
                .map(hold -> hold.granted()
                ? new Decision(Outcome.CONTINUE, request.decisionId(), budgetId, reservationId, request.claimMicros(),
                        request.claimMicros(), hold.budget().remainingMicros(), List.of(), request.approvalId(), null, null)
                : stop(request, hold.budget()));
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
