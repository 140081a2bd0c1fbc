package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Budget trees on the control plane (SPEC §11): a budget names its {@code parent} on create and patch,
 * reads back its {@code parent} and {@code children}, {@code GET /v1/budgets?parent=} lists one level,
 * the ledger's refusals of a place in the tree are 400s naming the budget and the parent, deleting a
 * budget with children is a 409, and {@code spendguard_budget_info} follows every change.
 */
class BudgetTreesAdminTest extends HarnessTest {

    private HttpResponse<String> create(String id, String parent) throws Exception {
        return h.adminPost("/v1/budgets", new JsonObject().put("id", id).put("limit_usd_micros", 1_000_000).put("window", "daily")
                .put("parent", parent).encode());
    }

    private HttpResponse<String> patch(String id, String body) throws Exception {
        return h.http.send(HttpRequest.newBuilder(h.admin("/v1/budgets/" + id)).timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json").method("PATCH", HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> delete(String id) throws Exception {
        return h.http.send(HttpRequest.newBuilder(h.admin("/v1/budgets/" + id)).timeout(Duration.ofSeconds(20)).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String message(HttpResponse<String> r) {
        return ProxyHarness.json(r).getJsonObject("error").getString("message");
    }

    private static JsonArray ids(HttpResponse<String> r) {
        return new JsonArray(ProxyHarness.json(r).getJsonArray("data").stream().map(o -> ((JsonObject) o).getString("id")).toList());
    }

    /** org → team-a, team-b; team-a → agent-1. */
    private void tree() throws Exception {
        assertThat(create("org", null).statusCode()).isEqualTo(201);
        HttpResponse<String> teamA = create("team-a", "org");
        assertThat(teamA.statusCode()).as(teamA.body()).isEqualTo(201);
        assertThat(ProxyHarness.json(teamA).getString("parent")).isEqualTo("org");
        assertThat(ProxyHarness.json(teamA).getJsonArray("children")).isEmpty();
        assertThat(create("team-b", "org").statusCode()).isEqualTo(201);
        assertThat(create("agent-1", "team-a").statusCode()).isEqualTo(201);
    }

    @Test
    void aBudgetReadsBackItsParentAndChildrenAndAListingShowsOneLevel() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        tree();

        JsonObject org = ProxyHarness.json(h.adminGet("/v1/budgets/org"));
        assertThat(org.getValue("parent")).as("a root").isNull();
        assertThat(org.containsKey("parent")).isTrue();
        assertThat(org.getJsonArray("children")).containsExactly("team-a", "team-b");
        JsonObject teamA = ProxyHarness.json(h.adminGet("/v1/budgets/team-a"));
        assertThat(teamA.getString("parent")).isEqualTo("org");
        assertThat(teamA.getJsonArray("children")).containsExactly("agent-1");
        assertThat(ProxyHarness.json(h.adminGet("/v1/budgets/agent-1")).getJsonArray("children")).isEmpty();
        assertThat(h.budget("agent-1").spec().parent()).isEqualTo("team-a");

        assertThat(ids(h.adminGet("/v1/budgets?parent=org"))).containsExactlyInAnyOrder("team-a", "team-b");
        assertThat(ids(h.adminGet("/v1/budgets?parent=team-a"))).containsExactly("agent-1");
        assertThat(ids(h.adminGet("/v1/budgets?parent=agent-1"))).as("a leaf has no children").isEmpty();
        assertThat(ids(h.adminGet("/v1/budgets"))).as("without ?parent=, every budget")
                .containsExactlyInAnyOrder("default", "org", "team-a", "team-b", "agent-1");
        HttpResponse<String> unknown = h.adminGet("/v1/budgets?parent=nope");
        assertThat(unknown.statusCode()).as("an unknown parent is not an empty level").isEqualTo(404);
        assertThat(message(unknown)).contains("nope");
        assertThat(h.adminGet("/v1/budgets?parent=a%20b").statusCode()).isEqualTo(400);
        assertThat(h.adminGet("/v1/budgets?parent=org&parent=team-a").statusCode()).isEqualTo(400);
    }

    @Test
    void aPatchMovesABudgetOrMakesItARootAndKeepsItsParentWhenNotNamed() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        tree();

        HttpResponse<String> moved = patch("agent-1", "{\"parent\":\"team-b\"}");
        assertThat(moved.statusCode()).as(moved.body()).isEqualTo(200);
        assertThat(ProxyHarness.json(moved).getString("parent")).isEqualTo("team-b");
        assertThat(ProxyHarness.json(h.adminGet("/v1/budgets/team-b")).getJsonArray("children")).containsExactly("agent-1");
        assertThat(ProxyHarness.json(h.adminGet("/v1/budgets/team-a")).getJsonArray("children")).isEmpty();

        HttpResponse<String> limit = patch("agent-1", "{\"limit_usd_micros\":5}");
        assertThat(ProxyHarness.json(limit).getString("parent")).as("a patch that does not name parent keeps it").isEqualTo("team-b");

        HttpResponse<String> root = patch("team-b", "{\"parent\":null}");
        assertThat(root.statusCode()).isEqualTo(200);
        assertThat(ProxyHarness.json(root).getValue("parent")).isNull();
        assertThat(ProxyHarness.json(root).getJsonArray("children")).as("its own children stay").containsExactly("agent-1");
        assertThat(ProxyHarness.json(h.adminGet("/v1/budgets/org")).getJsonArray("children")).containsExactly("team-a");
    }

    @Test
    void aParentThatIsNoIdOrTheBudgetItselfIs400() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        assertThat(create("org", null).statusCode()).isEqualTo(201);

        HttpResponse<String> badId = h.adminPost("/v1/budgets", "{\"id\":\"x\",\"limit_usd_micros\":1,\"parent\":\"../org\"}");
        assertThat(badId.statusCode()).isEqualTo(400);
        assertThat(message(badId)).startsWith("parent: ");
        assertThat(h.adminPost("/v1/budgets", "{\"id\":\"x\",\"limit_usd_micros\":1,\"parent\":7}").statusCode()).isEqualTo(400);
        HttpResponse<String> self = h.adminPost("/v1/budgets", "{\"id\":\"x\",\"limit_usd_micros\":1,\"parent\":\"x\"}");
        assertThat(self.statusCode()).isEqualTo(400);
        assertThat(message(self)).contains("parent").contains("x");
        HttpResponse<String> selfPatch = patch("org", "{\"parent\":\"org\"}");
        assertThat(selfPatch.statusCode()).isEqualTo(400);
        assertThat(h.adminGet("/v1/budgets/x").statusCode()).as("nothing created").isEqualTo(404);
    }

