package io.spendguard.proxy.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spendguard.proxy.config.ConfigException;
import io.spendguard.proxy.config.ContractsLoader;
import io.spendguard.proxy.engine.Contracts.Verdict;
import io.spendguard.proxy.engine.Decision.Outcome;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Contract rules, compiled from YAML as at start-up, evaluated over plain facts: every test, the merge order, the CEL variables. */
class ContractsTest {
    /** A $1 call to gpt-4o on budget team (limit $10, $4 spent), non-streaming, output limit 500, tenant acme. */
    private static final RuleFacts CALL = new RuleFacts("team", 1_000_000, 6_000_000, 0.4, "gpt-4o", 500, false, "acme");

    private static Contracts load(String rules) {
        return ContractsLoader.parse("apiVersion: spendguard.ai/v1alpha1\nkind: Contract\nrules:\n" + rules.indent(2), "test.yaml",
                name -> null);
    }

    private static Verdict eval(String rules, RuleFacts facts) {
        return Contracts.evaluate(load(rules).rules(), facts, false);
    }

    private static String rule(String id, String when, String condition, String then) {
        return "- id: " + id + "\n" + (when.isEmpty() ? "" : "  when: {" + when + "}\n")
                + (condition.isEmpty() ? "" : "  condition: '" + condition + "'\n") + "  then: {" + then + "}\n";
    }

    @Test
    void withoutRulesEveryCallContinues() {
        Verdict v = Contracts.evaluate(Contracts.NONE.rules(), CALL, false);
        assertThat(v.outcome()).isEqualTo(Outcome.CONTINUE);
        assertThat(v.matchedRuleIds()).isEmpty();
    }

