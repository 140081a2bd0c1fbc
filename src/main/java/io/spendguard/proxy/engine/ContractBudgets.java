package io.spendguard.proxy.engine;

import io.spendguard.proxy.ledger.LedgerException;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Provisions the budgets a contracts file declares ({@code spec.budgets}), each time the file loads —
 * at start and on every reload — before its rules go into force. A budget is created only when none of
 * that id exists: the config file's budgets win (with a warning, the config's limit stays), and a
 * budget already in the ledger (from an earlier load, an earlier run of a durable ledger, or the admin
 * API) keeps its limit, with a warning when the file asks for another (change it with
 * {@code PATCH /v1/budgets/{id}}). A budget dropped from the file is not deleted: it may hold spend.
 * A budget naming a {@code parent} is created after that parent (when the file declares it too); a parent
 * that is neither in the file nor in the ledger, or one the ledger refuses (a cycle, a tree too deep),
 * fails the load with a message naming the budget — at start-up the proxy does not start, on a reload
 * the previous rules stay and the reload counts as failed. An existing budget keeps its own parent.
 */
public final class ContractBudgets implements Function<Contracts, Future<Void>> {
    private static final Logger LOG = Logger.getLogger(ContractBudgets.class.getName());

    private final Engine engine;
    private final Set<String> configIds;
    private final ProxyMetrics metrics;

    /** {@code configIds}: the budgets the config file defines, which contracts never override. */
    public ContractBudgets(Engine engine, Set<String> configIds, ProxyMetrics metrics) {
        this.engine = engine;
        this.configIds = Set.copyOf(configIds);
        this.metrics = metrics;
    }

    @Override
    public Future<Void> apply(Contracts contracts) {
        if (contracts.budgets().isEmpty()) {
            return Future.succeededFuture();
        }
        return engine.ledger().budgets().compose(list -> {
            Map<String, BudgetState> existing = list.stream().collect(Collectors.toMap(s -> s.spec().id(), s -> s));
            for (Contracts.Budget b : contracts.budgets()) {
                // checked before anything is created: a file with an unknown parent provisions nothing
                if (b.parent() != null && !existing.containsKey(b.id()) && !configIds.contains(b.id())
                        && !existing.containsKey(b.parent()) && !declares(contracts, b.parent())) {
                    return Future.failedFuture(new IllegalArgumentException(contracts.source() + ": " + b.path() + " (" + b.id()
                            + "): parent " + b.parent() + " does not exist (expected: a budget of this file, of the config, "
                            + "or one the ledger holds)"));
                }
            }
            Future<Void> done = Future.succeededFuture();
            for (Contracts.Budget b : parentsFirst(contracts.budgets())) {
                String where = contracts.source() + ": " + b.path() + " (" + b.id() + ")";
                BudgetState state = existing.get(b.id());
                if (configIds.contains(b.id())) {
                    LOG.warning(where + ": a config budget has the same id and wins; its limit of "
                            + (state == null ? "?" : state.spec().limitMicros()) + " µUSD applies, not limit_amount_atomic "
                            + b.limitMicros());
                } else if (state != null) {
                    if (!java.util.Objects.equals(state.spec().parent(), b.parent())) {
                        LOG.warning(where + ": the budget exists under parent " + state.spec().parent() + ", kept; parent "
                                + b.parent() + " only applies to a budget the file creates (move it with PATCH /v1/budgets/" + b.id() + ")");
                    }
                    if (state.spec().limitMicros() != b.limitMicros()) {
                        LOG.warning(where + ": the budget exists with a limit of " + state.spec().limitMicros()
                                + " µUSD, kept; limit_amount_atomic " + b.limitMicros() + " only applies to a budget the file creates "
                                + "(change a limit with PATCH /v1/budgets/" + b.id() + ")");
                    }
                } else {
                    done = done.compose(v -> create(where, b));
                }
            }
            return done;
        });
    }

    private Future<Void> create(String where, Contracts.Budget b) {
        if (!b.requireHardCap()) {
            LOG.info(where + ": require_hard_cap: false, but every budget here is a hard cap (a call that does not fit is refused)");
        }
        // Create-if-absent in the ledger itself: a replica or the admin API that made it a moment ago keeps its own.
        return engine.createBudget(b.toSpec()).onSuccess(s -> {
            metrics.budget(s.spec().id(), s.spec().limitMicros(), s.remainingMicros());
            metrics.budgetInfo(s.spec().id(), s.spec().parent());
            LOG.info(where + ": budget created, limit " + b.limitMicros() + " µUSD, no window");
        }).<Void>mapEmpty().recover(e -> e instanceof LedgerException le && le.kind() == LedgerException.Kind.BUDGET_EXISTS
                ? Future.succeededFuture() : Future.failedFuture(refusal(where, b, e)));
    }

    /** The ledger's refusal of {@code b}'s place in the tree, naming the budget; any other failure as it is. */
    private static Throwable refusal(String where, Contracts.Budget b, Throwable e) {
        if (!(e instanceof LedgerException le)) {
            return e;
        }
        return switch (le.kind()) {
            case UNKNOWN_PARENT -> new IllegalArgumentException(where + ": parent " + b.parent() + " does not exist");
            case BUDGET_CYCLE -> new IllegalArgumentException(where + ": parent " + b.parent() + " is below " + b.id() + " (a cycle)");
            case TREE_TOO_DEEP -> new IllegalArgumentException(where + ": parent " + b.parent() + " would make the tree deeper than "
                    + BudgetSpec.MAX_DEPTH + " levels");
            default -> e;
        };
    }

    private static boolean declares(Contracts contracts, String id) {
        return contracts.budgets().stream().anyMatch(b -> b.id().equals(id));
    }

    /** {@code budgets} ordered so that a budget comes after its parent when the file declares both (the file has no cycles). */
    static List<Contracts.Budget> parentsFirst(List<Contracts.Budget> budgets) {
        Map<String, Contracts.Budget> byId = new LinkedHashMap<>();
        budgets.forEach(b -> byId.put(b.id(), b));
        Set<String> placed = new LinkedHashSet<>();
        List<Contracts.Budget> ordered = new ArrayList<>();
        for (Contracts.Budget b : budgets) {
            place(b, byId, placed, ordered, 0);
        }
        return ordered;
    }

    private static void place(Contracts.Budget b, Map<String, Contracts.Budget> byId, Set<String> placed, List<Contracts.Budget> ordered,
                              int depth) {
        if (placed.contains(b.id()) || depth > byId.size()) {
            return;
        }
        Contracts.Budget parent = b.parent() == null ? null : byId.get(b.parent());
        if (parent != null) {
            place(parent, byId, placed, ordered, depth + 1);
        }
        if (placed.add(b.id())) {
            ordered.add(b);
        }
    }
}
