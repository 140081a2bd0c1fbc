package io.spendguard.proxy;

import static io.spendguard.proxy.VirtualKeyClient.chat;
import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.config.ConfigException;
import io.spendguard.proxy.config.ConfigLoader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Nothing crosses a caller or a tenant: idempotency keys are scoped to the caller (virtual key, or
 * the passthrough credential), so another caller's key of the same name neither replays nor blocks;
 * an approval can be resumed only by the caller that asked for it; a key allowed to choose its
 * budget by header chooses only among its tenant's budgets and those of no tenant; a virtual key's
 * client cannot steer the operator's OpenAI billing with {@code OpenAI-Organization} / {@code OpenAI-Project}.
 * {@link CallerIsolationSidecarTest} runs the same with the budgets behind our sidecar.
 */
class CallerIsolationTest extends HarnessTest {
    private static final String BODY = ChatCompletionsTest.BODY;
    private static final String OTHER_BODY = BODY.replace("Say hello", "Say goodbye");
    private static final String BIG = "{\"model\":\"gpt-test\",\"max_tokens\":900,\"messages\":[{\"role\":\"user\",\"content\":\"Write a report\"}]}";
    /** Tenant {@code ta}: budget {@code a}. */
    static final String KEY_A = "sg-tenant-a-0123456789abcdefghijklmn";
    /** Tenant {@code tb}: budget {@code b}. */
    static final String KEY_B = "sg-tenant-b-0123456789abcdefghijklmn";
    /** Tenant {@code tc}: budget {@code c}, and may choose another by {@code X-SpendGuard-Budget-Id}. */
    static final String KEY_C = "sg-tenant-c-0123456789abcdefghijklmn";

    /**
     * Three tenants, each with a key and a $1 budget of its own ({@code a}, {@code b}, {@code c}, each
     * naming its tenant), and a $1 budget {@code shared} of no tenant.
     */
    static String config() {
        return config("");
    }

    @Test
    void anotherTenantsRunOfTheSameNameIsAnotherRun() throws Exception {
        h = start(config() + "\nruns: { max_steps: 1, dedupe_retries: false }\n");

        assertThat(chat(h, KEY_A, BODY, "X-SpendGuard-Run-Id", "run-1").statusCode()).isEqualTo(200);
        assertThat(chat(h, KEY_B, BODY, "X-SpendGuard-Run-Id", "run-1").statusCode())
                .as("tenant tb's run-1 is not tenant ta's: its step is its own").isEqualTo(200);
        HttpResponse<String> second = chat(h, KEY_A, OTHER_BODY, "X-SpendGuard-Run-Id", "run-1");

        assertThat(second.statusCode()).isEqualTo(402);
        assertThat(ProxyHarness.json(second).getJsonObject("error").getString("code")).isEqualTo("RUN_STEP_LIMIT");
        assertThat(ProxyHarness.json(second).getJsonObject("error").getJsonObject("spendguard").getString("run_id"))
                .isEqualTo("ta:run-1");
        assertThat(h.mock.served()).isEqualTo(2);
    }

    /** {@link #config()} with {@code budgetA} added to budget {@code a}'s definition. */
    static String config(String budgetA) {
        String auth = """
                auth:
                  mode: virtual_keys
                  keys:
                    - { id: key-a, key: "%s", tenant: ta, budget_id: a }
                    - { id: key-b, key: "%s", tenant: tb, budget_id: b }
                    - { id: key-c, key: "%s", tenant: tc, budget_id: c, allow_budget_header: true }
                """.formatted(KEY_A, KEY_B, KEY_C);
        return ProxyHarness.config(1_000_000, "tenant: ta\n" + budgetA, auth)
                .replace("api_key: \"\"", "api_key: \"" + VirtualKeyClient.PROVIDER_KEY + "\"")
                .replace("  - id: default\n", """
                          - { id: b, limit_usd: 1, window: daily, tenant: tb }
                          - { id: c, limit_usd: 1, window: daily, tenant: tc }
                          - { id: shared, limit_usd: 1, window: daily }
                          - id: a
                        """);
    }

    private static String decisionId(HttpResponse<String> r) {
        return r.headers().firstValue("X-SpendGuard-Decision-Id").orElse(null);
    }

