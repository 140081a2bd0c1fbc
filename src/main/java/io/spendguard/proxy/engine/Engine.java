package io.spendguard.proxy.engine;

import io.spendguard.proxy.config.RunsConfig;
import io.spendguard.proxy.engine.Decision.Outcome;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.LedgerException;
import io.spendguard.proxy.ledger.RunLimit;
import io.spendguard.proxy.ledger.RunState;
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
 * CONTINUE is reserved, atomically, or STOPs if a concurrent call took the room first. A hold counts
 * as forwarded from its grant, in the same transaction: the proxy sends an admitted call at once (a
 * call it does not send after all, it releases), and the sidecar protocol does not report sending; so
 * a hold a crash leaves unsettled is committed at its TTL, never released. A DEGRADE is a
 * proposal without a hold: the caller applies it, re-estimates the changed call and asks again with
 * {@link DecisionRequest#mutated()} set, which is then decided as above (without degrading again).
 * A call of an agent run ({@link DecisionRequest#runId()}) is held under that run's limits
 * ({@code runs:} narrowed by the budget's own): the ledger counts the step and refuses, atomically with
 * the hold, a stopped run or one past its steps or money; a request whose history repeats one tool
 * call {@code max_repeated_tool_calls} times or more STOPs with {@link #RUN_LOOP_DETECTED}, run id or not.
 * In a budget tree (SPEC §11) the call is decided on its budget's path ({@link Ledger#path}, leaf
 * first): the first level that cannot cover the claim STOPs it and is the one the decision names
 * (Retry-After from that level's window), an {@code approval_above_usd} on any level asks for approval
 * on that level, {@code degrade_to} is the leaf's, and the ledger holds the claim on every level at once.
 */
public final class Engine {
    public static final String BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED";
    public static final String NO_BUDGET = "NO_BUDGET";
    public static final String APPROVAL_REQUIRED = "APPROVAL_REQUIRED";
    public static final String DEGRADED_BELOW_REMAINING = "DEGRADED_BELOW_REMAINING";
    /** The request's history repeats one tool call (same name and arguments) at least {@code max_repeated_tool_calls} times. */
    public static final String RUN_LOOP_DETECTED = "RUN_LOOP_DETECTED";
    /** Every reason code a run refuses a call with (SPEC §10). */
    public static final List<String> RUN_REFUSALS = List.of(RunLimit.RUN_STEP_LIMIT, RunLimit.RUN_BUDGET_EXCEEDED,
            RUN_LOOP_DETECTED, RunLimit.RUN_STOPPED);
    /** Ids of the built-in rules a budget's own settings make, as they appear in {@code matched_rule_ids}. */
    public static final String RULE_EXHAUSTED = "budget.exhausted";
    public static final String RULE_APPROVAL_ABOVE = "budget.approval_above";
    public static final String RULE_DEGRADE_TO = "budget.degrade_to";

    private final Ledger ledger;
    private final Approvals approvals;
    private final Clock clock;
    private final Duration reservationTtl;
    private final Supplier<Contracts> contracts;
    private final Function<String, RunsConfig> runs;
    private volatile String defaultBudgetId;

    /** An engine without contract rules. */
    public Engine(Ledger ledger, Approvals approvals, Clock clock, Duration reservationTtl) {
        this(ledger, approvals, clock, reservationTtl, () -> Contracts.NONE);
    }

    /** {@code contracts} gives the rules in force at each call (they may be reloaded between calls). */
    public Engine(Ledger ledger, Approvals approvals, Clock clock, Duration reservationTtl, Supplier<Contracts> contracts) {
        this(ledger, approvals, clock, reservationTtl, contracts, budgetId -> RunsConfig.DEFAULTS);
    }

    /** {@code runs} gives the run limits for calls charged to a budget (its id): the global ones narrowed by the budget's. */
    public Engine(Ledger ledger, Approvals approvals, Clock clock, Duration reservationTtl, Supplier<Contracts> contracts,
                  Function<String, RunsConfig> runs) {
        this.runs = runs;
        this.ledger = ledger;
        this.approvals = approvals;
        this.clock = clock;
        this.reservationTtl = reservationTtl;
        this.contracts = contracts;
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
        Future<List<BudgetState>> path = ledger.path(budgetId).recover(e -> Future.failedFuture(
                e instanceof LedgerException le && le.kind() == LedgerException.Kind.UNKNOWN_BUDGET
                        ? ProxyError.UNKNOWN_BUDGET.exception("Budget '" + budgetId + "' does not exist.")
                        : e)).map(levels -> {
                            withinTenant(request, levels.get(0));
                            return levels;
                        });
        if (request.approvalId() != null) {
            return path.compose(levels -> resume(request, ids(levels)));
        }
        return path.compose(levels -> decideByRules(request, levels));
    }

    private static List<String> ids(List<BudgetState> path) {
        return path.stream().map(b -> b.spec().id()).toList();
    }

    /** The first level of {@code path} (leaf first) that {@code test} picks; null when none does. */
    private static BudgetState firstLevel(List<BudgetState> path, java.util.function.Predicate<BudgetState> test) {
        for (BudgetState level : path) {
            if (test.test(level)) {
                return level;
            }
        }
        return null;
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

    /**
     * Refuses a looping request, then reads the call's run (if any) and refuses it when its run would
     * (stopped, out of steps or money: the ledger checks again, atomically, when it holds the claim),
     * then merges the budget's own rules and the contracts for this call, and acts on the verdict.
     */
    private Future<Decision> decideByRules(DecisionRequest request, List<BudgetState> path) {
        String budgetId = path.get(0).spec().id();
        long remaining = Ledger.remainingOnPath(path);
        List<String> ids = ids(path);
        RunsConfig limits = runs.apply(budgetId);
        if (limits.maxRepeatedToolCalls() > 0 && request.repeatedToolCalls() >= limits.maxRepeatedToolCalls()) {
            return runOf(request).compose(run -> recorded(request, refusal(Outcome.STOP, request, budgetId, remaining,
                    List.of(RUN_LOOP_DETECTED), null, null).withRun(snapshot(runId(request), run, limits)), ids));
        }
        return runOf(request).compose(run -> {
            RunLimit limit = runLimit(request, limits);
            String runRefusal = limit == null ? null : limit.refusal(run, request.claimMicros());
            if (runRefusal != null) {
                return recorded(request, refusal(Outcome.STOP, request, budgetId, remaining, List.of(runRefusal), null, null)
                        .withRun(snapshot(limit.runId(), run, limits)), ids);
            }
            return decideByRules(request, path, run);
        });
    }

    private Future<Decision> decideByRules(DecisionRequest request, List<BudgetState> path, RunState run) {
        BudgetState leaf = path.get(0);
        List<String> ids = ids(path);
        long claim = request.claimMicros();
        BudgetState empty = firstLevel(path, level -> level.remainingMicros() == 0);
        BudgetState tooSmall = firstLevel(path, level -> claim > level.remainingMicros());
        BudgetState approvalLevel = firstLevel(path, level -> level.spec().approvalAboveMicros() != null
                && claim > level.spec().approvalAboveMicros());
        RuleFacts facts = RuleFacts.of(request, path, run);
        Contracts.Verdict first = Contracts.evaluate(rules(request, leaf, approvalLevel, empty != null), facts, request.mutated());
        // A claim that does not fit may still be degraded to one that does: the changed call is checked again.
        Contracts.Verdict v = tooSmall != null && first.outcome() != Outcome.DEGRADE
                ? Contracts.evaluate(rules(request, leaf, approvalLevel, true), facts, request.mutated())
                : first;
        String budgetId = leaf.spec().id();
        long remaining = Ledger.remainingOnPath(path);
        RunSnapshot snapshot = snapshot(runId(request), run, runs.apply(budgetId));
        return switch (v.outcome()) {
            case CONTINUE -> reserve(request, budgetId, v.matchedRuleIds());
            case DEGRADE -> recorded(request, new Decision(Outcome.DEGRADE, request.decisionId(), budgetId, null,
                    request.claimMicros(), 0, remaining, v.reasonCodes(), null, null, v.mutation(),
                    v.matchedRuleIds(), null, null, snapshot), ids);
            case REQUIRE_APPROVAL -> {
                BudgetState asks = approvalLevel != null && v.matchedRuleIds().contains(RULE_APPROVAL_ABOVE) ? approvalLevel : leaf;
                Approval a = approvals.request(request.decisionId(), asks.spec().id(), request.model(), request.claimMicros(),
                        request.requestHash(), v.approverRole(), request.caller());
                yield recorded(request, refusal(Outcome.REQUIRE_APPROVAL, request, asks.spec().id(),
                        asks == leaf ? remaining : asks.remainingMicros(), v.reasonCodes(), a.id(), null)
                        .withRules(v.matchedRuleIds(), a.approverRole(), a.expiresAt()).withRun(snapshot), ids);
            }
            default -> {
                // the level whose exhaustion stops the call is the one named; a rule's refusal names the call's own budget
                BudgetState stops = v.matchedRuleIds().contains(RULE_EXHAUSTED) ? (tooSmall != null ? tooSmall : empty) : null;
                BudgetState named = stops != null ? stops : leaf;
                // only an exhausted budget frees up at the window reset; a rule's refusal does not
                yield recorded(request, refusal(v.outcome(), request, named.spec().id(), stops != null ? stops.remainingMicros() : remaining,
                        v.reasonCodes(), null, v.reasonCodes().contains(BUDGET_EXHAUSTED) ? named.window().secondsToReset(clock.instant()) : null)
                        .withRules(v.matchedRuleIds(), null, null).withRun(snapshot), ids);
            }
        };
    }

    /** The call's run id: null when it names none (an empty header names none). */
    private static String runId(DecisionRequest request) {
        return request.runId() == null || request.runId().isEmpty() ? null : request.runId();
    }

    /** The run the call is held under, with the limits for its budget; null for a call of no run. */
    private static RunLimit runLimit(DecisionRequest request, RunsConfig limits) {
        String id = runId(request);
        return id == null ? null : new RunLimit(id, limits.maxSteps(), limits.maxUsdMicros());
    }

    /**
     * The call's run as the ledger holds it; null for a call of no run or a run not seen yet.
     */
    private Future<RunState> runOf(DecisionRequest request) {
        String id = runId(request);
        if (id == null) {
            return Future.succeededFuture();
        }
        return ledger.run(id).recover(e -> e instanceof LedgerException le && le.kind() == LedgerException.Kind.UNKNOWN_RUN
                ? Future.succeededFuture() : Future.failedFuture(e));
    }

    /** What a decision tells of the run {@code id} ({@code run} null: not seen yet); null without a run or a loop limit. */
    private static RunSnapshot snapshot(String id, RunState run, RunsConfig limits) {
        if (id == null && limits.maxRepeatedToolCalls() == 0) {
            return null;
        }
        return new RunSnapshot(id, run == null ? 0 : run.steps(), run == null ? 0 : run.usdMicros(), limits.maxSteps(),
                limits.maxUsdMicros(), limits.maxRepeatedToolCalls());
    }

    /** A decision that changes no ledger row, once its audit record is stored. */
    private Future<Decision> recorded(DecisionRequest request, Decision decision) {
        return recorded(request, decision, null);
    }

    /** A decision about a call on the budgets {@code path} (leaf first), once its audit record is stored. */
    private Future<Decision> recorded(DecisionRequest request, Decision decision, List<String> path) {
        return ledger.audit().append(AuditEvents.decision(request, decision, path)).map(decision);
    }

    /**
     * The rules for one call, in the order their reasons read: the budget's exhaustion when
     * {@code exhausted} (a level with nothing left always STOPs), the contracts, then the approval
     * threshold of {@code approvalLevel} (the first level whose threshold the claim passes; null: none)
     * and the leaf's degrade_to.
     */
    private List<Rule> rules(DecisionRequest request, BudgetState state, BudgetState approvalLevel, boolean exhausted) {
        List<Rule> rules = new ArrayList<>();
        if (exhausted) {
            rules.add(new Rule(RULE_EXHAUSTED, null, null, null, null, Outcome.STOP, BUDGET_EXHAUSTED, null, null));
        }
        rules.addAll(contracts.get().rules());
        BudgetSpec spec = state.spec();
        if (approvalLevel != null) {
            rules.add(new Rule(RULE_APPROVAL_ABOVE, null, approvalLevel.spec().approvalAboveMicros(), null, null, Outcome.REQUIRE_APPROVAL,
                    APPROVAL_REQUIRED, null, null));
        }
        if (spec.degradeTo() != null && spec.degradeTo().applies(request.model(), state.remainingMicros())) {
            rules.add(new Rule(RULE_DEGRADE_TO, null, null, null, null, Outcome.DEGRADE, DEGRADED_BELOW_REMAINING, null,
                    new Mutation(spec.degradeTo().model(), null, null)));
        }
        return rules;
    }

    /**
     * Resumes an approved call on {@code path} (its budget and ancestors): the hold is taken on the call's
     * own budget when the approval names a level of its path, else on the budget the approval names.
     */
    private Future<Decision> resume(DecisionRequest request, List<String> path) {
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
        return reserve(request, path.contains(a.budgetId()) ? path.get(0) : a.budgetId(), List.of()).onComplete(d -> {
            if (d.failed() || !d.result().outcome().admits()) {
                approvals.unconsume(a.id());
            }
        });
    }

    /**
     * Holds the claim, under the call's run if it has one; the decision (CONTINUE, or STOP if it no
     * longer fits the budget or the run) is recorded in the ledger's transaction.
     */
    private Future<Decision> reserve(DecisionRequest request, String budgetId, List<String> matchedRuleIds) {
        // Derived from the decision id, so a retried decision (same ids) finds its hold instead of taking another.
        String reservationId = "res_" + request.decisionId();
        Instant expires = clock.instant().plus(reservationTtl);
        RunsConfig limits = runs.apply(budgetId);
        RunLimit run = runLimit(request, limits);
        Function<Ledger.Hold, Decision> decision = hold -> {
            Decision d;
            if (hold.granted()) {
                d = new Decision(Outcome.CONTINUE, request.decisionId(), budgetId, reservationId, request.claimMicros(),
                        request.claimMicros(), hold.remainingOnPath(), List.of(), request.approvalId(), null, null);
            } else if (hold.runRefusal() != null) {
                d = refusal(Outcome.STOP, request, budgetId, hold.remainingOnPath(), List.of(hold.runRefusal()), null, null);
            } else {
                d = stop(request, refusingLevel(hold));
            }
            return d.withRules(matchedRuleIds, null, null).withRun(snapshot(runId(request), hold.run(), limits));
        };
        // Forwarded from its grant: an admitted call leaves at once (see the class comment).
        return ledger.reserve(new Ledger.Reservation(reservationId, budgetId, request.claimMicros(), expires, true,
                hold -> AuditEvents.decision(request, decision.apply(hold), ids(hold.path())), run)).map(decision);
    }

    /** The level that refused a hold (the first, from the leaf, that could not cover it). */
    private static BudgetState refusingLevel(Ledger.Hold hold) {
        BudgetState level = hold.refusedBy() == null ? null
                : firstLevel(hold.path(), b -> b.spec().id().equals(hold.refusedBy()));
        return level != null ? level : hold.budget();
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
