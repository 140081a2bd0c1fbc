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
