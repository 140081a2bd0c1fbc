package io.spendguard.proxy;

import static io.spendguard.proxy.VirtualKeyClient.KEY_A;
import static io.spendguard.proxy.VirtualKeyClient.KEY_B;
import static io.spendguard.proxy.VirtualKeyClient.KEY_CHOOSER;
import static io.spendguard.proxy.VirtualKeyClient.PROVIDER_KEY;
import static io.spendguard.proxy.VirtualKeyClient.admin;
import static io.spendguard.proxy.VirtualKeyClient.chat;
import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.config.ProxyConfig.KeyConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Virtual keys on the admin API: made and shown once, listed without secrets, revoked at once. */
class VirtualKeyAdminTest extends HarnessTest {
    private static final String BODY = ChatCompletionsTest.BODY;

    @Test
    void createUseListAndRevokeAKey() throws Exception {
        h = start(VirtualKeyClient.config(""));

        HttpResponse<String> created = admin(h, "POST", "/v1/keys", "{\"tenant\":\"gamma\",\"budget_id\":\"b\",\"name\":\"nightly\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        JsonObject made = ProxyHarness.json(created);
        String key = made.getString("key");
        String id = made.getString("id");
        assertThat(key).startsWith("sg-").hasSizeGreaterThanOrEqualTo(3 + 43);
        assertThat(id).startsWith("key-");
        assertThat(made.getString("prefix")).isEqualTo(key.substring(0, 7) + "…");

        assertThat(chat(h, key, BODY).statusCode()).isEqualTo(200);
        h.assertSettled(1, "b");
        assertThat(h.budget("b").committedMicros()).isPositive();
        assertThat(h.mock.received().get(0).headers().get("authorization")).isEqualTo("Bearer " + PROVIDER_KEY);

        HttpResponse<String> listed = admin(h, "GET", "/v1/keys", null);
        assertThat(listed.statusCode()).isEqualTo(200);
        JsonArray data = ProxyHarness.json(listed).getJsonArray("data");
        assertThat(data).hasSize(4);
        for (String secret : new String[] {key, KEY_A, KEY_B, KEY_CHOOSER}) {
            assertThat(listed.body()).doesNotContain(secret).doesNotContain(KeyConfig.sha256(secret));
        }
        JsonObject entry = ProxyHarness.json(admin(h, "GET", "/v1/keys/" + id, null));
        assertThat(entry.getString("tenant")).isEqualTo("gamma");
        assertThat(entry.getString("budget_id")).isEqualTo("b");
        assertThat(entry.getString("name")).isEqualTo("nightly");
        assertThat(entry.getString("source")).isEqualTo("admin");
        assertThat(entry.getBoolean("revoked")).isFalse();
        assertThat(entry.getString("created_at")).isNotBlank();
        assertThat(entry.containsKey("key")).isFalse();

        HttpResponse<String> revoked = admin(h, "DELETE", "/v1/keys/" + id, null);
        assertThat(revoked.statusCode()).isEqualTo(200);
        assertThat(ProxyHarness.json(revoked).getBoolean("revoked")).isTrue();
        assertThat(chat(h, key, BODY).statusCode()).as("refused at once").isEqualTo(401);
        assertThat(ProxyHarness.json(admin(h, "GET", "/v1/keys/" + id, null)).getBoolean("revoked")).isTrue();
        assertThat(h.mock.received()).hasSize(1);

        // the key's life in the audit chain: by id, never the key or its hash
        HttpResponse<String> audit = admin(h, "GET", "/v1/audit?budget_id=b&limit=1000", null);
        List<JsonObject> records = ProxyHarness.json(audit).getJsonArray("data").stream().map(o -> (JsonObject) o).toList();
        assertThat(records).filteredOn(r -> r.getString("type").startsWith("key."))
                .extracting(r -> r.getString("type") + " " + r.getJsonObject("data").getString("key_id"))
                .containsExactly("key.created " + id, "key.revoked " + id);
        assertThat(records).filteredOn(r -> "decision".equals(r.getString("type")))
                .extracting(r -> r.getJsonObject("data").getString("key_id")).containsExactly(id);
        assertThat(audit.body()).doesNotContain(key).doesNotContain(KeyConfig.sha256(key)).doesNotContain(PROVIDER_KEY);
    }

    @Test
    void revokingAKeyFromTheFileRefusesItAtOnce() throws Exception {
        h = start(VirtualKeyClient.config(""));
        assertThat(chat(h, KEY_A, BODY).statusCode()).isEqualTo(200);

        assertThat(admin(h, "DELETE", "/v1/keys/key-a", null).statusCode()).isEqualTo(200);

        assertThat(chat(h, KEY_A, BODY).statusCode()).isEqualTo(401);
        assertThat(chat(h, KEY_B, BODY).statusCode()).as("other keys unaffected").isEqualTo(200);
    }

    @Test
    void refusesKeyRequestsThatCannotWork() throws Exception {
        h = start(VirtualKeyClient.config(""));

        assertThat(admin(h, "POST", "/v1/keys", "{\"tenant\":\"t\"}").body()).contains("budget_id: missing");
        assertThat(admin(h, "POST", "/v1/keys", "{\"budget_id\":\"nope\"}").statusCode()).isEqualTo(400);
        assertThat(admin(h, "POST", "/v1/keys", "{\"budget_id\":\"a\",\"allow_budget_header\":\"yes\"}").statusCode()).isEqualTo(400);
        assertThat(admin(h, "POST", "/v1/keys", "{\"budget_id\":\"a\",\"id\":\"has space\"}").statusCode()).isEqualTo(400);
        assertThat(admin(h, "POST", "/v1/keys", "not json").statusCode()).isEqualTo(400);
        assertThat(admin(h, "POST", "/v1/keys", "{\"budget_id\":\"a\",\"id\":\"key-a\"}").statusCode()).isEqualTo(409);
        assertThat(admin(h, "GET", "/v1/keys/nope", null).statusCode()).isEqualTo(404);
        assertThat(admin(h, "DELETE", "/v1/keys/nope", null).statusCode()).isEqualTo(404);
        assertThat(ProxyHarness.json(admin(h, "GET", "/v1/keys", null)).getJsonArray("data")).hasSize(3);
    }

    @Test
    void aKeyIdOrNameOutsideTheGrammarIsRefusedWith400NamingItAndNoKeyIsMade() throws Exception {
        h = start(VirtualKeyClient.config(""));

        for (String[] c : new String[][] {
                {"{\"budget_id\":\"a\",\"id\":\"..\"}", "id: \"..\" (expected: 1 to 128 letters"},
                {"{\"budget_id\":\"a\",\"id\":\".\"}", "id: \".\" "},
                {"{\"budget_id\":\"a\",\"id\":\"a/b\"}", "id: \"a/b\" "},
                {"{\"budget_id\":\"a\",\"id\":\"k\\u0000\"}", "id: \"k\\u0000\" "},
                {"{\"budget_id\":\"a\",\"id\":\"k\\n1\"}", "id: \"k\\u000a1\" "},
                {"{\"budget_id\":\"a\",\"id\":\"" + "k".repeat(129) + "\"}", "id: \"kkk"},
                {"{\"budget_id\":\"../a\"}", "budget_id: \"../a\" "},
                {"{\"budget_id\":\"a\",\"name\":\"x\\ny\"}", "name: \"x\\u000ay\" "},
                {"{\"budget_id\":\"a\",\"name\":\"" + "n".repeat(257) + "\"}", "name: "},
                {"{\"budget_id\":\"a\",\"budget\":\"b\"}", "\"budget\": unknown field"},
                {"{\"budget_id\":\"a\",\"budget_id\":\"b\"}", "budget_id: given twice"},
        }) {
            HttpResponse<String> r = admin(h, "POST", "/v1/keys", c[0]);
            assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
            assertThat(ProxyHarness.json(r).getJsonObject("error").getString("message")).as(c[0]).startsWith(c[1]);
        }
        assertThat(ProxyHarness.json(admin(h, "GET", "/v1/keys", null)).getJsonArray("data")).as("only the file's keys").hasSize(3);
    }

    @Test
    void twentyConcurrentCreatesOfOneKeyIdGiveOne201AndOneAuditRecord() throws Exception {
        h = start(VirtualKeyClient.config(""));
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> sent = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sent.add(h.http.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + h.server.adminPort() + "/v1/keys"))
                    .header("content-type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"id\":\"race\",\"budget_id\":\"b\"}")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        java.util.Map<Integer, Long> byStatus = new java.util.TreeMap<>();
        sent.forEach(f -> byStatus.merge(f.join().statusCode(), 1L, Long::sum));

        assertThat(byStatus).isEqualTo(java.util.Map.of(201, 1L, 409, 19L));
        String key = sent.stream().map(java.util.concurrent.CompletableFuture::join).filter(r -> r.statusCode() == 201)
                .map(r -> ProxyHarness.json(r).getString("key")).findFirst().orElseThrow();
        assertThat(chat(h, key, BODY).statusCode()).as("the one key made works").isEqualTo(200);
        List<JsonObject> records = ProxyHarness.json(admin(h, "GET", "/v1/audit?budget_id=b&limit=1000", null)).getJsonArray("data")
                .stream().map(o -> (JsonObject) o).toList();
        assertThat(records).filteredOn(r -> "key.created".equals(r.getString("type"))).hasSize(1);
    }