    @ParameterizedTest(name = "{0}: {1} → {2}")
    @CsvSource(delimiter = '|', value = {
            "budget_id: team                  | 1000000 | STOP",
            "budget_id: other                 | 1000000 | CONTINUE",
            "claim_amount_atomic_gt: 999999   | 1000000 | STOP",
            "claim_amount_atomic_gt: 1000000  | 1000000 | CONTINUE",
            "claim_amount_atomic_gte: 1000000 | 1000000 | STOP",
            "claim_amount_atomic_gte: 1000001 | 1000000 | CONTINUE",
            "claim_amount_atomic_gt: \"500\"  | 501     | STOP",
            "budget_id: team, claim_amount_atomic_gt: 5 | 6 | STOP",
            "budget_id: other, claim_amount_atomic_gt: 5 | 6 | CONTINUE",
    })
    void whenTestsAllMustHold(String when, long claim, Outcome expected) {
        RuleFacts facts = new RuleFacts("team", claim, 6_000_000, 0.4, "gpt-4o", 0, false, "acme");
        assertThat(eval(rule("r", when, "", "decision: STOP, reason_code: CAP"), facts).outcome()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} + {1} → {2}")
    @CsvSource({
            "STOP, REQUIRE_APPROVAL, STOP", "REQUIRE_APPROVAL, STOP, STOP", "STOP, DEGRADE, STOP", "SKIP, STOP, STOP",
            "CONTINUE, STOP, STOP", "REQUIRE_APPROVAL, DEGRADE, REQUIRE_APPROVAL", "SKIP, REQUIRE_APPROVAL, REQUIRE_APPROVAL",
            "CONTINUE, REQUIRE_APPROVAL, REQUIRE_APPROVAL", "DEGRADE, SKIP, DEGRADE", "CONTINUE, DEGRADE, DEGRADE",
            "SKIP, CONTINUE, SKIP", "CONTINUE, CONTINUE, CONTINUE",
    })
    void theMostRestrictiveMatchWins(Outcome a, Outcome b, Outcome winner) {
        Verdict v = eval(decisionRule("a", a) + decisionRule("b", b), CALL);
        assertThat(v.outcome()).isEqualTo(winner);
        assertThat(v.matchedRuleIds()).containsExactlyInAnyOrder("a", "b");
        assertThat(v.matchedRuleIds().get(0)).as("the winner is named first").isEqualTo(a == winner ? "a" : "b");
        assertThat(v.reasonCodes().get(0)).isEqualTo((a == winner ? "a" : "b").toUpperCase() + "_" + winner);
    }

    private static String decisionRule(String id, Outcome o) {
        String extra = switch (o) {
            case DEGRADE -> ", mutate: {model: gpt-4o-mini}";
            case REQUIRE_APPROVAL -> ", approver_role: finance";
            default -> "";
        };
        return rule(id, "", "", "decision: " + o + ", reason_code: " + id.toUpperCase() + "_" + o + extra);
    }

    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource(delimiter = '|', value = {
            "claim.usd_micros > 999999                              | true",
            "claim.usd_micros > 1000000                             | false",
            "budget.remaining_usd_micros < 6000001                  | true",
            "budget.remaining_usd_micros < 6000000                  | false",
            "budget.spent_ratio >= 0.4                              | true",
            "budget.spent_ratio > 0.8                               | false",
            "budget.id == \"team\"                                  | true",
            "request.model.startsWith(\"gpt-4\")                    | true",
            "request.model in [\"claude-3\", \"o1\"]                | false",
            "request.max_output_tokens == 500                       | true",
            "request.max_output_tokens == 0                         | false",
            "!request.stream                                        | true",
            "request.stream                                         | false",
            "tenant == \"acme\"                                     | true",
            "tenant == \"acme\" && request.model.matches(\"^o[0-9]\") | false",
            "claim.usd_micros * 2 > budget.remaining_usd_micros / 4 | true",
    })
    void conditionsSeeEveryVariable(String condition, boolean matches) {
        Verdict v = eval(rule("cel", "", condition, "decision: STOP, reason_code: CEL"), CALL);
        assertThat(v.outcome()).isEqualTo(matches ? Outcome.STOP : Outcome.CONTINUE);
    }

    @Test
    void whenAndConditionMustBothHold() {
        String r = rule("both", "claim_amount_atomic_gt: 10", "request.model == \"gpt-4o\"", "decision: STOP, reason_code: X");
        assertThat(eval(r, CALL).outcome()).isEqualTo(Outcome.STOP);
        assertThat(eval(r, new RuleFacts("team", 5, 100, 0, "gpt-4o", 0, false, "acme")).outcome()).isEqualTo(Outcome.CONTINUE);
        assertThat(eval(r, new RuleFacts("team", 50, 100, 0, "o1", 0, false, "acme")).outcome()).isEqualTo(Outcome.CONTINUE);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "claim.usd_micros >                | rules[1].condition: ",
            "claim.usd_micro > 5               | undeclared reference to 'claim'",
            "request.model                     | rules[1].condition: ",
            "request.stream == \"yes\"         | rules[1].condition: ",
            "budget.spent_ratio > 1            | rules[1].condition: ",
    })
    void aBadExpressionFailsAtLoadNamingTheRule(String condition, String message) {
        String rules = rule("fine", "", "true", "decision: CONTINUE") + rule("bad", "", condition, "decision: STOP");
        assertThatThrownBy(() -> load(rules)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("test.yaml: rules[1].condition: ").hasMessageContaining(message);
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
            "decision: DEGRADE                                          | rules[0].then.mutate: missing",
            "decision: STOP, mutate: {model: m}                          | rules[0].then.mutate: only allowed with decision DEGRADE",
            "decision: STOP, approver_role: finance                      | rules[0].then.approver_role: only allowed with decision REQUIRE_APPROVAL",
            "decision: HALT                                              | rules[0].then.decision: HALT (expected one of",
            "decision: DEGRADE, mutate: {max_output_tokens: 0}           | rules[0].then.mutate.max_output_tokens: 0 (expected: >= 1)",
            "decision: STOP, colour: red                                 | rules[0].then.colour: unknown key",
    })
    void aBadRuleFailsAtLoadNamingTheKey(String then, String message) {
        assertThatThrownBy(() -> load(rule("r", "", "", then))).isInstanceOf(ConfigException.class).hasMessageContaining(message);
    }

