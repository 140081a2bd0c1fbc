package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Contracts end to end: rules in a {@code contracts:} file turn real calls through the proxy into
 * 402, 409 (with the approver's role) and DEGRADE, and name the rules in the error body.
 * {@link ContractsProxySidecarTest} runs the same with the rules evaluated in our sidecar.
 */
class ContractsProxyTest extends HarnessTest {
    /** gpt-test: 1 µUSD per input token, 2 per output token; this call claims about 1 800 µUSD. */
    static final String BIG = "{\"model\":\"gpt-test\",\"max_tokens\":900,\"messages\":[{\"role\":\"user\",\"content\":\"Write a report\"}]}";
    static final String SMALL = ChatCompletionsTest.BODY;

    @TempDir
    Path dir;

    private ProxyHarness startWith(String rules) throws Exception {
        return startWith(1_000_000, rules);
    }

    private ProxyHarness startWith(long limitMicros, String rules) throws Exception {
        Path file = Files.writeString(dir.resolve("contract.yaml"), "apiVersion: spendguard.ai/v1alpha1\nkind: Contract\nrules:\n"
                + rules.indent(2));
        return start(ProxyHarness.config(limitMicros, "", "contracts: \"" + file + "\"\napproval_ttl: 10m"));
    }

    private static JsonObject spendguard(HttpResponse<String> r) {
        return ProxyHarness.json(r).getJsonObject("error").getJsonObject("spendguard");
    }

    @Test
    void aPerCallCapIsA402NamingTheRuleAndNothingIsSentOrHeld() throws Exception {
        h = startWith("- {id: per-call-cap, when: {claim_amount_atomic_gt: 1000}, then: {decision: STOP, reason_code: PER_CALL_CAP}}");

        HttpResponse<String> r = h.chat(BIG);

        assertThat(r.statusCode()).isEqualTo(402);
        JsonObject error = ProxyHarness.json(r).getJsonObject("error");
        assertThat(error.getString("type")).isEqualTo("budget_exceeded");
        assertThat(error.getString("code")).isEqualTo("PER_CALL_CAP");
        assertThat(error.getString("message")).contains("per-call-cap");
        assertThat(spendguard(r).getJsonArray("matched_rule_ids")).containsExactly("per-call-cap");
        assertThat(spendguard(r).getJsonArray("reason_codes")).containsExactly("PER_CALL_CAP");
        assertThat(r.headers().firstValue("Retry-After")).as("a cap does not lift at the window reset").isEmpty();
        assertThat(h.mock.received()).isEmpty();
        assertThat(h.budget("default").reservedMicros()).isZero();

        assertThat(h.chat(SMALL).statusCode()).as("a call under the cap goes through").isEqualTo(200);
        h.assertSettled(1, "default");
    }

    @Test
    void approvalAboveAnAmountIsA409ForTheRuleRoleAndResumesOnceApproved() throws Exception {
        h = startWith("- {id: big-spend, when: {claim_amount_atomic_gte: 1000}, "
                + "then: {decision: REQUIRE_APPROVAL, reason_code: BIG_SPEND, approver_role: finance}}");

        HttpResponse<String> asked = h.chat(BIG);

        assertThat(asked.statusCode()).isEqualTo(409);
        JsonObject sg = spendguard(asked);
        assertThat(sg.getString("approver_role")).isEqualTo("finance");
        assertThat(sg.getJsonArray("matched_rule_ids")).containsExactly("big-spend");
        assertThat(sg.getJsonArray("reason_codes")).containsExactly("BIG_SPEND");
        assertThat(java.time.Instant.parse(sg.getString("approval_expires_at")))
                .isBetween(java.time.Instant.now().plusSeconds(9 * 60), java.time.Instant.now().plusSeconds(10 * 60 + 5));
        String id = sg.getString("approval_id");
        assertThat(ProxyHarness.json(h.adminGet("/v1/approvals?state=pending&approver_role=finance")).getJsonArray("data"))
                .extracting(o -> ((JsonObject) o).getString("id")).containsExactly(id);
        assertThat(ProxyHarness.json(h.adminGet("/v1/approvals?approver_role=ops")).getJsonArray("data")).isEmpty();
        assertThat(ProxyHarness.json(h.adminGet("/v1/approvals/" + id)).getString("approver_role")).isEqualTo("finance");

        assertThat(h.adminPost("/v1/approvals/" + id + "/resolve", "{\"decision\":\"approve\",\"reason\":\"budgeted\"}").statusCode())
                .isEqualTo(200);
        assertThat(h.adminPost("/v1/approvals/" + id + "/resolve", "{\"decision\":\"deny\"}").statusCode())
                .as("an approval is resolved once").isEqualTo(409);
        HttpResponse<String> resumed = h.chat(BIG, "X-SpendGuard-Approval-Id", id);
        assertThat(resumed.statusCode()).isEqualTo(200);
        assertThat(h.mock.served()).isEqualTo(1);
        h.assertSettled(1, "default");
    }

    @Test
    void aDegradeRuleRewritesTheModelAndOutputLimitOfTheForwardedCall() throws Exception {
        h = startWith("- {id: mini-when-big, when: {claim_amount_atomic_gt: 1000}, then: {decision: DEGRADE, reason_code: TOO_BIG, "
                + "mutate: {model: gpt-4o-mini, max_output_tokens: 100}}}");

        HttpResponse<String> r = h.chat(BIG);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-SpendGuard-Degraded")).hasValue("model=gpt-4o-mini; max_output_tokens=100");
        JsonObject sent = new JsonObject(h.mock.received().get(0).body());
        assertThat(sent.getString("model")).isEqualTo("gpt-4o-mini");
        assertThat(sent.getInteger("max_tokens")).isEqualTo(100);
        h.assertSettled(1, "default");
        assertThat(h.counter("spendguard.decisions", "decision", "DEGRADE")).isEqualTo(1);
    }

    @Test
    void nonStreamingCallsWithoutAnOutputCapAreStopped() throws Exception {
        h = startWith("- {id: cap-required, condition: '!request.stream && request.max_output_tokens == 0', "
                + "then: {decision: STOP, reason_code: OUTPUT_CAP_REQUIRED}}");
        String uncapped = "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";

        HttpResponse<String> refused = h.chat(uncapped);
        HttpResponse<String> streamed = h.chat(uncapped.replace("{\"model\"", "{\"stream\":true,\"model\""));
        HttpResponse<String> capped = h.chat(SMALL);

        assertThat(refused.statusCode()).isEqualTo(402);
        assertThat(ProxyHarness.json(refused).getJsonObject("error").getString("code")).isEqualTo("OUTPUT_CAP_REQUIRED");
        assertThat(streamed.statusCode()).isEqualTo(200);
        assertThat(capped.statusCode()).isEqualTo(200);
        assertThat(h.mock.served()).isEqualTo(2);
        h.assertSettled(2, "default");
    }

    @Test
    void aChangedContractsFileAppliesWithoutARestartAndABrokenOneKeepsTheRules() throws Exception {
        h = startWith("- {id: block-o-family, condition: 'request.model.startsWith(\"gpt-4o\")', "
                + "then: {decision: STOP, reason_code: MODEL_BLOCKED}}");
        String mini = SMALL.replace("gpt-test", "gpt-4o-mini");
        assertThat(h.chat(mini).statusCode()).isEqualTo(402);
        assertThat(h.chat(SMALL).statusCode()).isEqualTo(200);

        Path file = dir.resolve("contract.yaml");
        Files.writeString(file, "rules:\n  - {id: block-test, condition: 'request.model == \"gpt-test\"', "
                + "then: {decision: STOP, reason_code: MODEL_BLOCKED}}\n");
        ProxyHarness.await("the new rules", () -> status(SMALL) == 402);
        assertThat(status(mini)).isEqualTo(200);

        Files.writeString(file, "rules:\n  - {id: broken, condition: 'request.model ==', then: {decision: STOP}}\n");
        ProxyHarness.await("the failed reload", () -> reloadErrors() == 1);
        assertThat(status(SMALL)).as("the previous rules stay in force").isEqualTo(402);
        assertThat(status(mini)).isEqualTo(200);
    }

    private int status(String body) {
        try {
            return h.chat(body).statusCode();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reload failures, counted by whoever evaluates the rules (the proxy, or in sidecar mode the sidecar's registry). */
    private double reloadErrors() {
        try {
            String metrics = h.adminGet("/metrics").body();
            return metrics.lines().filter(l -> l.startsWith("spendguard_contract_reloads_total{result=\"error\"}"))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aBudgetThatCannotCoverTheCallStopsWhateverTheRulesAllow() throws Exception {
        h = startWith(50, "- {id: allow, then: {decision: CONTINUE, reason_code: ALLOWED}}");

        HttpResponse<String> r = h.chat(SMALL);

        assertThat(r.statusCode()).isEqualTo(402);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("code")).isEqualTo("BUDGET_EXHAUSTED");
        assertThat(spendguard(r).getJsonArray("matched_rule_ids")).containsExactly("budget.exhausted", "allow");
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        assertThat(h.mock.received()).isEmpty();
    }
}