    /** The ledger validates the tree (the memory ledger of the tree SPI). */
    @Test
    void anUnknownParentACycleOrATreeTooDeepIs400NamingTheBudgetAndTheParent() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        tree();

        HttpResponse<String> unknown = create("team-c", "nope");
        assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(400);
        assertThat(message(unknown)).contains("team-c").contains("nope").contains("does not exist");
        assertThat(h.adminGet("/v1/budgets/team-c").statusCode()).isEqualTo(404);
        HttpResponse<String> unknownPatch = patch("team-a", "{\"parent\":\"nope\"}");
        assertThat(unknownPatch.statusCode()).isEqualTo(400);
        assertThat(message(unknownPatch)).contains("team-a").contains("nope");

        HttpResponse<String> cycle = patch("org", "{\"parent\":\"agent-1\"}");
        assertThat(cycle.statusCode()).as(cycle.body()).isEqualTo(400);
        assertThat(message(cycle)).contains("org").contains("agent-1").contains("cycle");
        assertThat(ProxyHarness.json(h.adminGet("/v1/budgets/org")).getValue("parent")).as("unchanged").isNull();

        String parent = "agent-1";
        for (int level = 4; level <= 8; level++) {
            assertThat(create("l" + level, parent).statusCode()).as("level " + level).isEqualTo(201);
            parent = "l" + level;
        }
        HttpResponse<String> deep = create("l9", "l8");
        assertThat(deep.statusCode()).as(deep.body()).isEqualTo(400);
        assertThat(message(deep)).contains("l9").contains("l8").contains("8 levels");
    }

    /** The ledger refuses to delete a budget with children (the memory ledger of the tree SPI). */
    @Test
    void deletingABudgetWithChildrenIs409AndALeafGoes() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        tree();

        HttpResponse<String> refused = delete("team-a");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
        assertThat(message(refused)).contains("team-a").contains("agent-1");
        assertThat(h.adminGet("/v1/budgets/team-a").statusCode()).isEqualTo(200);

        assertThat(delete("agent-1").statusCode()).isEqualTo(200);
        assertThat(ProxyHarness.json(h.adminGet("/v1/budgets/team-a")).getJsonArray("children")).isEmpty();
        assertThat(delete("team-a").statusCode()).isEqualTo(200);
    }

    @Test
    void theBudgetInfoMetricFollowsTheTree() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", ""));
        tree();

        String scrape = h.adminGet("/metrics").body();
        assertThat(scrape).contains("# HELP spendguard_budget_info ")
                .contains("spendguard_budget_info{budget_id=\"default\",parent=\"\"} 1")
                .contains("spendguard_budget_info{budget_id=\"org\",parent=\"\"} 1")
                .contains("spendguard_budget_info{budget_id=\"team-a\",parent=\"org\"} 1")
                .contains("spendguard_budget_info{budget_id=\"agent-1\",parent=\"team-a\"} 1");

        assertThat(patch("agent-1", "{\"parent\":\"team-b\"}").statusCode()).isEqualTo(200);
        assertThat(delete("team-a").statusCode()).isEqualTo(200);
        scrape = h.adminGet("/metrics").body();
        assertThat(scrape).contains("spendguard_budget_info{budget_id=\"agent-1\",parent=\"team-b\"} 1")
                .doesNotContain("spendguard_budget_info{budget_id=\"agent-1\",parent=\"team-a\"}")
                .doesNotContain("budget_id=\"team-a\"");
    }
}
