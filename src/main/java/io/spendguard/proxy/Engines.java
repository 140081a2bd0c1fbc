package io.spendguard.proxy;

import io.spendguard.proxy.config.ContractsWatcher;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.config.ProxyConfig.BudgetConfig;
import io.spendguard.proxy.config.ProxyConfig.LedgerConfig;
import io.spendguard.proxy.engine.Approvals;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.engine.Ledger;
import io.spendguard.proxy.engine.MemoryLedger;
import io.spendguard.proxy.engine.PostgresLedger;
import io.spendguard.proxy.engine.SqliteLedger;
import io.spendguard.proxy.engine.Sweeper;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * Builds the budget engine the same way for the proxy and the sidecar: opens the configured ledger,
 * picks up what it already holds, applies the file's budgets (the file wins for the budgets it
 * names), and starts the sweeper that settles holds whose TTL has passed.
 */
final class Engines {
    private Engines() {
    }

    /** A running engine, the contracts it reads and the sweeper over its ledger. */
    record Running(Engine engine, ContractsWatcher contracts, Sweeper sweeper) {
        Future<Void> close() {
            sweeper.stop();
            contracts.close();
            return engine.ledger().close();
        }
    }

    static Future<Running> start(Vertx vertx, ProxyConfig config, Clock clock, boolean forwardedOnGrant, ProxyMetrics metrics) {
        ContractsWatcher contracts = new ContractsWatcher(vertx, config.contracts(), metrics, ContractsWatcher.DEFAULT_POLL_MS);
        return contracts.start().compose(v -> open(vertx, config.ledger(), clock)).compose(ledger -> {
            Engine engine = new Engine(ledger, new Approvals(clock, config.approvalTtl()), clock, reservationTtl(config), contracts,
                    forwardedOnGrant);
            Future<Void> budgets = engine.init();
            for (BudgetConfig b : config.budgets()) {
                budgets = budgets.compose(v -> engine.putBudget(b.toSpec())
                        .onSuccess(s -> metrics.budget(s.spec().id(), s.spec().limitMicros(), s.remainingMicros())).mapEmpty());
            }
            return budgets.map(v -> new Running(engine, contracts, new Sweeper(vertx, ledger, clock, expired -> expired.forEach(e -> {
                metrics.settled(e.committed() ? "expired_commit" : "expired_release");
                if (!e.committed()) {
                    metrics.released(e.heldMicros());
                }
            })).start(config.ledger().sweepIntervalMs())))
                    .recover(e -> ledger.close().transform(x -> Future.failedFuture(e)));
        }).onFailure(e -> contracts.close());
    }

    static Future<Ledger> open(Vertx vertx, LedgerConfig config, Clock clock) {
        return switch (config.kind()) {
            case "memory" -> Future.succeededFuture(new MemoryLedger(clock));
            case "sqlite" -> SqliteLedger.open(vertx, Path.of(config.path()), clock).map(l -> l);
            case "postgres" -> PostgresLedger.open(vertx, config.url(), config.poolSize(), clock).map(l -> l);
            default -> Future.failedFuture(new IllegalStateException("ledger.kind: " + config.kind() + " is not available"));
        };
    }

    /** How long an unsettled hold lives: configured, or the longest provider timeout plus five minutes. */
    static Duration reservationTtl(ProxyConfig config) {
        return config.ledger().reservationTtlMs() > 0
                ? Duration.ofMillis(config.ledger().reservationTtlMs())
                : Duration.ofMillis(Math.max(config.openai().timeoutMs(), config.anthropic().timeoutMs())).plusMinutes(5);
    }
}
