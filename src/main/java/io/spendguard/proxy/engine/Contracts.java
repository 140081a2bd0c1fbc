package io.spendguard.proxy.engine;

import io.spendguard.proxy.engine.Decision.Outcome;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.logging.Logger;

/**
 * A loaded contracts file, immutable: its rules, the budgets it declares ({@code spec.budgets}, see
 * {@link Budget}), and the merge that turns the rules matching a call into
 * one {@link Verdict}: the most restrictive decision wins (STOP > REQUIRE_APPROVAL > DEGRADE > SKIP >
 * CONTINUE); every matching rule is named in {@code matchedRuleIds}, most restrictive first, with its
 * reason code. A rule whose condition fails to evaluate counts as matching (the gate fails closed) and
 * adds {@link #RULE_EVALUATION_ERROR}. A DEGRADE that would change nothing does not match, and none
 * matches for a call that was already degraded.
 */
public final class Contracts {
    public static final String RULE_EVALUATION_ERROR = "RULE_EVALUATION_ERROR";
    /** No rules: every call is decided by its budget alone. */
    public static final Contracts NONE = new Contracts(List.of(), List.of(), "none");
    private static final Logger LOG = Logger.getLogger(Contracts.class.getName());

    private final List<Rule> rules;
    private final List<Budget> budgets;
    private final String source;

    /**
     * A budget a contracts file declares ({@code spec.budgets[]} of SpendGuard's Contract shape), to be
     * created when no budget of that id exists. {@code limitMicros} is {@code limit_amount_atomic}
     * (atomic units of USD are µUSD); the budget has no window. {@code reservationTtlSeconds} and
     * {@code requireHardCap} are kept as written: holds here live for the proxy's own reservation TTL
     * and every limit is enforced as a hard cap. {@code path} is where it was written
     * ({@code spec.budgets[0]}), for messages. {@code parent} (null: a root) puts it in a budget tree
     * (SPEC §11): a budget of the same file, of the config, or one the ledger holds.
     */
    public record Budget(String id, long limitMicros, long reservationTtlSeconds, boolean requireHardCap, String path, String parent) {
        /** A budget of no parent. */
        public Budget(String id, long limitMicros, long reservationTtlSeconds, boolean requireHardCap, String path) {
            this(id, limitMicros, reservationTtlSeconds, requireHardCap, path, null);
        }

        public Budget {
            if (limitMicros < 0) {
                throw new IllegalArgumentException("limit_amount_atomic: " + limitMicros + " (expected: >= 0)");
            }
            if (reservationTtlSeconds < 1) {
                throw new IllegalArgumentException("reservation_ttl_seconds: " + reservationTtlSeconds + " (expected: >= 1)");
            }
        }

        /** The engine's definition of the budget this entry creates: its limit and parent, no window, not the default. */
        public BudgetSpec toSpec() {
            return new BudgetSpec(id, limitMicros, "none", "UTC", null, false, null, null, parent);
        }
    }

    /** Rules only (the flat form, or a file without {@code spec.budgets}). */
    public Contracts(List<Rule> rules, String source) {
        this(rules, List.of(), source);
    }

    /** {@code source} says where the rules came from (a file name and its digest), for logs and audit. */
    public Contracts(List<Rule> rules, List<Budget> budgets, String source) {
        this.rules = List.copyOf(rules);
        this.budgets = List.copyOf(budgets);
        this.source = source;
        if (this.rules.stream().map(Rule::id).distinct().count() != this.rules.size()) {
            throw new IllegalArgumentException("rules: duplicate id (expected: unique ids)");
        }
        if (this.budgets.stream().map(Budget::id).distinct().count() != this.budgets.size()) {
            throw new IllegalArgumentException("budgets: duplicate id (expected: unique ids)");
        }
    }

    public List<Rule> rules() {
        return rules;
    }

    /** The budgets the file declares, in file order; empty for the flat form. */
    public List<Budget> budgets() {
        return budgets;
    }

    public String source() {
        return source;
    }

    /** The merged outcome of the rules that match a call. */
    public record Verdict(Outcome outcome, List<String> matchedRuleIds, List<String> reasonCodes, String approverRole,
                          Mutation mutation) {
        public Verdict {
            matchedRuleIds = List.copyOf(matchedRuleIds);
            reasonCodes = List.copyOf(reasonCodes);
        }
    }

    /** How restrictive a decision is: higher wins the merge. */
    static int severity(Outcome o) {
        return switch (o) {
            case STOP, STOP_RUN_PROJECTION -> 4;
            case REQUIRE_APPROVAL -> 3;
            case DEGRADE -> 2;
            case SKIP -> 1;
            case CONTINUE -> 0;
        };
    }

    /** Evaluates {@code ordered} (built-in and contract rules, in the order their reasons should read) for one call. */
    public static Verdict evaluate(List<Rule> ordered, RuleFacts facts, boolean alreadyDegraded) {
        record Match(Rule rule, Mutation mutation, boolean failed) { }
        List<Match> matches = new ArrayList<>();
        for (Rule rule : ordered) {
            if (rule.outcome() == Outcome.DEGRADE && alreadyDegraded) {
                continue;
            }
            boolean failed = false;
            try {
                if (!rule.matches(facts)) {
                    continue;
                }
            } catch (IllegalStateException e) {
                LOG.warning("contract rule " + rule.id() + ": " + e.getMessage() + " (treated as matching)");
                failed = true;
            }
            Mutation m = rule.outcome() == Outcome.DEGRADE ? rule.effectiveMutation(facts) : null;
            if (rule.outcome() != Outcome.DEGRADE || m != null) {
                matches.add(new Match(rule, m, failed));
            }
        }
        matches.sort(Comparator.comparingInt((Match m) -> -severity(m.rule().outcome())));
        if (matches.isEmpty()) {
            return new Verdict(Outcome.CONTINUE, List.of(), List.of(), null, null);
        }
        Outcome winner = matches.get(0).rule().outcome();
        LinkedHashSet<String> reasons = new LinkedHashSet<>();
        String role = null;
        String model = null;
        Integer max = null;
        for (Match m : matches) {
            reasons.add(m.rule().reasonCode());
            if (m.failed()) {
                reasons.add(RULE_EVALUATION_ERROR);
            }
            if (m.rule().outcome() == winner && role == null) {
                role = m.rule().approverRole();
            }
            if (m.mutation() != null) {
                model = model != null ? model : m.mutation().model();
                Integer cap = m.mutation().maxOutputTokens();
                if (cap != null && (max == null || cap < max)) {
                    max = cap;
                }
            }
        }
        Mutation mutation = winner == Outcome.DEGRADE ? new Mutation(model, max, null) : null;
        return new Verdict(winner, matches.stream().map(m -> m.rule().id()).toList(), List.copyOf(reasons), role, mutation);
    }
}
