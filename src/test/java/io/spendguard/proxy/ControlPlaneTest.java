package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spendguard.proxy.config.ConfigException;
import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.ledger.Ledger;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The control plane with an admin token: a missing or wrong token is a JSON 401 that echoes nothing;
 * with the token, budgets are created, read, patched and deleted (not while held); every error is
 * JSON. {@link ControlPlaneSidecarTest} runs the same against the sidecar process's admin API.
 */
class ControlPlaneTest extends HarnessTest {
    static final String TOKEN = "adm-3f9c1e77-token-never-echoed";

    private ProxyHarness startWithToken() throws Exception {
        return start(ProxyHarness.config(1_000_000, "", "").replace("admin: { host: 127.0.0.1, port: 0 }",
                "admin: { host: 127.0.0.1, port: 0, token: \"" + TOKEN + "\" }"));
    }

    private HttpResponse<String> send(String method, String path, String authorization, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(h.admin(path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            b.header("authorization", authorization);
        }
        return h.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> admin(String method, String path, String body) throws Exception {
        return send(method, path, "Bearer " + TOKEN, body);
    }

    @Test
    void aMissingOrWrongTokenIsAJson401ThatEchoesNothing() throws Exception {
        h = startWithToken();
        for (String authorization : new String[] {"", "Bearer ", "Bearer guess-4242", "Bearer adm-3f9c1e77-token-never-echoeD",
                "Basic " + TOKEN, "Bearer " + TOKEN + "x", "Bearer adm"}) {
            refused(authorization);
        }
        assertThat(h.budget("default").spec().limitMicros()).as("nothing changed").isEqualTo(1_000_000);
        assertThat(send("GET", "/healthz", null, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/metrics", null, null).body()).doesNotContain(TOKEN);
    }

    private void refused(String authorization) throws Exception {
        for (String[] route : new String[][] {{"GET", "/v1/budgets"}, {"POST", "/v1/budgets"}, {"DELETE", "/v1/budgets/default"},
                {"GET", "/v1/approvals"}, {"POST", "/v1/approvals/x/resolve"}, {"GET", "/v1/audit"}, {"GET", "/v1/audit/verify"},
                {"GET", "/v1/nothing-here"}}) {
            HttpResponse<String> r = send(route[0], route[1], authorization.isEmpty() ? null : authorization,
                    "{\"id\":\"x\",\"limit_usd_micros\":1}");
            assertThat(r.statusCode()).as(authorization + " → " + route[0] + " " + route[1]).isEqualTo(401);
            assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
            assertThat(r.headers().firstValue("www-authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
            assertThat(ProxyHarness.json(r).getJsonObject("error").getString("type")).isEqualTo("authentication_error");
            assertThat(r.body()).doesNotContain(TOKEN).doesNotContain("guess-4242").doesNotContain("never-echoe");
        }
    }

    @Test
    void withTheTokenBudgetsAreCreatedReadPatchedAndDeleted() throws Exception {
        h = startWithToken();
        assertThat(send("GET", "/v1/budgets", "bearer " + TOKEN, null).statusCode()).as("the scheme is case-insensitive").isEqualTo(200);

        HttpResponse<String> created = admin("POST", "/v1/budgets", "{\"id\":\"team-a\",\"limit_usd_micros\":5000000,\"window\":\"daily\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(ProxyHarness.json(admin("GET", "/v1/budgets/team-a", null)).getLong("remaining_usd_micros")).isEqualTo(5_000_000);
        HttpResponse<String> patched = admin("PATCH", "/v1/budgets/team-a", "{\"limit_usd_micros\":7000000,\"approval_above_usd_micros\":10}");
        assertThat(patched.statusCode()).isEqualTo(200);
        assertThat(ProxyHarness.json(patched).getLong("limit_usd_micros")).isEqualTo(7_000_000);
        assertThat(ProxyHarness.json(admin("GET", "/v1/budgets", null)).getJsonArray("data")).hasSize(2);

        // a hold against the budget blocks its deletion until it settles
        assertThat(h.budgets().ledger().reserve(new Ledger.Reservation("res-held", "team-a", 1_000, Instant.now().plusSeconds(60), false))
                .await(5, TimeUnit.SECONDS).granted()).isTrue();
        HttpResponse<String> held = admin("DELETE", "/v1/budgets/team-a", null);
        assertThat(held.statusCode()).isEqualTo(409);
        assertThat(ProxyHarness.json(held).getJsonObject("error").getString("message")).contains("1000 usd_micros in open reservations");
        h.budgets().release("res-held").await(5, TimeUnit.SECONDS);

        HttpResponse<String> deleted = admin("DELETE", "/v1/budgets/team-a", null);
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(ProxyHarness.json(deleted).getBoolean("deleted")).isTrue();
        assertThat(admin("GET", "/v1/budgets/team-a", null).statusCode()).isEqualTo(404);
        assertThat(admin("DELETE", "/v1/budgets/team-a", null).statusCode()).isEqualTo(404);
        assertThat(h.chat(ChatCompletionsTest.BODY).statusCode()).as("other budgets keep working").isEqualTo(200);
    }

    @Test
    void everyErrorIsJson() throws Exception {
        h = startWithToken();
        String[][] cases = {
                {"GET", "/v1/nothing-here", null, "404"},
                {"PUT", "/v1/budgets", "{}", "404"},
                {"GET", "/nowhere", null, "404"},
                {"POST", "/v1/budgets", "{not json", "400"},
                {"POST", "/v1/budgets", "[1,2]", "400"},
                {"POST", "/v1/budgets", "{\"id\":\"x\"}", "400"},
                {"POST", "/v1/budgets", "{\"id\":\"x\",\"limit_usd_micros\":\"lots\"}", "400"},
                {"POST", "/v1/budgets", "{\"id\":\"x\",\"limit_usd_micros\":1,\"default\":\"yes\"}", "400"},
                {"PATCH", "/v1/budgets/default", "{\"window\":\"hourly\"}", "400"},
                {"PATCH", "/v1/budgets/nope", "{}", "404"},
                {"POST", "/v1/approvals/apr_nope/resolve", "{\"decision\":\"approve\"}", "404"},
                {"POST", "/v1/approvals/apr_nope/resolve", "{\"decision\":\"maybe\"}", "400"},
                {"GET", "/v1/approvals?state=lost", null, "400"},
                {"POST", "/v1/budgets", "{\"id\":\"" + "x".repeat(70_000) + "\"}", "413"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = admin(c[0], c[1], c[2]);
            assertThat(r.statusCode()).as(c[0] + " " + c[1] + " " + (c[2] == null ? "" : c[2].substring(0, Math.min(40, c[2].length()))))
                    .isEqualTo(Integer.parseInt(c[3]));
            assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
            assertThat(new JsonObject(r.body()).getJsonObject("error").getString("message")).isNotBlank();
        }
    }

    @Test
    void theAdminApiBeyondLoopbackNeedsAToken() {
        for (String host : new String[] {"0.0.0.0", "10.1.2.3", "::", "admin.internal"}) {
            assertThatThrownBy(() -> ConfigLoader.parse("admin: { host: \"" + host + "\", port: 8081 }\n", n -> null, "test"))
                    .as(host).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("admin.token: missing while admin.host is " + host);
        }
        for (String host : new String[] {"127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"}) {
            // without a token, a config parses only when its admin host counts as loopback
            assertThatCode(() -> ConfigLoader.parse("admin: { host: \"" + host + "\" }\n", n -> null, "test")).as(host)
                    .doesNotThrowAnyException();
        }
        assertThat(ConfigLoader.parse("admin: { host: 0.0.0.0, token: t0k }\n", n -> null, "test").admin().toString())
                .doesNotContain("t0k");
    }

    @Test
    void serveRefusesToStartWithAnOpenAdminApiAndNoToken() throws Exception {
        Path config = Files.createTempFile("spendguard-admin", ".yaml");
        Files.writeString(config, "admin: { host: 0.0.0.0, port: 0, token: \"${SG_TEST_UNSET_TOKEN:-}\" }\n");
        try {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve", "--config", config.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(1);
            assertThat(out).contains("invalid configuration: admin.token: missing while admin.host is 0.0.0.0");
        } finally {
            Files.delete(config);
        }
    }
}
