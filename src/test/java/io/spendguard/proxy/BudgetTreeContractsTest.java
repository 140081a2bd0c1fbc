package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Budgets a contracts file declares ({@code spec.budgets}) may name a {@code parent} (SPEC §11): one of
 * the file (created first, wherever it is written), of the config, or one the ledger holds. A parent
 * that is nowhere fails the load naming the budget: start-up fails; a reload keeps the previous rules,
 * creates nothing and counts as failed, and goes through once the file is fixed.
 */
class BudgetTreeContractsTest extends HarnessTest {
    @TempDir
    Path dir;

    private static String contract(String budgets) {
        return "apiVersion: spendguard.ai/v1alpha1\nkind: Contract\nspec:\n  budgets:\n" + budgets.indent(4) + "  rules: []\n";
    }

    private ProxyHarness startWith(String budgets) throws Exception {
        Path file = Files.writeString(dir.resolve("contract.yaml"), contract(budgets));
        return start(ProxyHarness.config(1_000_000, "", "contracts: \"" + file + "\"\nauth: { trust_budget_header: true }"));
    }

    private boolean exists(String budget) {
        try {
            return h.budgets().ledger().budgets().await(5, TimeUnit.SECONDS).stream().anyMatch(s -> s.spec().id().equals(budget));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aFileBudgetGoesUnderItsParentWrittenAfterItOrInTheConfig() throws Exception {
        h = startWith("""
                - { id: agent, limit_amount_atomic: "100000", currency: USD, parent: team }
                - { id: team, limit_amount_atomic: "500000", currency: USD, parent: default }
                """);

        assertThat(h.budget("agent").spec().parent()).isEqualTo("team");
        assertThat(h.budget("team").spec().parent()).isEqualTo("default");
        assertThat(ProxyHarness.json(h.adminGet("/v1/budgets/default")).getJsonArray("children")).containsExactly("team");
        assertThat(h.adminGet("/metrics").body()).contains("spendguard_budget_info{budget_id=\"agent\",parent=\"team\"} 1")
                .contains("spendguard_budget_info{budget_id=\"team\",parent=\"default\"} 1");
        assertThat(h.chat(ChatCompletionsTest.BODY, "X-SpendGuard-Budget-Id", "agent").statusCode()).isEqualTo(200);
        h.assertSettled(1, "agent");
    }

    @Test
    void anUnknownParentFailsStartUpNamingTheBudget() {
        assertThatThrownBy(() -> startWith("""
                - { id: team, limit_amount_atomic: "500000", currency: USD }
                - { id: agent, limit_amount_atomic: "100000", currency: USD, parent: nowhere }
                """)).hasStackTraceContaining("spec.budgets[1] (agent): parent nowhere does not exist");
    }

    @Test
    void aReloadNamingAnUnknownParentKeepsTheRulesCreatesNothingAndIsCounted() throws Exception {
        h = startWith("- { id: team, limit_amount_atomic: \"500000\", currency: USD }");
        Path file = dir.resolve("contract.yaml");

        Files.writeString(file, contract("""
                - { id: team, limit_amount_atomic: "500000", currency: USD }
                - { id: new-root, limit_amount_atomic: "500000", currency: USD }
                - { id: agent, limit_amount_atomic: "100000", currency: USD, parent: nowhere }
                """));
        ProxyHarness.await("the failed reload", () -> h.counter("spendguard.contract.reloads", "result", "error") == 1);
        assertThat(exists("agent")).isFalse();
        assertThat(exists("new-root")).as("a file with an unknown parent provisions nothing").isFalse();

        Files.writeString(file, contract("""
                - { id: team, limit_amount_atomic: "500000", currency: USD }
                - { id: agent, limit_amount_atomic: "100000", currency: USD, parent: team }
                """));
        ProxyHarness.await("the fixed reload", () -> exists("agent"));
        assertThat(h.budget("agent").spec().parent()).isEqualTo("team");
        assertThat(h.counter("spendguard.contract.reloads", "result", "error")).isEqualTo(1);
    }
}
