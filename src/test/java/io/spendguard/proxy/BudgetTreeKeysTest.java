package io.spendguard.proxy;

import static io.spendguard.proxy.VirtualKeyClient.chat;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A virtual key whose budget is part of a budget tree (SPEC §11) chooses by {@code X-SpendGuard-Budget-Id}
 * only within its subtree — its own budget and the budgets below it — and gets a 403
 * {@code budget_forbidden} for any other (its parent, a sibling, a budget of another tree or of none),
 * before anything is decided, held or forwarded. A key whose budget stands alone keeps the tenant rule
 * ({@link CallerIsolationTest}).
 */
class BudgetTreeKeysTest extends HarnessTest {
    private static final String BODY = ChatCompletionsTest.BODY;
    /** Bound to {@code team-a} (under {@code org}, above {@code agent-1}); may choose by header. */
    static final String KEY_TEAM = "sg-team-a-0123456789abcdefghijklmnop";
    /** Bound to {@code loner}, a budget of no tree; may choose by header. */
    static final String KEY_LONER = "sg-loner-0123456789abcdefghijklmnopq";

    /** Budgets org, team-a, team-b, agent-1 and loner of $1 each (the tree is made by {@link #tree()}), and the two keys. */
    private static String config() {
        String auth = """
                auth:
                  mode: virtual_keys
                  keys:
                    - { id: key-team, key: "%s", tenant: acme, budget_id: team-a, allow_budget_header: true }
                    - { id: key-loner, key: "%s", tenant: acme, budget_id: loner, allow_budget_header: true }
                """.formatted(KEY_TEAM, KEY_LONER);
        return ProxyHarness.config(1_000_000, "", auth)
                .replace("api_key: \"\"", "api_key: \"" + VirtualKeyClient.PROVIDER_KEY + "\"")
                .replace("  - id: default\n", """
                          - { id: org, limit_usd: 1, window: daily }
                          - { id: team-a, limit_usd: 1, window: daily }
                          - { id: team-b, limit_usd: 1, window: daily }
                          - { id: agent-1, limit_usd: 1, window: daily }
                          - { id: loner, limit_usd: 1, window: daily }
                          - id: default
                        """);
    }

    /** org → team-a → agent-1, org → team-b. */
    private void tree() throws Exception {
        parent("team-a", "org");
        parent("team-b", "org");
        parent("agent-1", "team-a");
    }

    private void parent(String id, String parent) throws Exception {
        HttpResponse<String> r = h.http.send(HttpRequest.newBuilder(h.admin("/v1/budgets/" + id)).timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"parent\":\"" + parent + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private HttpResponse<String> as(String key, String budget) throws Exception {
        return chat(h, key, BODY, "X-SpendGuard-Budget-Id", budget);
    }

    private long touched(String budget) throws Exception {
        return h.budget(budget).reservedMicros() + h.budget(budget).committedMicros();
    }

    @Test
    void aKeyInATreeChargesItsOwnBudgetAndTheBudgetsBelowIt() throws Exception {
        h = start(config());
        tree();

        assertThat(as(KEY_TEAM, "agent-1").statusCode()).as("a child of the key's budget").isEqualTo(200);
        assertThat(as(KEY_TEAM, "team-a").statusCode()).as("its own budget, named").isEqualTo(200);
        assertThat(chat(h, KEY_TEAM, BODY).statusCode()).as("its own budget, by default").isEqualTo(200);
        h.assertSettled(3, "team-a");
        assertThat(h.budget("agent-1").committedMicros()).isPositive();
        assertThat(h.mock.served()).isEqualTo(3);
    }

    @Test
    void aKeyInATreeGets403ForItsParentASiblingAndAnyBudgetOutsideItsSubtree() throws Exception {
        h = start(config());
        tree();

        for (String outside : new String[] {"org", "team-b", "loner", "default"}) {
            HttpResponse<String> r = as(KEY_TEAM, outside);
            assertThat(r.statusCode()).as(outside + ": " + r.body()).isEqualTo(403);
            assertThat(ProxyHarness.json(r).getJsonObject("error").getString("code")).isEqualTo("budget_forbidden");
            assertThat(r.headers().firstValue("X-SpendGuard-Budget-Remaining-Usd-Micros")).isEmpty();
            assertThat(r.body()).doesNotContain("remaining");
            assertThat(touched(outside)).as("nothing held or spent on " + outside).isZero();
        }
        assertThat(h.mock.served()).as("nothing forwarded").isZero();
        assertThat(as(KEY_TEAM, "nope").statusCode()).as("an unknown budget is refused as before").isEqualTo(400);
    }

    @Test
    void aKeyWhoseBudgetIsInNoTreeKeepsTheTenantRule() throws Exception {
        h = start(config());
        tree();

        assertThat(as(KEY_LONER, "default").statusCode()).isEqualTo(200);
        assertThat(as(KEY_LONER, "agent-1").statusCode()).as("a budget of no tenant, in someone's tree").isEqualTo(200);
        h.assertSettled(2, "agent-1");
    }

    @Test
    void aKeyWhoseBudgetOnlyHasChildrenIsInATreeToo() throws Exception {
        h = start(config());
        parent("agent-1", "team-a");

        assertThat(as(KEY_TEAM, "agent-1").statusCode()).isEqualTo(200);
        HttpResponse<String> r = as(KEY_TEAM, "org");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("code")).isEqualTo("budget_forbidden");
    }
}
