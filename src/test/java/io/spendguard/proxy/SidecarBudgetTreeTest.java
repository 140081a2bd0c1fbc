package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Budget trees with the budgets behind our sidecar ({@code gate.mode: sidecar}, SPEC §11): the proxy
 * sends one claim on the budget the call names ({@code X-SpendGuard-Budget-Id}); the sidecar holds it on
 * that budget and every ancestor in one step, and the 402 names the level that refused. The tree:
 * {@code org} → {@code team} (fits 30 calls) → {@code key0..key3} (20 calls each).
 */
class SidecarBudgetTreeTest extends HarnessTest {
    private static final String BODY = ChatCompletionsTest.BODY;
    private static final String BUDGET = "X-SpendGuard-Budget-Id";
    private static final int KEYS = 4;

    @Override
    protected boolean sidecar() {
        return true;
    }

    private static String usd(long micros) {
        return BigDecimal.valueOf(micros, 6).toPlainString();
    }

    /** The default config plus {@code org} → {@code team} → {@code key0..3}, with budget headers trusted. */
    private static String tree(long claim, int teamCalls, int keyCalls) {
        StringBuilder budgets = new StringBuilder("budgets:\n")
                .append("  - { id: org, limit_usd: ").append(usd(claim * 1000)).append(" }\n")
                .append("  - { id: team, parent: org, limit_usd: ").append(usd(claim * teamCalls + claim / 2)).append(" }\n");
        for (int k = 0; k < KEYS; k++) {
            budgets.append("  - { id: key").append(k).append(", parent: team, limit_usd: ")
                    .append(usd(claim * keyCalls + claim / 2)).append(" }\n");
        }
        return ProxyHarness.config(1_000_000, "", "auth: { trust_budget_header: true }").replace("budgets:\n", budgets);
    }

    /** Sends one call per entry of {@code budgets} at once, each billed its full claim, and returns the replies in order. */
    private List<HttpResponse<String>> concurrently(List<String> budgets) {
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (String budget : budgets) {
            sent.add(h.http.sendAsync(h.chatRequest(BODY, BUDGET, budget, "x-mock-latency-ms", "300", "x-mock-output-tokens", "50"),
                    HttpResponse.BodyHandlers.ofString()));
        }
        return sent.stream().map(CompletableFuture::join).toList();
    }

    private static String refusedBy(HttpResponse<String> r) {
        return ProxyHarness.json(r).getJsonObject("error").getJsonObject("spendguard").getString("budget_id");
    }

    @Test
    void twoHundredCallsOverFourKeysUnderATeamThatFitsThirtyAdmitExactlyThirty() throws Exception {
        long claim = ChatCompletionsTest.claim(BODY);
        h = start(tree(claim, 30, 20));
        List<String> budgets = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            budgets.add("key" + (i % KEYS));
        }

        List<HttpResponse<String>> replies = concurrently(budgets);

        Map<Integer, Long> byStatus = new TreeMap<>();
        replies.forEach(r -> byStatus.merge(r.statusCode(), 1L, Long::sum));
        assertThat(byStatus).isEqualTo(Map.of(200, 30L, 402, 170L));
        assertThat(h.mock.served()).isEqualTo(30);
        h.assertSettled(30, "team");
        assertThat(h.budget("team").committedMicros()).isEqualTo(claim * 30);
        assertThat(h.budget("org").committedMicros()).isEqualTo(claim * 30);
        assertThat(h.budget("org").reservedMicros()).isZero();
        long keys = 0;
        for (int k = 0; k < KEYS; k++) {
            long committed = h.budget("key" + k).committedMicros();
            assertThat(committed).as("key" + k + " within its own limit").isLessThanOrEqualTo(claim * 20);
            assertThat(h.budget("key" + k).reservedMicros()).as("key" + k + " holds nothing").isZero();
            keys += committed;
        }
        assertThat(keys).as("each admitted call settled once on its key").isEqualTo(claim * 30);
        long namingTeam = 0;
        for (HttpResponse<String> r : replies) {
            if (r.statusCode() == 402) {
                JsonObject error = ProxyHarness.json(r).getJsonObject("error");
                assertThat(error.getString("code")).isEqualTo("BUDGET_EXHAUSTED");
                String level = refusedBy(r);
                if (level.equals("team")) {
                    namingTeam++;
                } else {
                    assertThat(h.budget(level).committedMicros()).as("a 402 naming " + level + ": that key was full")
                            .isEqualTo(claim * 20);
                }
            }
        }
        assertThat(namingTeam).as("402s naming the team").isPositive();
    }

    @Test
    void theFourHundredAndTwoNamesTheKeyThatIsFullAndThenTheTeam() throws Exception {
        long claim = ChatCompletionsTest.claim(BODY);
        h = start(tree(claim, 3, 2));

        List<Integer> onKey0 = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            onKey0.add(h.chat(BODY, BUDGET, "key0", "x-mock-output-tokens", "50").statusCode());
        }
        HttpResponse<String> keyFull = h.chat(BODY, BUDGET, "key0", "x-mock-output-tokens", "50");
        assertThat(h.chat(BODY, BUDGET, "key1", "x-mock-output-tokens", "50").statusCode()).isEqualTo(200);
        HttpResponse<String> teamFull = h.chat(BODY, BUDGET, "key2", "x-mock-output-tokens", "50");

        assertThat(onKey0).containsExactly(200, 200, 402);
        assertThat(keyFull.statusCode()).isEqualTo(402);
        assertThat(refusedBy(keyFull)).isEqualTo("key0");
        assertThat(teamFull.statusCode()).isEqualTo(402);
        assertThat(refusedBy(teamFull)).isEqualTo("team");
        assertThat(ProxyHarness.json(teamFull).getJsonObject("error").getJsonObject("spendguard").getLong("remaining_usd_micros"))
                .as("what the team has left").isEqualTo(claim / 2);
        assertThat(h.mock.served()).isEqualTo(3);
        h.assertSettled(3, "team");
        assertThat(h.budget("team").committedMicros()).isEqualTo(claim * 3);
        assertThat(h.budget("key2").committedMicros()).isZero();
    }
}
