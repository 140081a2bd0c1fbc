package io.spendguard.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spendguard.proxy.ProxyHarness;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.Contracts;
import io.spendguard.proxy.engine.Contracts.Verdict;
import io.spendguard.proxy.engine.Decision.Outcome;
import io.spendguard.proxy.engine.Rule;
import io.spendguard.proxy.engine.RuleFacts;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Contract files in both shapes — SpendGuard's own Contract ({@code spec: {budgets, rules}}) and the
 * flat form ({@code rules:} at the top) — compiled as at start-up and compared with golden JSON; then
 * every way a file can be wrong, each refused naming the key.
 */
class ContractsLoaderTest {
    private static final String REF_BUDGET = "0b6f2e94-13c7-4a5d-8e2f-6c9d1a7b3e55";

    private static Contracts fixture(String name) {
        return ContractsLoader.parse(ProxyHarness.resource("contracts/" + name), name, n -> null);
    }

    private static Contracts spec(String budgets, String rules) {
        return ContractsLoader.parse("apiVersion: contract.spendguard.io/v1alpha1\nkind: Contract\nmetadata: {id: c1, name: t}\nspec:\n"
                + "  budgets:\n" + budgets.indent(4) + "  rules:\n" + rules.indent(4), "t.yaml", n -> null);
    }

    private static final String BUDGET = "- {id: b1, limit_amount_atomic: \"1000\", currency: USD}";

    /** The loaded form of a file, as the golden fixtures hold it. */
    private static JsonObject render(Contracts c) {
        JsonArray budgets = new JsonArray();
        for (Contracts.Budget b : c.budgets()) {
            BudgetSpec s = b.toSpec();
            budgets.add(new JsonObject().put("id", b.id()).put("path", b.path()).put("limit_usd_micros", s.limitMicros())
                    .put("window", s.window()).put("default", s.isDefault()).put("reservation_ttl_seconds", b.reservationTtlSeconds())
                    .put("require_hard_cap", b.requireHardCap()));
        }
        return new JsonObject().put("budgets", budgets).put("rules", rules(c));
    }

