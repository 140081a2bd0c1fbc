package io.spendguard.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spendguard.proxy.engine.Contracts;
import io.spendguard.proxy.engine.Rule;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot reload of the contracts file: a valid change applies, an invalid one keeps the old rules and is
 * counted once; the budgets a loaded file declares are provisioned before its rules go into force.
 */
class ContractsWatcherTest {
    private static final String STOP = "rules:\n  - {id: cap, when: {claim_amount_atomic_gt: 100}, then: {decision: STOP, reason_code: CAP}}\n";
    private static final String TWO = STOP + "  - {id: ask, condition: 'tenant == \"acme\"', then: {decision: REQUIRE_APPROVAL}}\n";

    private final Vertx vertx = Vertx.vertx();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private ContractsWatcher watcher;

    @TempDir
    Path dir;

    @AfterEach
    void close() throws Exception {
        if (watcher != null) {
            watcher.close();
        }
        vertx.close().await(5, TimeUnit.SECONDS);
    }

    private ContractsWatcher start(Path file) throws Exception {
        watcher = new ContractsWatcher(vertx, file, new ProxyMetrics(registry), 20);
        watcher.start().await(10, TimeUnit.SECONDS);
        return watcher;
    }

    private double reloads(String result) {
        var c = registry.find("spendguard.contract.reloads").tag("result", result).counter();
        return c == null ? 0 : c.count();
    }

    /** Polls until {@code condition} holds, failing after a deadline; the watcher works on its own timer. */
    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("timed out waiting for " + what).isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    private static java.util.List<String> ids(Contracts c) {
        return c.rules().stream().map(Rule::id).toList();
    }

    @Test
    void aValidChangeReplacesTheRules() throws Exception {
        Path file = Files.writeString(dir.resolve("contract.yaml"), STOP);
        ContractsWatcher w = start(file);
        assertThat(ids(w.get())).containsExactly("cap");

        Files.writeString(file, TWO);

        await("the new rules", () -> ids(w.get()).size() == 2);
        assertThat(ids(w.get())).containsExactly("cap", "ask");
        assertThat(reloads("ok")).isEqualTo(1);
        assertThat(reloads("error")).isZero();
    }

    @Test
    void anInvalidChangeKeepsTheOldRulesAndIsCountedOnce() throws Exception {
        Path file = Files.writeString(dir.resolve("contract.yaml"), STOP);
        ContractsWatcher w = start(file);
        Contracts before = w.get();

        Files.writeString(file, STOP + "  - {id: bad, condition: 'claim.usd_micros >', then: {decision: STOP}}\n");
        await("the failed reload", () -> reloads("error") == 1);
        Files.delete(file);
        await("the missing file", () -> reloads("error") == 2);

        assertThat(w.get()).isSameAs(before);
        Files.writeString(file, TWO);
        await("the fixed file", () -> ids(w.get()).size() == 2);
        assertThat(reloads("error")).as("each broken state counted once, not per poll").isEqualTo(2);
        assertThat(reloads("ok")).isEqualTo(1);
    }

    @Test
    void anInvalidFileFailsStartUpNamingTheRule() throws Exception {
        Path file = Files.writeString(dir.resolve("contract.yaml"),
                "rules:\n  - {id: a, then: {decision: STOP}}\n  - {id: b, condition: 'request.modle == \"x\"', then: {decision: STOP}}\n");
        watcher = new ContractsWatcher(vertx, file, new ProxyMetrics(registry), 20);
        assertThatThrownBy(() -> watcher.start().await(10, TimeUnit.SECONDS)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(file + ": rules[1].condition: ").hasMessageContaining("undeclared reference");
        assertThatThrownBy(watcher::get).as("nothing is decided without the rules").isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new ContractsWatcher(vertx, dir.resolve("missing.yaml"), new ProxyMetrics(registry), 20).start()
                .await(10, TimeUnit.SECONDS)).isInstanceOf(ConfigException.class).hasMessageContaining("missing.yaml: cannot read");
    }

    @Test
    void everyLoadedSetIsProvisionedBeforeItGoesIntoForce() throws Exception {
        Path file = Files.writeString(dir.resolve("contract.yaml"), "spec:\n  budgets: [{id: b1, limit_amount_atomic: \"5\", currency: USD}]\n");
        java.util.List<String> provisioned = new java.util.concurrent.CopyOnWriteArrayList<>();
        watcher = new ContractsWatcher(vertx, file, new ProxyMetrics(registry), 20);
        watcher.start(c -> {
            c.budgets().forEach(b -> provisioned.add(b.id()));
            return io.vertx.core.Future.succeededFuture();
        }).await(10, TimeUnit.SECONDS);
        assertThat(provisioned).containsExactly("b1");

        Files.writeString(file, "spec:\n  budgets: [{id: b2, limit_amount_atomic: \"5\", currency: USD}]\n" + STOP.replace("rules:", "  rules:")
                .replace("\n  - ", "\n    - "));
        await("the reload", () -> ids(watcher.get()).size() == 1);
        assertThat(provisioned).containsExactly("b1", "b2");
        assertThat(watcher.get().budgets()).extracting(Contracts.Budget::id).containsExactly("b2");
    }

    @Test
    void aReloadWhoseBudgetsCannotBeProvisionedKeepsTheOldRulesAndIsTriedAgain() throws Exception {
        Path file = Files.writeString(dir.resolve("contract.yaml"), STOP);
        java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger(2);
        watcher = new ContractsWatcher(vertx, file, new ProxyMetrics(registry), 20);
        watcher.start(c -> c.budgets().isEmpty() || failures.getAndDecrement() <= 0 ? io.vertx.core.Future.succeededFuture()
                : io.vertx.core.Future.failedFuture(new IllegalStateException("ledger down"))).await(10, TimeUnit.SECONDS);

        Files.writeString(file, "spec:\n  budgets: [{id: b1, limit_amount_atomic: \"5\", currency: USD}]\n  rules: []\n");

        await("the retried reload", () -> watcher.get().budgets().size() == 1);
        assertThat(failures.get()).as("tried until the ledger took it").isEqualTo(-1);
        assertThat(reloads("error")).as("the same failure counted once").isEqualTo(1);
        assertThat(reloads("ok")).isEqualTo(1);
    }

    @Test
    void startUpFailsWhenTheBudgetsCannotBeProvisioned() throws Exception {
        Path file = Files.writeString(dir.resolve("contract.yaml"), "spec:\n  budgets: [{id: b1, limit_amount_atomic: \"5\", currency: USD}]\n");
        watcher = new ContractsWatcher(vertx, file, new ProxyMetrics(registry), 20);
        assertThatThrownBy(() -> watcher.start(c -> io.vertx.core.Future.failedFuture(new IllegalStateException("ledger down")))
                .await(10, TimeUnit.SECONDS)).isInstanceOf(ConfigException.class)
                .hasMessage("contracts: " + file + ": cannot provision the budgets of spec.budgets (ledger down)");
        assertThatThrownBy(watcher::get).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void withoutAFileThereAreNoRules() throws Exception {
        assertThat(start(null).get()).isSameAs(Contracts.NONE);
    }
}