    @Test
    void ruleIdsAreRequiredAndUnique() {
        assertThatThrownBy(() -> load(rule("same", "", "", "decision: STOP") + rule("same", "", "", "decision: SKIP")))
                .hasMessageContaining("rules[1].id: same (duplicate");
        assertThatThrownBy(() -> load("- then: {decision: STOP}\n")).hasMessageContaining("rules[0].id: missing");
        assertThatThrownBy(() -> load(rule("r", "claim_amount_atomic_gt: -1", "", "decision: STOP")))
                .hasMessageContaining("rules[0].when.claim_amount_atomic_gt: -1 (expected: >= 0)");
        assertThatThrownBy(() -> ContractsLoader.parse("apiVersion: v2\nrules: []\n", "x.yaml", n -> null))
                .hasMessageContaining("x.yaml: apiVersion: v2");
    }

    @Test
    void reasonCodeDefaultsToTheRuleIdAndApprovalNamesTheRole() {
        Verdict v = eval(rule("big-call", "claim_amount_atomic_gt: 10", "", "decision: REQUIRE_APPROVAL, approver_role: finance"), CALL);
        assertThat(v.outcome()).isEqualTo(Outcome.REQUIRE_APPROVAL);
        assertThat(v.reasonCodes()).containsExactly("BIG_CALL");
        assertThat(v.approverRole()).isEqualTo("finance");
    }

    @Test
    void degradeMutationsMergeAndANoOpDegradeDoesNotMatch() {
        String rules = rule("mini", "", "", "decision: DEGRADE, reason_code: MINI, mutate: {model: gpt-4o-mini, max_output_tokens: 400}")
                + rule("short", "", "", "decision: DEGRADE, reason_code: SHORT, mutate: {max_output_tokens: 200}")
                + rule("long", "", "", "decision: DEGRADE, reason_code: LONG, mutate: {max_output_tokens: 800}");
        Verdict v = eval(rules, CALL);
        assertThat(v.outcome()).isEqualTo(Outcome.DEGRADE);
        assertThat(v.mutation()).isEqualTo(new Mutation("gpt-4o-mini", 200, null));
        assertThat(v.matchedRuleIds()).as("raising the limit from 500 to 800 changes nothing").containsExactly("mini", "short");

        RuleFacts already = new RuleFacts("team", 1, 10, 0, "gpt-4o-mini", 100, false, "acme");
        assertThat(eval(rules, already).outcome()).isEqualTo(Outcome.CONTINUE);
        RuleFacts noLimit = new RuleFacts("team", 1, 10, 0, "gpt-4o-mini", 0, false, "acme");
        assertThat(eval(rules, noLimit).mutation()).as("a request without a limit gets one").isEqualTo(new Mutation(null, 200, null));
        assertThat(Contracts.evaluate(load(rules).rules(), CALL, true).outcome()).as("never degraded twice").isEqualTo(Outcome.CONTINUE);
    }

    @Test
    void aConditionThatFailsToEvaluateCountsAsMatching() {
        Verdict v = eval(rule("div", "", "budget.remaining_usd_micros / (claim.usd_micros - 1000000) > 1", "decision: STOP, reason_code: DIV"),
                CALL);
        assertThat(v.outcome()).isEqualTo(Outcome.STOP);
        assertThat(v.reasonCodes()).containsExactly("DIV", Contracts.RULE_EVALUATION_ERROR);
    }

    @Test
    void reasonsReadMostRestrictiveFirstWithoutRepeats() {
        String rules = rule("warn", "", "", "decision: CONTINUE, reason_code: BIG")
                + rule("cap", "", "", "decision: STOP, reason_code: CAP")
                + rule("cap2", "", "", "decision: STOP, reason_code: CAP")
                + rule("ask", "", "", "decision: REQUIRE_APPROVAL, reason_code: ASK");
        Verdict v = eval(rules, CALL);
        assertThat(v.matchedRuleIds()).containsExactly("cap", "cap2", "ask", "warn");
        assertThat(v.reasonCodes()).containsExactly("CAP", "ASK", "BIG");
        assertThat(v.approverRole()).isNull();
    }

    @Test
    void aRuleWithoutTestsMatchesEveryCall() {
        assertThat(eval(rule("kill-switch", "", "", "decision: STOP, reason_code: FROZEN"), CALL).reasonCodes()).containsExactly("FROZEN");
        assertThat(List.of(load("").rules(), load(rule("r", "", "", "decision: CONTINUE")).rules())).extracting(List::size)
                .containsExactly(0, 1);
    }
}