    private static JsonArray rules(Contracts c) {
        JsonArray rules = new JsonArray();
        for (Rule r : c.rules()) {
            rules.add(new JsonObject().put("id", r.id()).put("budget_id", r.budgetId()).put("claim_gt", r.claimGt())
                    .put("claim_gte", r.claimGte()).put("condition", r.condition() == null ? null : r.condition().expression())
                    .put("decision", r.outcome().name()).put("reason_code", r.reasonCode()).put("approver_role", r.approverRole()));
        }
        return rules;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"spendguard-reference", "spendguard-examples"})
    void spendGuardsOwnContractFilesLoadUnchanged(String name) {
        assertThat(render(fixture(name + ".yaml"))).isEqualTo(new JsonObject(ProxyHarness.resource("contracts/" + name + ".golden.json")));
    }

    @Test
    void theFlatFormCompilesToTheSameRulesWithoutBudgets() {
        Contracts flat = fixture("flat-examples.yaml");
        assertThat(flat.budgets()).isEmpty();
        assertThat(rules(flat)).isEqualTo(rules(fixture("spendguard-examples.yaml")));
    }

    @ParameterizedTest(name = "claim {0} µUSD → {1}")
    @CsvSource({
            "99999999,   CONTINUE,         ''",
            "100000000,  REQUIRE_APPROVAL, AMOUNT_OVER_THRESHOLD",
            "1000000000, REQUIRE_APPROVAL, AMOUNT_OVER_THRESHOLD",
            "1000000001, STOP,             BUDGET_EXHAUSTED",
    })
    void theReferenceContractStopsAboveItsHardCapAndAsksTenantAdminAboveItsThreshold(long claim, Outcome outcome, String reason) {
        RuleFacts facts = new RuleFacts(REF_BUDGET, claim, 1_000_000_000, 0, "gpt-4o", 0, false, "acme");
        Verdict v = Contracts.evaluate(fixture("spendguard-reference.yaml").rules(), facts, false);
        assertThat(v.outcome()).isEqualTo(outcome);
        assertThat(v.reasonCodes()).isEqualTo(reason.isEmpty() ? java.util.List.of() : java.util.List.of(reason,
                outcome == Outcome.STOP ? "AMOUNT_OVER_THRESHOLD" : reason).stream().distinct().toList());
        assertThat(v.approverRole()).isEqualTo(outcome == Outcome.REQUIRE_APPROVAL ? "tenant-admin" : null);
        RuleFacts other = new RuleFacts("another-budget", claim, 1_000_000_000, 0, "gpt-4o", 0, false, "acme");
        assertThat(Contracts.evaluate(fixture("spendguard-reference.yaml").rules(), other, false).outcome())
                .as("its rules name their budget").isEqualTo(Outcome.CONTINUE);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "flat | rules:\\n  - {id: c, condition: 'request.stream', then: {decision: STOP, reason_code: CEL}}\\n",
            "spec | spec:\\n  rules:\\n    - {id: c, condition: 'request.stream', then: {decision: STOP, reason_code: CEL}}\\n",
    })
    void aCelConditionWorksInBothShapes(String shape, String body) {
        Contracts c = ContractsLoader.parse("apiVersion: spendguard.ai/v1alpha1\nkind: Contract\n" + body.replace("\\n", "\n"),
                shape + ".yaml", n -> null);
        RuleFacts streaming = new RuleFacts("b", 10, 100, 0, "m", 0, true, "t");
        RuleFacts plain = new RuleFacts("b", 10, 100, 0, "m", 0, false, "t");
        assertThat(Contracts.evaluate(c.rules(), streaming, false).outcome()).isEqualTo(Outcome.STOP);
        assertThat(Contracts.evaluate(c.rules(), plain, false).outcome()).isEqualTo(Outcome.CONTINUE);
    }

    @Test
    void aBadConditionInTheSpecShapeIsNamedByItsPath() {
        assertThatThrownBy(() -> spec(BUDGET, "- {id: ok, then: {decision: CONTINUE}}\n- {id: bad, condition: 'request.modle == \"x\"', "
                + "then: {decision: STOP}}")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("t.yaml: spec.rules[1].condition: ").hasMessageContaining("undeclared reference");
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
            "- {id: r, bogus: 1, then: {decision: STOP}}                  | t.yaml: spec.rules[0].bogus: unknown key (expected one of: condition, description, id, then, when)",
            "- {id: r, when: {amount_gt: 1}, then: {decision: STOP}}      | t.yaml: spec.rules[0].when.amount_gt: unknown key",
            "- {id: r, then: {decision: STOP, reason_codes: [A]}}         | t.yaml: spec.rules[0].then.reason_codes: unknown key",
            "- {id: r, then: {decision: STOP}, run_projection_action: X}  | t.yaml: spec.rules[0].run_projection_action: unknown key",
    })
    void anUnknownKeyInARuleIsRefusedNamingItsPath(String rules, String message) {
        assertThatThrownBy(() -> spec(BUDGET, rules)).isInstanceOf(ConfigException.class).hasMessageStartingWith(message);
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
            "- {id: b1, limit_amount_atomic: \"1\", currency: USD, window: daily}      | t.yaml: spec.budgets[0].window: unknown key (expected one of: currency, id, limit_amount_atomic, parent, require_hard_cap, reservation_ttl_seconds)",
            "- {id: b1, currency: USD}                                                 | t.yaml: spec.budgets[0].limit_amount_atomic: missing (expected: the limit in µUSD",
            "- {id: b1, limit_amount_atomic: \"1.5\", currency: USD}                   | t.yaml: spec.budgets[0].limit_amount_atomic: 1.5 (expected: a whole number)",
            "- {id: b1, limit_amount_atomic: \"-1\", currency: USD}                    | t.yaml: spec.budgets[0].limit_amount_atomic: -1 (expected: >= 0)",
            "- {id: b1, limit_amount_atomic: ten, currency: USD}                       | t.yaml: spec.budgets[0].limit_amount_atomic: ten (expected: a number)",
            "- {id: b1, limit_amount_atomic: \"1\", currency: EUR}                     | t.yaml: spec.budgets[0].currency: EUR (expected: USD)",
            "- {id: b1, limit_amount_atomic: \"1\"}                                    | t.yaml: spec.budgets[0].currency: missing",
            "- {id: b1, limit_amount_atomic: \"1\", currency: USD, reservation_ttl_seconds: 0} | t.yaml: spec.budgets[0].reservation_ttl_seconds: 0 (expected: >= 1)",
            "- {id: b1, limit_amount_atomic: \"1\", currency: USD, require_hard_cap: yes-please} | t.yaml: spec.budgets[0].require_hard_cap: yes-please (expected: true or false)",
            "- {limit_amount_atomic: \"1\", currency: USD}                             | t.yaml: spec.budgets[0].id: missing",
            "- {id: 'a b', limit_amount_atomic: \"1\", currency: USD}                  | t.yaml: spec.budgets[0].id: a b (expected: letters, digits",
            "- {id: b1, limit_amount_atomic: \"1\", currency: USD, parent: 'a b'}      | t.yaml: spec.budgets[0].parent: a b (expected: a budget id",
            "- {id: b1, limit_amount_atomic: \"1\", currency: USD, parent: b1}         | t.yaml: spec.budgets[0].parent: b1 is the budget itself (expected: another budget)",
    })
    void aBadBudgetIsRefusedNamingItsKey(String budgets, String message) {
        assertThatThrownBy(() -> spec(budgets, "[]")).isInstanceOf(ConfigException.class).hasMessageStartingWith(message);
    }

    @Test
    void aBudgetNamesItsParentAndTheSpecItCreatesCarriesIt() {
        Contracts c = spec("- {id: team, limit_amount_atomic: \"5\", currency: USD, parent: org}\n" + BUDGET, "[]");

        assertThat(c.budgets().get(0).parent()).isEqualTo("org");
        assertThat(c.budgets().get(0).toSpec().parent()).isEqualTo("org");
        assertThat(c.budgets().get(1).toSpec().parent()).as("no parent: a root").isNull();
    }

    @Test
    void budgetsOfTheFileThatAreEachOthersParentsAreACycleNamingTheBudget() {
        String cycle = "- {id: a, limit_amount_atomic: \"1\", currency: USD, parent: c}\n"
                + "- {id: b, limit_amount_atomic: \"1\", currency: USD, parent: a}\n"
                + "- {id: c, limit_amount_atomic: \"1\", currency: USD, parent: b}";
        assertThatThrownBy(() -> spec(cycle, "[]")).isInstanceOf(ConfigException.class)
                .hasMessage("t.yaml: spec.budgets[0].parent: c (a cycle: a -> c -> b -> a; expected: parents that end at a root)");
    }

    @Test
    void budgetIdsAreUnique() {
        assertThatThrownBy(() -> spec(BUDGET + "\n" + BUDGET, "[]")).hasMessage("t.yaml: spec.budgets[1].id: b1 (duplicate; expected: unique budget ids)");
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
            "kind: Contract\\nspec: {rules: [], bogus: 1}                        | x.yaml: spec.bogus: unknown key (expected one of: budgets, rules)",
            "kind: Contract\\nspec: {rules: [], prediction_policy: STRICT_CEILING} | x.yaml: spec.prediction_policy: unknown key",
            "kind: Contract\\nstatus: {}\\nrules: []                              | x.yaml: status: unknown key (expected one of: apiVersion, kind, metadata, rules, spec)",
            "kind: Contract\\nmetadata: {name: x, owner: y}\\nrules: []            | x.yaml: metadata.owner: unknown key (expected one of: description, id, name)",
            "kind: Contract\\nmetadata: {name: [x]}\\nrules: []                   | x.yaml: metadata.name: expected a string",
            "kind: ContractBundle\\nrules: []                                    | x.yaml: kind: ContractBundle (expected one of: Contract)",
            "kind: Contract\\nspec: {rules: []}\\nrules: []                       | x.yaml: rules: set next to spec (expected: spec.rules, or the flat form without spec)",
            "kind: Contract\\nspec: {budgets: {id: b1}}                          | x.yaml: spec.budgets: expected a list",
            "kind: Contract\\nspec: [rules]                                      | x.yaml: spec: expected a mapping",
    })
    void aBadEnvelopeIsRefusedNamingItsKey(String yaml, String message) {
        assertThatThrownBy(() -> ContractsLoader.parse("apiVersion: spendguard.ai/v1alpha1\n" + yaml.replace("\\n", "\n"), "x.yaml", n -> null))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith(message);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "spendguard.ai/v1alpha1, true", "contract.spendguard.io/v1alpha1, true",
            "spendguard.ai/v1alpha2, false", "spendguard.dev/v1alpha1, false",
    })
    void bothPublishedApiVersionsLoad(String version, boolean loads) {
        String yaml = "apiVersion: " + version + "\nkind: Contract\nspec: {rules: []}\n";
        if (loads) {
            assertThat(ContractsLoader.parse(yaml, "v.yaml", n -> null).rules()).isEmpty();
        } else {
            assertThatThrownBy(() -> ContractsLoader.parse(yaml, "v.yaml", n -> null)).hasMessage("v.yaml: apiVersion: " + version
                    + " (expected one of: spendguard.ai/v1alpha1, contract.spendguard.io/v1alpha1)");
        }
    }
}
