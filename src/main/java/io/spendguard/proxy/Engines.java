package io.spendguard.proxy;

import io.spendguard.proxy.engine.ContractBudgets;
import io.spendguard.proxy.config.ContractsWatcher;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.config.ProxyConfig.AuditConfig;
import io.spendguard.proxy.config.ProxyConfig.BudgetConfig;
import io.spendguard.proxy.config.ProxyConfig.LedgerConfig;
import io.spendguard.proxy.engine.Approvals;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.memory.MemoryLedger;
import io.spendguard.proxy.ledger.postgres.PostgresLedger;
import io.spendguard.proxy.ledger.sqlite.SqliteLedger;
import io.spendguard.proxy.ledger.Sweeper;
import io.spendguard.proxy.audit.AuditChain;
import io.spendguard.proxy.audit.AuditSigner;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Builds the budget engine the same way for the proxy and the sidecar: opens the configured ledger,
 * picks up what it already holds, applies the file's budgets (the file wins for the budgets it
 * names), loads the contracts and creates the budgets they declare that do not exist yet
 * ({@link ContractBudgets}), and starts the sweeper that settles holds whose TTL has passed and
 * forgets idle agent runs. Every budget the ledger then holds is exported as {@code spendguard_budget_info}
 * (its place in the budget tree). Calls are held under the run limits of their budget ({@link ProxyConfig#runsFor}).
 */
public final class Engines {
    private Engines() {
    }

    /** A running engine, the contracts it reads and the sweeper over its ledger. */
    public record Running(Engine engine, ContractsWatcher contracts, Sweeper sweeper) {
        public Future<Void> close() {
            sweeper.stop();
            contracts.close();
            return engine.ledger().close();
        }
    }

    public static Future<Running> start(Vertx vertx, ProxyConfig config, Clock clock, ProxyMetrics metrics) {
        ContractsWatcher contracts = new ContractsWatcher(vertx, config.contracts(), metrics, ContractsWatcher.DEFAULT_POLL_MS);
        return open(vertx, config, clock).compose(ledger -> {
            Engine engine = new Engine(ledger, new Approvals(clock, config.approvalTtl()), clock, reservationTtl(config), contracts,
                    config::runsFor);
            Future<Void> budgets = engine.init();
            for (BudgetConfig b : ProxyConfig.parentsFirst(config.budgets())) {
                budgets = budgets.compose(v -> engine.putBudget(b.toSpec())
                        .onSuccess(s -> metrics.budget(s.spec().id(), s.spec().limitMicros(), s.remainingMicros())).mapEmpty());
            }
            // the contracts load after the config's budgets, so theirs can be told apart and provisioned around them
            Set<String> configIds = config.budgets().stream().map(BudgetConfig::id).collect(Collectors.toSet());
            return budgets.compose(v -> contracts.start(new ContractBudgets(engine, configIds, metrics)))
                    .compose(v -> ledger.budgets().onSuccess(all -> all.forEach(s -> metrics.budgetInfo(s.spec().id(), s.spec().parent()))))
                    .map(v -> new Running(engine, contracts, new Sweeper(vertx, ledger, clock, expired -> expired.forEach(e -> {
                metrics.settled(e.committed() ? "expired_commit" : "expired_release");
                if (!e.committed()) {
                    metrics.released(e.heldMicros());
                }
            }), config.runs().idleTtl(), metrics::runsActive).start(config.ledger().sweepIntervalMs())))
                    .recover(e -> ledger.close().transform(x -> Future.failedFuture(e)));
        }).onFailure(e -> contracts.close());
    }

    /** Opens the configured ledger, its audit chain signed with the configured key. */
    public static Future<Ledger> open(Vertx vertx, ProxyConfig config, Clock clock) {
        LedgerConfig ledger = config.ledger();
        return vertx.executeBlocking(() -> chain(config.audit(), clock)).compose(chain -> switch (ledger.kind()) {
            case MEMORY -> Future.succeededFuture(new MemoryLedger(clock, chain));
            case SQLITE -> SqliteLedger.open(vertx, Path.of(ledger.path()), clock, chain).map(l -> l);
            case POSTGRES -> PostgresLedger.open(vertx, ledger.url(), ledger.poolSize(), clock, chain).map(l -> l);
        });
    }

    /** The signing key (read, or generated on first start) and the earlier keys still trusted. */
    static AuditChain chain(AuditConfig audit, Clock clock) {
        AuditSigner signer = audit.signingKey() == null ? AuditSigner.ephemeral() : AuditSigner.load(audit.signingKey());
        return new AuditChain(signer, clock, audit.trustedKeys().stream().map(AuditSigner::readPublic).toList());
    }

    /** How long an unsettled hold lives: configured, or the longest provider timeout plus five minutes. */
    static Duration reservationTtl(ProxyConfig config) {
        return config.ledger().reservationTtlMs() > 0
                ? Duration.ofMillis(config.ledger().reservationTtlMs())
                : Duration.ofMillis(Math.max(config.openai().timeoutMs(), config.anthropic().timeoutMs())).plusMinutes(5);
    }
}
