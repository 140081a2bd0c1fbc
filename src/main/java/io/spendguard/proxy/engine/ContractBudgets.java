package io.spendguard.proxy.engine;

import io.spendguard.proxy.ledger.LedgerException;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.vertx.core.Future;
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
            Future<Void> done = Future.succeededFuture();
            for (Contracts.Budget b : contracts.budgets()) {
                String where = contracts.source() + ": " + b.path() + " (" + b.id() + ")";
                BudgetState state = existing.get(b.id());
                if (configIds.contains(b.id())) {
                    LOG.warning(where + ": a config budget has the same id and wins; its limit of "
                            + (state == null ? "?" : state.spec().limitMicros()) + " µUSD applies, not limit_amount_atomic "
                            + b.limitMicros());
                } else if (state != null) {
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
            LOG.info(where + ": budget created, limit " + b.limitMicros() + " µUSD, no window");
        }).<Void>mapEmpty().recover(e -> e instanceof LedgerException le && le.kind() == LedgerException.Kind.BUDGET_EXISTS
                ? Future.succeededFuture() : Future.failedFuture(e));
    }
}
