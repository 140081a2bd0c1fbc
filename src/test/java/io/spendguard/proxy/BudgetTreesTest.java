package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.engine.MutableClock;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Budget trees through the proxy (SPEC §11) on the memory ledger: org → team → four key budgets, written
 * children first in the file. A subclass runs the same scenarios on another ledger ({@link #ledger()}).
 */
class BudgetTreesTest extends HarnessTest {
    static final long CLAIM = ChatCompletionsTest.claim(ChatCompletionsTest.BODY);

    /** The ledger the proxy runs on, a YAML flow mapping. */
    protected String ledger() {
        return "{ kind: memory }";
    }

    static String usd(long micros) {
        return BigDecimal.valueOf(micros, 6).toPlainString();
    }

    /** keys key0..key3 fitting {@code keyCalls} claims each, under team ({@code teamCalls}) under org ({@code orgWindow}). */
    String tree(long keyCalls, long teamCalls, String orgWindow) {
        StringBuilder budgets = new StringBuilder();
        for (int k = 0; k < 4; k++) {
            budgets.append("  - { id: key").append(k).append(", parent: team, limit_usd: ").append(usd(CLAIM * keyCalls + CLAIM / 2))
                    .append(" }\n");
        }
        budgets.append("  - { id: team, parent: org, limit_usd: ").append(usd(CLAIM * teamCalls + CLAIM / 2)).append(" }\n");
        budgets.append("  - { id: org, window: ").append(orgWindow).append(", limit_usd: ").append(usd(CLAIM * 1000)).append(" }\n");
        return """
                listen: { host: 127.0.0.1, port: 0 }
                admin: { host: 127.0.0.1, port: 0 }
                ledger: %s
                gate: { timeout_ms: 5000 }
                auth: { trust_budget_header: true }
                providers:
                  openai: { base_url: "MOCK_URL", api_key: "", timeout_ms: 5000 }
                  anthropic: { base_url: "MOCK_URL", api_key: "", timeout_ms: 5000 }
                budgets:
                %s
                limits: { max_body_bytes: 65536 }
                """.formatted(ledger(), budgets.toString().stripTrailing());
    }

    private HttpResponse<String> chatOn(String budget) throws Exception {
        return h.chat(ChatCompletionsTest.BODY, "X-SpendGuard-Budget-Id", budget);
    }

    @Test
    void twoHundredCallsOverFourKeysAdmitExactlyWhatTheirTeamFits() throws Exception {
        h = start(tree(20, 30, "none"));
        List<String> keys = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String key = "key" + (i % 4);
            keys.add(key);
            sent.add(h.http.sendAsync(h.chatRequest(ChatCompletionsTest.BODY, "X-SpendGuard-Budget-Id", key,
                    "x-mock-latency-ms", "300", "x-mock-output-tokens", "50"), HttpResponse.BodyHandlers.ofString()));
        }
        Map<Integer, Long> byStatus = new TreeMap<>();
        Map<String, Long> refusedBy = new TreeMap<>();
        for (int i = 0; i < sent.size(); i++) {
            HttpResponse<String> r = sent.get(i).join();
            byStatus.merge(r.statusCode(), 1L, Long::sum);
            if (r.statusCode() == 402) {
                String named = ProxyHarness.json(r).getJsonObject("error").getJsonObject("spendguard").getString("budget_id");
                assertThat(named).as("a refusal names the team or the call's own key").isIn("team", keys.get(i));
                refusedBy.merge(named, 1L, Long::sum);
            }
        }

        assertThat(byStatus).isEqualTo(Map.of(200, 30L, 402, 170L));
        assertThat(h.mock.served()).isEqualTo(30);
        assertThat(refusedBy.get("team")).as("the team is what runs out").isPositive();
        h.assertSettled(30, "team");
        assertThat(h.budget("team").committedMicros()).isEqualTo(CLAIM * 30);
        assertThat(h.budget("org").committedMicros()).isEqualTo(CLAIM * 30);
        assertThat(h.budget("org").reservedMicros()).isZero();
        long keysCommitted = 0;
        for (int k = 0; k < 4; k++) {
            long committed = h.budget("key" + k).committedMicros();
            assertThat(committed).as("key" + k + " within its own limit").isLessThanOrEqualTo(CLAIM * 20);
            assertThat(h.budget("key" + k).reservedMicros()).isZero();
            keysCommitted += committed;
        }
        assertThat(keysCommitted).isEqualTo(CLAIM * 30);
    }

    @Test
    void theRemainingHeaderIsTheSmallestOnThePathAndEveryLevelsGaugeFollows() throws Exception {
        h = start(tree(20, 3, "none"));

        HttpResponse<String> first = chatOn("key0");
        assertThat(first.statusCode()).isEqualTo(200);
        long cost = ChatCompletionsTest.cost(ProxyHarness.json(first));
        long teamLeft = CLAIM * 3 + CLAIM / 2 - cost;
        assertThat(first.headers().firstValueAsLong("X-SpendGuard-Budget-Remaining-Usd-Micros").getAsLong())
                .as("team has less left than key0 or org").isEqualTo(teamLeft);
        h.assertSettled(1, "key0");
        assertThat(h.registry.get("spendguard.budget.remaining.usd.micros").tag("budget", "team").gauge().value())
                .isEqualTo((double) teamLeft);
        assertThat(h.registry.get("spendguard.budget.remaining.usd.micros").tag("budget", "org").gauge().value())
                .isEqualTo((double) (CLAIM * 1000 - cost));
        assertThat(h.registry.get("spendguard.budget.remaining.usd.micros").tag("budget", "key0").gauge().value())
                .isEqualTo((double) (CLAIM * 20 + CLAIM / 2 - cost));
    }

    @Test
    void aCallTheTeamCannotCoverIsRefusedNamingTheTeam() throws Exception {
        h = start(tree(20, 1, "none"));
        assertThat(h.chat(ChatCompletionsTest.BODY, "X-SpendGuard-Budget-Id", "key1", "x-mock-output-tokens", "50").statusCode())
                .as("billed its whole claim: the team has half a claim left").isEqualTo(200);

        HttpResponse<String> refused = chatOn("key2");

        assertThat(refused.statusCode()).isEqualTo(402);
        JsonObject sg = ProxyHarness.json(refused).getJsonObject("error").getJsonObject("spendguard");
        assertThat(sg.getString("budget_id")).isEqualTo("team");
        assertThat(sg.getJsonArray("reason_codes").getList()).containsExactly("BUDGET_EXHAUSTED");
        assertThat(refused.headers().firstValue("Retry-After")).as("team has no window").isEmpty();
        assertThat(h.mock.served()).isEqualTo(1);
    }

    @Test
    void eachLevelKeepsItsOwnWindow() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-29T10:00:00Z"));
        h = ProxyHarness.start(tree(20, 30, "daily"), clock);

        HttpResponse<String> first = chatOn("key0");
        assertThat(first.statusCode()).isEqualTo(200);
        long cost = ChatCompletionsTest.cost(ProxyHarness.json(first));
        h.assertSettled(1, "key0");
        JsonObject org = ProxyHarness.json(h.adminGet("/v1/budgets/org"));
        JsonObject team = ProxyHarness.json(h.adminGet("/v1/budgets/team"));
        assertThat(org.getString("window")).isEqualTo("daily");
        assertThat(org.getString("window_end")).isEqualTo("2026-11-30T00:00:00Z");
        assertThat(team.getString("window")).isEqualTo("none");
        assertThat(team.getString("window_end")).isNull();

        clock.advance(Duration.ofHours(15));

        assertThat(h.budget("org").committedMicros()).as("the org's day is over").isZero();
        assertThat(h.budget("team").committedMicros()).as("the team has no window").isEqualTo(cost);
        assertThat(h.budget("key0").committedMicros()).isEqualTo(cost);
        assertThat(chatOn("key0").statusCode()).isEqualTo(200);
        h.assertSettled(2, "key0");
        assertThat(h.budget("org").committedMicros()).isEqualTo(cost);
        assertThat(h.budget("team").committedMicros()).isEqualTo(cost * 2);
    }
}
