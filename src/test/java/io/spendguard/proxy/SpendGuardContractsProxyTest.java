package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.engine.ContractBudgets;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A contract written for SpendGuard itself ({@code contracts/proxy-reference.yaml}: its documented
 * reference contract, amounts scaled to the test prices) loaded unchanged and enforced through a live
 * proxy: the budget of {@code spec.budgets} is created and reserved against, the hard cap is a 402,
 * the threshold a 409 for {@code tenant-admin}; a config budget of the same id wins; a reload creates
 * new budgets and leaves existing limits alone. {@link SpendGuardContractsProxySidecarTest} runs the
 * same with the contracts in our sidecar.
 */
class SpendGuardContractsProxyTest extends HarnessTest {
    static final String BUDGET = "0b6f2e94-13c7-4a5d-8e2f-6c9d1a7b3e55";
    /** About 110 µUSD: under the threshold. */
    static final String SMALL = ChatCompletionsTest.BODY;
    /** About 1 210 µUSD: at or above the 1 000 µUSD threshold, under the 1 500 µUSD hard cap. */
    static final String MID = SMALL.replace("\"max_tokens\":50", "\"max_tokens\":600");
    /** About 1 810 µUSD: above the hard cap. */
    static final String BIG = SMALL.replace("\"max_tokens\":50", "\"max_tokens\":900");
    /** Held strongly: java.util.logging keeps loggers weakly. */
    private static final Logger PROVISIONING = Logger.getLogger(ContractBudgets.class.getName());

    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            logged.add(r);
        }

        @Override
        public void flush() { }

        @Override
        public void close() { }
    };

    @TempDir
    Path dir;

    @BeforeEach
    void captureLogs() {
        PROVISIONING.addHandler(capture);
    }

    @AfterEach
    void releaseLogs() {
        PROVISIONING.removeHandler(capture);
    }

    private ProxyHarness startWith(String contract, String configBudgets) throws Exception {
        Path file = Files.writeString(dir.resolve("contract.yaml"), contract);
        String yaml = ProxyHarness.config(1_000_000, "", "contracts: \"" + file + "\"\napproval_ttl: 10m\n"
                + "auth: { trust_budget_header: true }");
        return start(yaml.replace("budgets:\n", "budgets:\n" + configBudgets));
    }

    private static String reference() {
        return ProxyHarness.resource("contracts/proxy-reference.yaml");
    }

    private HttpResponse<String> chat(String body, String budget, String... headers) throws Exception {
        String[] all = new String[headers.length + 2];
        all[0] = "X-SpendGuard-Budget-Id";
        all[1] = budget;
        System.arraycopy(headers, 0, all, 2, headers.length);
        return h.chat(body, all);
    }

    private static JsonObject error(HttpResponse<String> r) {
        return ProxyHarness.json(r).getJsonObject("error");
    }

    private List<String> warnings() {
        return logged.stream().filter(r -> r.getLevel() == Level.WARNING).map(LogRecord::getMessage).toList();
    }

    @Test
    void theContractsBudgetIsCreatedAndACallUnderTheThresholdIsReservedAgainstIt() throws Exception {
        h = startWith(reference(), "");

        assertThat(h.budget(BUDGET).spec().limitMicros()).isEqualTo(1_000_000);
        assertThat(h.budget(BUDGET).spec().window()).isEqualTo("none");
        HttpResponse<String> r = chat(SMALL, BUDGET);

        assertThat(r.statusCode()).isEqualTo(200);
        h.assertSettled(1, BUDGET);
        assertThat(h.budget(BUDGET).committedMicros()).isPositive();
        assertThat(h.budget(BUDGET).remainingMicros()).isEqualTo(1_000_000 - h.budget(BUDGET).committedMicros());
        assertThat(h.budget("default").committedMicros()).as("the default budget is not charged").isZero();
        assertThat(warnings()).isEmpty();
    }

    @Test
    void aCallAboveTheHardCapIsA402BudgetExhaustedAndNothingIsSentOrHeld() throws Exception {
        h = startWith(reference(), "");

        HttpResponse<String> r = chat(BIG, BUDGET);

        assertThat(r.statusCode()).isEqualTo(402);
        assertThat(error(r).getString("type")).isEqualTo("budget_exceeded");
        assertThat(error(r).getString("code")).isEqualTo("BUDGET_EXHAUSTED");
        JsonObject sg = error(r).getJsonObject("spendguard");
        assertThat(sg.getJsonArray("matched_rule_ids")).containsExactly("deny-over-cap", "approve-large-claims");
        assertThat(sg.getJsonArray("reason_codes")).containsExactly("BUDGET_EXHAUSTED", "AMOUNT_OVER_THRESHOLD");
        assertThat(h.mock.received()).isEmpty();
        assertThat(h.budget(BUDGET).reservedMicros()).isZero();
        assertThat(h.budget(BUDGET).committedMicros()).isZero();
    }

    @Test
    void aCallAboveTheThresholdIsA409ForTenantAdminAndResumesOnceApproved() throws Exception {
        h = startWith(reference(), "");

        HttpResponse<String> asked = chat(MID, BUDGET);

        assertThat(asked.statusCode()).isEqualTo(409);
        assertThat(error(asked).getString("code")).isEqualTo("APPROVAL_REQUIRED");
        JsonObject sg = error(asked).getJsonObject("spendguard");
        assertThat(sg.getString("approver_role")).isEqualTo("tenant-admin");
        assertThat(sg.getJsonArray("matched_rule_ids")).containsExactly("approve-large-claims");
        assertThat(sg.getJsonArray("reason_codes")).containsExactly("AMOUNT_OVER_THRESHOLD");
        String id = sg.getString("approval_id");
        assertThat(ProxyHarness.json(h.adminGet("/v1/approvals?state=pending&approver_role=tenant-admin")).getJsonArray("data"))
                .extracting(o -> ((JsonObject) o).getString("id")).containsExactly(id);
        assertThat(h.mock.received()).isEmpty();

        assertThat(h.adminPost("/v1/approvals/" + id + "/resolve", "{\"decision\":\"approve\",\"reason\":\"ok\"}").statusCode())
                .isEqualTo(200);
        assertThat(chat(MID, BUDGET, "X-SpendGuard-Approval-Id", id).statusCode()).isEqualTo(200);
        h.assertSettled(1, BUDGET);
        assertThat(h.budget(BUDGET).committedMicros()).isPositive();
    }

    @Test
    void aCelConditionWorksInTheSpecShape() throws Exception {
        h = startWith(reference().replace("  rules:\n", "  rules:\n"
                + "    - id: no-streaming\n"
                + "      when: { budget_id: " + BUDGET + " }\n"
                + "      condition: 'request.stream'\n"
                + "      then: { decision: STOP, reason_code: STREAMING_NOT_ALLOWED }\n"), "");

        HttpResponse<String> streamed = chat(SMALL.replace("{\"model\"", "{\"stream\":true,\"model\""), BUDGET);
        HttpResponse<String> plain = chat(SMALL, BUDGET);

        assertThat(streamed.statusCode()).isEqualTo(402);
        assertThat(error(streamed).getString("code")).isEqualTo("STREAMING_NOT_ALLOWED");
        assertThat(plain.statusCode()).isEqualTo(200);
        h.assertSettled(1, BUDGET);
    }

    @Test
    void aConfigBudgetWithTheSameIdWinsAndTheClashIsLogged() throws Exception {
        h = startWith(reference(), "  - { id: \"" + BUDGET + "\", limit_usd: 0.00005, window: none }\n");

        HttpResponse<String> r = chat(SMALL, BUDGET);

        assertThat(h.budget(BUDGET).spec().limitMicros()).as("the config's limit is in force").isEqualTo(50);
        assertThat(r.statusCode()).isEqualTo(402);
        assertThat(error(r).getString("code")).isEqualTo("BUDGET_EXHAUSTED");
        assertThat(error(r).getJsonObject("spendguard").getJsonArray("matched_rule_ids")).containsExactly("budget.exhausted");
        assertThat(warnings()).anySatisfy(w -> assertThat(w).contains("spec.budgets[0] (" + BUDGET + ")")
                .contains("a config budget has the same id and wins").contains("limit of 50 µUSD"));
    }

    @Test
    void aReloadCreatesNewBudgetsAndLeavesTheLimitsOfExistingOnesAlone() throws Exception {
        h = startWith(reference(), "");
        assertThat(chat(SMALL, BUDGET).statusCode()).isEqualTo(200);

        Files.writeString(dir.resolve("contract.yaml"), reference()
                .replace("limit_amount_atomic: \"1000000\"", "limit_amount_atomic: \"5000000\"")
                .replace("  rules:\n", "    - { id: team-b, limit_amount_atomic: \"2000000\", currency: USD }\n  rules:\n"));

        ProxyHarness.await("the new budget", () -> exists("team-b"));
        assertThat(h.budget("team-b").spec().limitMicros()).isEqualTo(2_000_000);
        assertThat(chat(SMALL, "team-b").statusCode()).isEqualTo(200);
        assertThat(h.budget(BUDGET).spec().limitMicros()).as("an existing budget keeps its limit").isEqualTo(1_000_000);
        ProxyHarness.await("the warning", () -> warnings().stream().anyMatch(w -> w.contains("limit_amount_atomic 5000000")));
        assertThat(warnings()).anySatisfy(w -> assertThat(w).contains("the budget exists with a limit of 1000000 µUSD, kept")
                .contains("PATCH /v1/budgets/" + BUDGET));
        assertThat(chat(BIG, BUDGET).statusCode()).as("the rules still apply").isEqualTo(402);
        h.assertSettled(2, "team-b");
    }

    private boolean exists(String budget) {
        try {
            return h.budgets().ledger().budgets().await(5, TimeUnit.SECONDS).stream().anyMatch(s -> s.spec().id().equals(budget));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