    @Test
    void keyAllowedToChooseCanBeMadeWithTheChosenId() throws Exception {
        h = start(VirtualKeyClient.config(""));

        JsonObject made = ProxyHarness.json(admin(h, "POST", "/v1/keys",
                "{\"id\":\"ci-runner\",\"budget_id\":\"a\",\"allow_budget_header\":true}"));

        assertThat(made.getString("id")).isEqualTo("ci-runner");
        assertThat(made.getString("tenant")).isEqualTo("default");
        assertThat(chat(h, made.getString("key"), BODY, "X-SpendGuard-Budget-Id", "b").statusCode()).isEqualTo(200);
        h.assertSettled(1, "b");
        assertThat(h.budget("a").committedMicros()).isZero();
    }

    @Test
    void keyRoutesNeedTheAdminToken() throws Exception {
        h = start(VirtualKeyClient.config("").replace("admin: { host: 127.0.0.1, port: 0 }",
                "admin: { host: 127.0.0.1, port: 0, token: s3cret }"));

        assertThat(admin(h, "POST", "/v1/keys", "{\"budget_id\":\"a\"}").statusCode()).isEqualTo(401);
        assertThat(admin(h, "GET", "/v1/keys", null).statusCode()).isEqualTo(401);
    }

    @Test
    void keyRoutesAreOffInPassthroughMode() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));

        HttpResponse<String> r = admin(h, "POST", "/v1/keys", "{\"budget_id\":\"default\"}");

        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).contains("auth.mode: passthrough");
        assertThat(h.chat(BODY).statusCode()).as("passthrough unchanged").isEqualTo(200);
    }

    @Test
    void keysMadeOnTheProxyChargeBudgetsThatLiveInTheSidecar() throws Exception {
        h = ProxyHarness.startWithSidecar(VirtualKeyClient.config(""));

        JsonObject made = ProxyHarness.json(admin(h, "POST", "/v1/keys", "{\"budget_id\":\"b\"}"));

        assertThat(chat(h, made.getString("key"), BODY).statusCode()).isEqualTo(200);
        h.assertSettled(1, "b");
        assertThat(h.budget("b").committedMicros()).isPositive();
        assertThat(admin(h, "GET", "/v1/budgets", null).statusCode()).as("budgets stay on the sidecar's admin API").isEqualTo(404);
    }
}
