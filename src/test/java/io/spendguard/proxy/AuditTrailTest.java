package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The audit trail of real calls through the proxy, read back through the admin API: each decision
 * (CONTINUE, REQUIRE_APPROVAL, STOP) and settlement, the approval's resolution and budget changes
 * are records, in order, naming ids and amounts but never a key or the prompt; the chain verifies;
 * pages follow {@code next_since}. {@link AuditTrailSidecarTest} runs the same with the budgets
 * behind the sidecar.
 */
class AuditTrailTest extends HarnessTest {
    private static final String SMALL = "{\"model\":\"gpt-test\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Say hi to the auditors\"}]}";
    private static final String BIG = "{\"model\":\"gpt-test\",\"max_tokens\":900,\"messages\":[{\"role\":\"user\",\"content\":\"Write the quarterly report\"}]}";
    private static final String PROVIDER_KEY = "sk-test-audit-3b1f9c0d7e";

    private JsonArray records(String query) throws Exception {
        HttpResponse<String> r = h.adminGet("/v1/audit" + query);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return ProxyHarness.json(r).getJsonArray("data");
    }

    private static List<String> kinds(JsonArray records) {
        return records.stream().map(o -> (JsonObject) o).map(r -> r.getString("type")
                + (r.getJsonObject("data").containsKey("outcome") ? ":" + r.getJsonObject("data").getString("outcome") : "")).toList();
    }

    @Test
    void everyDecisionSettlementAndApprovalIsARecordAndTheChainVerifies() throws Exception {
        h = start(ProxyHarness.config(2_000, "approval_above_usd: 0.001", ""));
        assertThat(h.chat(SMALL, "authorization", "Bearer " + PROVIDER_KEY).statusCode()).isEqualTo(200);
        HttpResponse<String> held = h.chat(BIG, "authorization", "Bearer " + PROVIDER_KEY);
        assertThat(held.statusCode()).isEqualTo(409);
        String approval = ProxyHarness.json(held).getJsonObject("error").getJsonObject("spendguard").getString("approval_id");
        assertThat(h.adminPost("/v1/approvals/" + approval + "/resolve", "{\"decision\":\"approve\",\"reason\":\"quarter end\"}")
                .statusCode()).isEqualTo(200);
        assertThat(h.chat(BIG, "authorization", "Bearer " + PROVIDER_KEY, "X-SpendGuard-Approval-Id", approval).statusCode()).isEqualTo(200);
        h.assertSettled(2, "default");
        assertThat(h.chat(BIG.replace("quarterly", "annual").replace("900", "1000"), "authorization", "Bearer " + PROVIDER_KEY)
                .statusCode()).as("the rest of the budget cannot cover it").isEqualTo(402);

        JsonArray all = records("?budget_id=default&limit=1000");
        assertThat(kinds(all)).containsSubsequence("budget.put", "decision:CONTINUE", "commit", "decision:REQUIRE_APPROVAL",
                "approval.resolved", "decision:CONTINUE", "commit", "decision:STOP");
        JsonObject requested = all.stream().map(o -> (JsonObject) o)
                .filter(r -> "REQUIRE_APPROVAL".equals(r.getJsonObject("data").getString("outcome"))).findFirst().orElseThrow();
        assertThat(requested.getJsonObject("data").getString("approval_id")).isEqualTo(approval);
        assertThat(requested.getJsonObject("data").getJsonArray("matched_rule_ids").getList()).contains("budget.approval_above");
        assertThat(requested.getJsonObject("data").getString("model")).isEqualTo("gpt-test");
        JsonObject stop = all.getJsonObject(all.size() - 1);
        assertThat(stop.getJsonObject("data").getJsonArray("reason_codes").getList()).contains("BUDGET_EXHAUSTED");
        for (Object o : all) {
            JsonObject r = (JsonObject) o;
            assertThat(r.getString("hash")).hasSize(64);
            assertThat(r.getString("signature")).isNotEmpty();
            assertThat(r.getString("key_id")).startsWith("ed25519:");
            assertThat(r.encode()).doesNotContain(PROVIDER_KEY).doesNotContain("quarterly report").doesNotContain("auditors");
        }

        HttpResponse<String> verified = h.adminGet("/v1/audit/verify");
        assertThat(verified.statusCode()).as(verified.body()).isEqualTo(200);
        assertThat(ProxyHarness.json(verified).getBoolean("ok")).isTrue();
        assertThat(ProxyHarness.json(verified).getLong("records")).isGreaterThanOrEqualTo(all.size());
    }

    @Test
    void recordsArePagedBySequenceNumberAndTime() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        for (int i = 0; i < 3; i++) {
            assertThat(h.chat(SMALL).statusCode()).isEqualTo(200);
        }
        h.assertSettled(3, "default");
        JsonObject first = ProxyHarness.json(h.adminGet("/v1/audit?limit=2"));
        assertThat(first.getJsonArray("data")).hasSize(2);
        long next = first.getLong("next_since");
        JsonArray rest = records("?since=" + next + "&limit=1000");
        assertThat(rest.getJsonObject(0).getLong("seq")).isEqualTo(next + 1);
        assertThat(ProxyHarness.json(h.adminGet("/v1/audit?since=" + next + "&limit=1000")).getValue("next_since")).isNull();
        assertThat(records("?since=2999-01-01T00:00:00Z")).isEmpty();
        assertThat(records("?since=2000-01-01T00:00:00Z&limit=1000")).hasSize(first.getJsonArray("data").size() + rest.size());
        for (String bad : new String[] {"?limit=0", "?limit=1001", "?limit=x", "?since=yesterday"}) {
            HttpResponse<String> r = h.adminGet("/v1/audit" + bad);
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
            assertThat(ProxyHarness.json(r).getJsonObject("error").getString("message")).isNotEmpty();
        }
    }
}