    @Test
    void anotherKeySendingTheSameIdempotencyKeyGetsItsOwnCallChargedToItself() throws Exception {
        h = start(config());
        HttpResponse<String> a = chat(h, KEY_A, BODY, "Idempotency-Key", "shared-1");
        assertThat(a.statusCode()).isEqualTo(200);
        h.assertSettled(1, "a");
        long spentByA = h.budget("a").committedMicros();

        HttpResponse<String> b = chat(h, KEY_B, BODY, "Idempotency-Key", "shared-1");

        assertThat(b.statusCode()).isEqualTo(200);
        assertThat(b.headers().firstValue("X-SpendGuard-Idempotent-Replay")).as("not A's stored reply").isEmpty();
        assertThat(decisionId(b)).isNotNull().isNotEqualTo(decisionId(a));
        assertThat(h.mock.served()).as("B's call was forwarded").isEqualTo(2);
        h.assertSettled(2, "b");
        assertThat(h.budget("b").committedMicros()).as("charged to B").isPositive();
        assertThat(h.budget("a").committedMicros()).as("A's budget untouched").isEqualTo(spentByA);

        HttpResponse<String> againA = chat(h, KEY_A, BODY, "Idempotency-Key", "shared-1");
        assertThat(againA.headers().firstValue("X-SpendGuard-Idempotent-Replay")).as("A's own retry still replays").hasValue("true");
        assertThat(decisionId(againA)).isEqualTo(decisionId(a));
        HttpResponse<String> againB = chat(h, KEY_B, BODY, "Idempotency-Key", "shared-1");
        assertThat(decisionId(againB)).as("and B's replays B's").isEqualTo(decisionId(b));
        assertThat(h.mock.served()).isEqualTo(2);
    }

    @Test
    void anotherKeyCannotPoisonOrBlockAKeysNextIdempotencyKey() throws Exception {
        h = start(config());
        // B uses the name A is about to use, for another body; then holds a second name in flight.
        assertThat(chat(h, KEY_B, OTHER_BODY, "Idempotency-Key", "next-1").statusCode()).isEqualTo(200);
        CompletableFuture<HttpResponse<String>> slowB = h.http.sendAsync(request(KEY_B, BODY, "Idempotency-Key", "next-2",
                "x-mock-latency-ms", "500"), HttpResponse.BodyHandlers.ofString());
        ProxyHarness.await("B's slow call forwarded", () -> h.mock.served() == 2);

        HttpResponse<String> first = chat(h, KEY_A, BODY, "Idempotency-Key", "next-1");
        HttpResponse<String> second = chat(h, KEY_A, BODY, "Idempotency-Key", "next-2");

        assertThat(first.statusCode()).as("not idempotency_conflict: " + first.body()).isEqualTo(200);
        assertThat(second.statusCode()).as("not idempotency_in_flight: " + second.body()).isEqualTo(200);
        assertThat(first.headers().firstValue("X-SpendGuard-Idempotent-Replay")).isEmpty();
        assertThat(slowB.join().statusCode()).isEqualTo(200);
        assertThat(h.mock.served()).isEqualTo(4);
        h.assertSettled(4, "a");
        assertThat(h.budget("b").reservedMicros()).isZero();
    }

    @Test
    void passthroughCallersWithDifferentProviderKeysHaveTheirOwnIdempotencyKeys() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        HttpResponse<String> one = send("Bearer sk-caller-one-1111", BODY, "Idempotency-Key", "pt-1");
        HttpResponse<String> two = send("Bearer sk-caller-two-2222", BODY, "Idempotency-Key", "pt-1");

        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(two.statusCode()).isEqualTo(200);
        assertThat(two.headers().firstValue("X-SpendGuard-Idempotent-Replay")).as("not the other key's reply").isEmpty();
        assertThat(decisionId(two)).isNotEqualTo(decisionId(one));
        assertThat(h.mock.served()).isEqualTo(2);
        assertThat(h.mock.received().get(1).headers().get("authorization")).as("each call went with its own key")
                .isEqualTo("Bearer sk-caller-two-2222");

