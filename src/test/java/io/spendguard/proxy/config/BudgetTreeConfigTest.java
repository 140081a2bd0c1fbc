package io.spendguard.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spendguard.proxy.config.ProxyConfig.BudgetConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code budgets[].parent} in the config file: read into each budget, checked at start-up, written parents first. */
class BudgetTreeConfigTest {

    private static ProxyConfig parse(String budgets) {
        return ConfigLoader.parse("""
                providers:
                  openai: { base_url: "http://127.0.0.1:1", api_key: "" }
                budgets:
                %s
                """.formatted(budgets.indent(2).stripTrailing()), Map.<String, String>of()::get, "test");
    }

    @Test
    void aParentIsReadIntoTheBudgetAndItsSpec() {
        ProxyConfig c = parse("""
                - { id: key, parent: team, limit_usd: 1 }
                - { id: team, parent: org, limit_usd: 5 }
                - { id: org, limit_usd: 10, window: daily }
                """);

        assertThat(c.budgets()).extracting(BudgetConfig::parent).containsExactly("team", "org", null);
        assertThat(c.budgets().get(0).toSpec().parent()).isEqualTo("team");
        assertThat(ProxyConfig.parentsFirst(c.budgets())).extracting(BudgetConfig::id).containsExactly("org", "team", "key");
    }

    @Test
    void anUnknownParentIsRefusedNamingTheBudget() {
        assertThatThrownBy(() -> parse("""
                - { id: a, limit_usd: 1 }
                - { id: b, limit_usd: 1 }
                - { id: c, parent: nope, limit_usd: 1 }
                """)).isInstanceOf(ConfigException.class)
                .hasMessage("budgets[2].parent: nope (expected: the id of another budget in budgets)");
    }

    @Test
    void aBudgetThatIsItsOwnParentOrACycleIsRefused() {
        assertThatThrownBy(() -> parse("- { id: a, parent: a, limit_usd: 1 }"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("budgets[0].parent: a");
        assertThatThrownBy(() -> parse("""
                - { id: a, parent: c, limit_usd: 1 }
                - { id: b, parent: a, limit_usd: 1 }
                - { id: c, parent: b, limit_usd: 1 }
                """)).isInstanceOf(ConfigException.class).hasMessageStartingWith("budgets[0].parent: c").hasMessageContaining("cycle");
    }

    @Test
    void aTreeDeeperThanEightLevelsIsRefused() {
        StringBuilder eight = new StringBuilder("- { id: l1, limit_usd: 1 }\n");
        for (int level = 2; level <= 8; level++) {
            eight.append("- { id: l").append(level).append(", parent: l").append(level - 1).append(", limit_usd: 1 }\n");
        }
        assertThat(parse(eight.toString()).budgets()).hasSize(8);

        assertThatThrownBy(() -> parse(eight + "- { id: l9, parent: l8, limit_usd: 1 }\n"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("budgets[8].parent: l8").hasMessageContaining("8 levels");
    }

    @Test
    void aParentMustBeAnId() {
        assertThatThrownBy(() -> parse("- { id: a, parent: '', limit_usd: 1 }"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("budgets[0].parent");
    }
}
