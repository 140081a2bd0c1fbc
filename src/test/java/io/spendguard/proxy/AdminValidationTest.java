package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The admin API reads bodies exactly: an amount out of range, a fraction, an exponent, a negative
 * threshold, a ratio above 1, an id outside the grammar, a key given twice or an unknown field is a
 * 400 naming the field, and nothing is stored. Concurrent creations of one id: one 201, the rest 409,
 * one audit record. {@link AdminValidationSqliteTest} and {@link AdminValidationSidecarTest} run the
 * same on the SQLite ledger and on the sidecar's admin API.
 */
class AdminValidationTest extends HarnessTest {

    /** The proxy under test, from {@link ProxyHarness#config}'s YAML. */
    protected String config(String yaml) {
        return yaml;
    }

    private ProxyHarness startProxy() throws Exception {
        return start(config(ProxyHarness.config(1_000_000, "", "")));
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return h.http.send(HttpRequest.newBuilder(h.admin(path)).timeout(Duration.ofSeconds(20)).header("content-type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String message(HttpResponse<String> r) {
        return ProxyHarness.json(r).getJsonObject("error").getString("message");
    }

    /** The audit records of {@code budgetId} of type {@code type}, read from the admin API. */
    private long auditRecords(String budgetId, String type) throws Exception {
        JsonArray data = ProxyHarness.json(h.adminGet("/v1/audit?budget_id=" + budgetId + "&limit=1000")).getJsonArray("data");
        return data.stream().map(JsonObject.class::cast).filter(r -> type.equals(r.getString("type"))).count();
    }

    @Test
    void eachBadBudgetFieldIsRefusedWith400NamingItAndNothingIsStored() throws Exception {
        h = startProxy();
        String[][] cases = {
                {"{\"id\":\"wrap\",\"limit_usd_micros\":18446744073709551716}", "limit_usd_micros: 18446744073709551716 (expected: a whole number from 0 to 9223372036854775807)"},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":9223372036854775808}", "limit_usd_micros: 9223372036854775808 "},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":1e308}", "limit_usd_micros: 1E+308 (expected: a whole number"},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":1E2}", "limit_usd_micros: "},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":100.0}", "limit_usd_micros: 100.0 "},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":0.5}", "limit_usd_micros: 0.5 "},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":-1}", "limit_usd_micros: -1 (expected: a whole number from 0 to"},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":\"100\"}", "limit_usd_micros: \"100\" "},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":true}", "limit_usd_micros: true "},
                {"{\"id\":\"wrap\"}", "limit_usd_micros: missing"},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":5,\"approval_above_usd_micros\":-1}", "approval_above_usd_micros: -1 (expected: a whole number from 0"},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":5,\"approval_above_usd_micros\":18446744073709551716}", "approval_above_usd_micros: "},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":5,\"soft_limit_ratio\":5}", "soft_limit_ratio: 5 (expected: a number from 0 to 1)"},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":5,\"soft_limit_ratio\":-0.1}", "soft_limit_ratio: -0.1 "},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":5,\"soft_limit_ratio\":\"0.5\"}", "soft_limit_ratio: "},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":5,\"degrade_to\":{\"model\":\"gpt-test\",\"below_remaining_usd_micros\":1e3}}",
                        "degrade_to.below_remaining_usd_micros: 1E+3 "},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":5,\"degrade_to\":{\"model\":\"gpt-test\",\"below_remaining_usd_micros\":-1}}",
                        "degrade_to.below_remaining_usd_micros: -1 "},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":5,\"degrade_to\":{\"model\":\"gpt\\nx\",\"below_remaining_usd_micros\":1}}",
                        "degrade_to.model: \"gpt\\u000ax\" "},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":5,\"degrade_to\":{\"model\":\"m\",\"below_remaining_usd_micros\":1,\"x\":1}}",
                        "degrade_to.\"x\": unknown field"},
                {"{\"id\":\"..\",\"limit_usd_micros\":5}", "id: \"..\" (expected: 1 to 128 letters, digits"},
                {"{\"id\":\".\",\"limit_usd_micros\":5}", "id: \".\" "},
                {"{\"id\":\"a/b\",\"limit_usd_micros\":5}", "id: \"a/b\" "},
                {"{\"id\":\"a\\u0000b\",\"limit_usd_micros\":5}", "id: \"a\\u0000b\" "},
                {"{\"id\":\"a\\nb\",\"limit_usd_micros\":5}", "id: \"a\\u000ab\" "},
                {"{\"id\":\"a b\",\"limit_usd_micros\":5}", "id: \"a b\" "},
                {"{\"id\":\"\",\"limit_usd_micros\":5}", "id: \"\" "},
                {"{\"id\":\"" + "x".repeat(129) + "\",\"limit_usd_micros\":5}", "id: \"xxxx"},
                {"{\"id\":7,\"limit_usd_micros\":5}", "id: 7 "},
                {"{\"limit_usd_micros\":5}", "id: missing"},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":5,\"limit_usd_micros\":18446744073709551716}",
                        "limit_usd_micros: given twice (expected: each field once)"},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":5,\"parent_id\":\"default\"}", "\"parent_id\": unknown field (expected one of:"},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":5,\"parent\":\"a b\"}", "parent: \"a b\" "},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":5,\"parent\":\"wrap\"}", "parent: wrap is the budget itself"},
                {"{\"id\":\"wrap\",\"limit_usd_micros\":5} {}", "the body is not valid JSON"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = h.adminPost("/v1/budgets", c[0]);
            assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
            assertThat(message(r)).as(c[0]).startsWith(c[1]);
        }
        assertThat(ProxyHarness.json(h.adminGet("/v1/budgets")).getJsonArray("data")).as("nothing stored").hasSize(1);
        assertThat(ProxyHarness.json(h.adminGet("/v1/audit?limit=1000")).getJsonArray("data").stream().map(JsonObject.class::cast)
                .filter(a -> "budget.put".equals(a.getString("type"))).count()).as("only the configured budget's record").isEqualTo(1);
    }

    @Test
    void theEdgesOfEachRangeAreAccepted() throws Exception {
        h = startProxy();
        String id = "Team_a.b:c-1" + "z".repeat(116);
        HttpResponse<String> largest = h.adminPost("/v1/budgets", "{\"id\":\"" + id + "\",\"limit_usd_micros\":9223372036854775807,"
                + "\"approval_above_usd_micros\":0,\"soft_limit_ratio\":1,\"degrade_to\":{\"model\":\"gpt-test\",\"below_remaining_usd_micros\":0}}");
        assertThat(largest.statusCode()).as(largest.body()).isEqualTo(201);
        assertThat(ProxyHarness.json(largest).getLong("limit_usd_micros")).isEqualTo(Long.MAX_VALUE);
        assertThat(ProxyHarness.json(largest).getLong("approval_above_usd_micros")).isZero();
        assertThat(ProxyHarness.json(largest).getLong("remaining_usd_micros")).isEqualTo(Long.MAX_VALUE);

        HttpResponse<String> empty = h.adminPost("/v1/budgets", "{\"id\":\"...\",\"limit_usd_micros\":0,\"soft_limit_ratio\":0.25,"
                + "\"approval_above_usd_micros\":null}");
        assertThat(empty.statusCode()).as(empty.body()).isEqualTo(201);
        assertThat(ProxyHarness.json(empty).getLong("limit_usd_micros")).isZero();
        assertThat(ProxyHarness.json(empty).getValue("approval_above_usd_micros")).isNull();
        assertThat(h.adminGet("/v1/budgets/...").statusCode()).isEqualTo(200);
    }

    @Test
    void aPatchWithABadValueIsRefusedAndTheBudgetKeepsItsDefinition() throws Exception {
        h = startProxy();
        for (String[] c : new String[][] {
                {"{\"limit_usd_micros\":18446744073709551716}", "limit_usd_micros: "},
                {"{\"limit_usd_micros\":1e308}", "limit_usd_micros: "},
                {"{\"approval_above_usd_micros\":-1}", "approval_above_usd_micros: "},
                {"{\"soft_limit_ratio\":5}", "soft_limit_ratio: "},
                {"{\"id\":\"other\"}", "id: "},
                {"{\"limits_usd_micros\":5}", "\"limits_usd_micros\": unknown field"},
        }) {
            HttpResponse<String> r = send("PATCH", "/v1/budgets/default", c[0]);
            assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
            assertThat(message(r)).as(c[0]).startsWith(c[1]);
        }
        JsonObject kept = ProxyHarness.json(h.adminGet("/v1/budgets/default"));
        assertThat(kept.getLong("limit_usd_micros")).isEqualTo(1_000_000);
        assertThat(kept.getValue("approval_above_usd_micros")).isNull();
        assertThat(send("PATCH", "/v1/budgets/default", "{\"approval_above_usd_micros\":0,\"soft_limit_ratio\":0.5}").statusCode())
                .isEqualTo(200);
        assertThat(auditRecords("default", "budget.put")).as("the config's record and the one good patch").isEqualTo(2);
    }

    @Test
    void twentyConcurrentCreatesOfOneIdGiveOne201AndNineteen409sAndOneAuditRecord() throws Exception {
        h = startProxy();
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sent.add(h.http.sendAsync(HttpRequest.newBuilder(h.admin("/v1/budgets")).timeout(Duration.ofSeconds(20))
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"race\",\"limit_usd_micros\":" + (1000 + i) + "}")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        Map<Integer, Long> byStatus = new TreeMap<>();
        sent.forEach(f -> byStatus.merge(f.join().statusCode(), 1L, Long::sum));

        assertThat(byStatus).isEqualTo(Map.of(201, 1L, 409, 19L));
        long winner = sent.stream().map(CompletableFuture::join).filter(r -> r.statusCode() == 201)
                .mapToLong(r -> ProxyHarness.json(r).getLong("limit_usd_micros")).findFirst().orElseThrow();
        assertThat(ProxyHarness.json(h.adminGet("/v1/budgets/race")).getLong("limit_usd_micros")).as("the winner's definition").isEqualTo(winner);
        assertThat(auditRecords("race", "budget.put")).isEqualTo(1);
        HttpResponse<String> conflict = sent.stream().map(CompletableFuture::join).filter(r -> r.statusCode() == 409).findFirst().orElseThrow();
        assertThat(ProxyHarness.json(conflict).getJsonObject("error").getString("type")).isEqualTo("conflict_error");
    }

    @Test
    void anApprovalResolutionWithABadFieldIsRefusedBeforeTheApprovalIsLookedUp() throws Exception {
        h = startProxy();
        for (String[] c : new String[][] {
                {"{\"decision\":\"approve\",\"reason\":\"a\\u0000b\"}", "reason: "},
                {"{\"decision\":\"approve\",\"reason\":\"" + "r".repeat(1025) + "\"}", "reason: "},
                {"{\"decision\":\"approve\",\"by\":\"me\"}", "\"by\": unknown field"},
                {"{\"decision\":\"approve\",\"decision\":\"deny\"}", "decision: given twice"},
                {"{\"decision\":\"approve\\n\"}", "decision: \"approve\\u000a\""},
        }) {
            HttpResponse<String> r = h.adminPost("/v1/approvals/apr_nope/resolve", c[0]);
            assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
            assertThat(message(r)).as(c[0]).startsWith(c[1]);
        }
        assertThat(h.adminPost("/v1/approvals/apr_nope/resolve", "{\"decision\":\"approve\",\"reason\":\"ok\"}").statusCode()).isEqualTo(404);
    }
}