        HttpResponse<String> poisoned = send("Bearer sk-caller-two-2222", OTHER_BODY, "Idempotency-Key", "pt-2");
        HttpResponse<String> mine = send("Bearer sk-caller-one-1111", BODY, "Idempotency-Key", "pt-2");
        assertThat(poisoned.statusCode()).isEqualTo(200);
        assertThat(mine.statusCode()).as("not idempotency_conflict: " + mine.body()).isEqualTo(200);

        HttpResponse<String> retry = send("Bearer sk-caller-one-1111", BODY, "Idempotency-Key", "pt-1");
        assertThat(retry.headers().firstValue("X-SpendGuard-Idempotent-Replay")).as("the same key still replays").hasValue("true");
        assertThat(decisionId(retry)).isEqualTo(decisionId(one));
        assertThat(h.mock.served()).isEqualTo(4);
        h.assertSettled(4, "default");
    }

    @Test
    void anIdempotencyConflictNamesOnlyTheClientsOwnKey() throws Exception {
        h = start(config());
        assertThat(chat(h, KEY_A, BODY, "Idempotency-Key", "mine-1").statusCode()).isEqualTo(200);
        HttpResponse<String> conflict = chat(h, KEY_A, OTHER_BODY, "Idempotency-Key", "mine-1");
        assertThat(conflict.statusCode()).isEqualTo(409);
        assertThat(ProxyHarness.json(conflict).getJsonObject("error").getString("message"))
                .isEqualTo("Idempotency key 'mine-1' was used for a different request.");
    }

    @Test
    void anotherKeyResumingAKeysApprovalGets403AndTheRequesterCanStillResumeIt() throws Exception {
        h = start(config("approval_above_usd: 0.001"));
        HttpResponse<String> asked = chat(h, KEY_A, BIG);
        assertThat(asked.statusCode()).isEqualTo(409);
        String approval = ProxyHarness.json(asked).getJsonObject("error").getJsonObject("spendguard").getString("approval_id");
        assertThat(h.adminPost("/v1/approvals/" + approval + "/resolve", "{\"decision\":\"approve\"}").statusCode()).isEqualTo(200);

        HttpResponse<String> stolen = chat(h, KEY_B, BIG, "X-SpendGuard-Approval-Id", approval);

        assertThat(stolen.statusCode()).isEqualTo(403);
        assertThat(ProxyHarness.json(stolen).getJsonObject("error").getString("code")).isEqualTo("approval_forbidden");
        assertThat(stolen.body()).doesNotContain("approved");
        assertThat(h.mock.served()).as("nothing forwarded").isZero();
        assertThat(h.budget("a").reservedMicros() + h.budget("a").committedMicros()).as("nothing charged to A").isZero();
        assertThat(h.budget("b").reservedMicros() + h.budget("b").committedMicros()).as("nor to B").isZero();
        assertThat(ProxyHarness.json(h.adminGet("/v1/approvals/" + approval)).getString("state")).isEqualTo("approved");

        HttpResponse<String> resumed = chat(h, KEY_A, BIG, "X-SpendGuard-Approval-Id", approval);
        assertThat(resumed.statusCode()).as("A's own resume: " + resumed.body()).isEqualTo(200);
        assertThat(h.mock.served()).isEqualTo(1);
        h.assertSettled(1, "a");
        assertThat(h.budget("a").committedMicros()).isPositive();
        assertThat(h.budget("b").committedMicros()).isZero();
    }

    @Test
    void inPassthroughAnotherCredentialsIdenticalRequestIsItsOwnApprovalAndCannotResumeTheFirst() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "approval_above_usd: 0.001", ""));
        String id = approvalId(send("Bearer sk-caller-one-1111", BIG));
        if (!h.sidecarMode()) {
            // (the sidecar sees each repeat's fresh decision ids, so there every repeat asks anew)
            assertThat(approvalId(send("Bearer sk-caller-one-1111", BIG))).as("the requester's own repeat joins its approval")
                    .isEqualTo(id);
        }
        String theirs = approvalId(send("Bearer sk-caller-two-2222", BIG));
        assertThat(theirs).as("an identical request by another caller does not join it").isNotEqualTo(id);

        HttpResponse<String> pending = send("Bearer sk-caller-two-2222", BIG, "X-SpendGuard-Approval-Id", id);
        assertThat(pending.statusCode()).as("nothing of the other caller's approval is told").isEqualTo(403);
        assertThat(ProxyHarness.json(pending).getJsonObject("error").getString("code")).isEqualTo("approval_forbidden");
        assertThat(h.adminPost("/v1/approvals/" + id + "/resolve", "{\"decision\":\"approve\"}").statusCode()).isEqualTo(200);
        HttpResponse<String> approved = send("Bearer sk-caller-two-2222", BIG, "X-SpendGuard-Approval-Id", id);
        assertThat(approved.statusCode()).isEqualTo(403);
        assertThat(h.mock.served()).isZero();

        assertThat(send("Bearer sk-caller-one-1111", BIG, "X-SpendGuard-Approval-Id", id).statusCode()).isEqualTo(200);
        assertThat(h.mock.received().get(0).headers().get("authorization")).isEqualTo("Bearer sk-caller-one-1111");
        h.assertSettled(1, "default");
    }

    private static String approvalId(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
        return ProxyHarness.json(r).getJsonObject("error").getJsonObject("spendguard").getString("approval_id");
    }

    @Test
    void aKeyChoosingABudgetByHeaderGets403ForAnotherTenantsBudgetAndLearnsNothingOfIt() throws Exception {
        h = start(config());
        long remainingA = h.budget("a").remainingMicros();

        HttpResponse<String> r = chat(h, KEY_C, BODY, "X-SpendGuard-Budget-Id", "a");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("code")).isEqualTo("budget_forbidden");
        assertThat(r.headers().firstValue("X-SpendGuard-Budget-Remaining-Usd-Micros")).isEmpty();
        assertThat(r.body()).doesNotContain(Long.toString(remainingA)).doesNotContain("remaining");
        assertThat(h.mock.served()).as("nothing forwarded").isZero();
        assertThat(h.budget("a").reservedMicros() + h.budget("a").committedMicros()).as("nothing held or spent on a").isZero();

        HttpResponse<String> own = chat(h, KEY_C, BODY, "X-SpendGuard-Budget-Id", "c");
        assertThat(own.statusCode()).isEqualTo(200);
        assertThat(chat(h, KEY_C, BODY, "X-SpendGuard-Budget-Id", "shared").statusCode()).as("a budget of no tenant").isEqualTo(200);
        h.assertSettled(2, "c");
        assertThat(h.budget("c").committedMicros()).isPositive();
        assertThat(h.budget("shared").committedMicros()).isPositive();
        assertThat(h.budget("a").committedMicros()).isZero();
    }

    @Test
    void anotherTenantsBudgetNeedingApprovalIs403NotAnApprovalRequest() throws Exception {
        h = start(config("approval_above_usd: 0.001"));

        HttpResponse<String> r = chat(h, KEY_C, BIG, "X-SpendGuard-Budget-Id", "a");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("code")).isEqualTo("budget_forbidden");
        assertThat(r.headers().firstValue("X-SpendGuard-Approval-Id")).isEmpty();
        assertThat(ProxyHarness.json(h.adminGet("/v1/approvals")).getJsonArray("data")).as("no approval asked").isEmpty();
    }

    @Test
    void aBudgetCreatedForATenantKeepsItAndOnlyThatTenantsKeysChargeIt() throws Exception {
        h = start(config());
        HttpResponse<String> created = h.adminPost("/v1/budgets",
                "{\"id\":\"ta-project\",\"limit_usd_micros\":1000000,\"window\":\"daily\",\"tenant\":\"ta\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(ProxyHarness.json(created).getString("tenant")).isEqualTo("ta");
        assertThat(ProxyHarness.json(h.adminGet("/v1/budgets/ta-project")).getString("tenant")).isEqualTo("ta");
        assertThat(ProxyHarness.json(h.adminGet("/v1/budgets/b")).getString("tenant")).as("a file budget's tenant").isEqualTo("tb");
        assertThat(h.budget("ta-project").spec().tenant()).isEqualTo("ta");

        HttpResponse<String> r = chat(h, KEY_C, BODY, "X-SpendGuard-Budget-Id", "ta-project");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("code")).isEqualTo("budget_forbidden");
        assertThat(h.budget("ta-project").committedMicros() + h.budget("ta-project").reservedMicros()).isZero();

        HttpResponse<String> patched = h.http.send(java.net.http.HttpRequest.newBuilder(h.admin("/v1/budgets/ta-project"))
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"limit_usd_micros\":2000000}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ProxyHarness.json(patched).getString("tenant")).as("a patch keeps the tenant").isEqualTo("ta");
        if (!h.sidecarMode()) {
            // (in sidecar mode keys live in the proxy and budgets in the sidecar: the gate refuses at call time)
            HttpResponse<String> key = VirtualKeyClient.admin(h, "POST", "/v1/keys", "{\"tenant\":\"tc\",\"budget_id\":\"ta-project\"}");
            assertThat(key.statusCode()).as(key.body()).isEqualTo(400);
            assertThat(key.body()).contains("belongs to tenant ta");
        }
    }

    @Test
    void aConfigGivingAKeyAnotherTenantsBudgetIsRefusedAtStartUp() {
        String yaml = config().replace("tenant: tb, budget_id: b }", "tenant: tb, budget_id: a }")
                .replace("MOCK_URL", "http://127.0.0.1:9");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigLoader.parse(yaml, n -> null, "test"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("auth.keys[1].budget_id: a belongs to tenant ta (expected: a budget of the key's tenant tb, or of no tenant)");
    }

    @Test
    void aVirtualKeysClientCannotPickTheOperatorsOpenAiOrganizationOrProject() throws Exception {
        h = start(config());
        assertThat(chat(h, KEY_A, BODY, "OpenAI-Organization", "org-elsewhere", "OpenAI-Project", "proj_elsewhere",
                "x-custom", "kept").statusCode()).isEqualTo(200);
        HttpResponse<String> models = h.http.send(HttpRequest.newBuilder(h.uri("/v1/models")).timeout(Duration.ofSeconds(20))
                .header("authorization", "Bearer " + KEY_A).header("OpenAI-Organization", "org-elsewhere")
                .header("OpenAI-Project", "proj_elsewhere").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(models.statusCode()).isEqualTo(200);

        assertThat(h.mock.received()).hasSize(2).allSatisfy(got -> {
            assertThat(got.headers().contains("openai-organization")).as(got.path()).isFalse();
            assertThat(got.headers().contains("openai-project")).as(got.path()).isFalse();
            assertThat(got.headers().get("authorization")).isEqualTo("Bearer " + VirtualKeyClient.PROVIDER_KEY);
        });
        assertThat(h.mock.received().get(0).headers().get("x-custom")).as("other headers pass").isEqualTo("kept");
    }

    @Test
    void organizationAndProjectHeadersPassWhenTheOperatorSaysSoOrTheKeyIsTheClientsOwn() throws Exception {
        h = start(config().replace("  mode: virtual_keys\n", "  mode: virtual_keys\n  forward_openai_org_headers: true\n"));
        assertThat(chat(h, KEY_A, BODY, "OpenAI-Organization", "org-chosen", "OpenAI-Project", "proj_chosen").statusCode()).isEqualTo(200);
        assertThat(h.mock.received().get(0).headers().get("openai-organization")).isEqualTo("org-chosen");
        assertThat(h.mock.received().get(0).headers().get("openai-project")).isEqualTo("proj_chosen");
        h.close();

        h = start(ProxyHarness.config(1_000_000, "", ""));
        assertThat(send("Bearer sk-own-key-1111", BODY, "OpenAI-Organization", "org-mine").statusCode()).isEqualTo(200);
        assertThat(h.mock.received().get(0).headers().get("openai-organization")).as("passthrough: the client's own account")
                .isEqualTo("org-mine");
    }

    /** A chat completion with {@code authorization} as the client's own credential. */
    private HttpResponse<String> send(String authorization, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(h.uri("/v1/chat/completions")).timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json").header("authorization", authorization)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return h.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest request(String key, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(h.uri("/v1/chat/completions")).timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json").header("authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b.build();
    }

}
