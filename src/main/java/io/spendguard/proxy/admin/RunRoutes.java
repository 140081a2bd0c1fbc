package io.spendguard.proxy.admin;

import io.spendguard.proxy.config.Ids;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.RunLimit;
import io.spendguard.proxy.ledger.RunState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;

/**
 * The agent-run routes of the admin API (SPEC §10): {@code GET /v1/runs?budget_id=&state=active|stopped&limit=}
 * (most recently seen first; {@code limit} 1 to {@value #MAX_LIMIT}, default {@value #DEFAULT_LIMIT}),
 * {@code GET /v1/runs/{id}} (404 for a run the ledger does not know) and
 * {@code POST /v1/runs/{id}/stop {reason, budget_id?}} — the kill switch: every later call of the run
 * is refused with 402 {@code RUN_STOPPED}. A run not seen yet is created stopped (charged to
 * {@code budget_id} when given); stopping a stopped run keeps its first reason. The ledger writes the
 * {@code run.stop} audit record in the stop's own transaction.
 */
final class RunRoutes {
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;

    private final Ledger ledger;

    RunRoutes(Ledger ledger) {
        this.ledger = ledger;
    }

    void mount(Router r) {
        r.get("/v1/runs").handler(this::list);
        r.get("/v1/runs/:id").handler(this::get);
        r.post("/v1/runs/:id/stop").handler(this::stop);
    }

    private void list(RoutingContext ctx) {
        String budget = ctx.request().getParam("budget_id");
        String state = ctx.request().getParam("state");
        String limitText = ctx.request().getParam("limit");
        Boolean stopped;
        int limit;
        try {
            if (budget != null && !budget.isEmpty() && !Ids.valid(budget)) {
                throw new IllegalArgumentException("budget_id: " + Ids.shown(budget) + " (expected: " + Ids.EXPECTED + ")");
            }
            stopped = state == null || state.isEmpty() ? null : switch (state) {
                case "active" -> false;
                case "stopped" -> true;
                default -> throw new IllegalArgumentException("state: " + Ids.shown(state) + " (expected one of: active, stopped)");
            };
            limit = limit(limitText);
        } catch (IllegalArgumentException e) {
            AdminApi.error(ctx, 400, e.getMessage());
            return;
        }
        AdminApi.reply(ctx, ledger.runs(budget == null || budget.isEmpty() ? null : budget, stopped, limit)
                .map(runs -> new JsonObject().put("data", new JsonArray(runs.stream().map(RunRoutes::toJson).toList()))), 200);
    }

    private static int limit(String text) {
        String expected = " (expected: 1 to " + MAX_LIMIT + ")";
        if (text == null) {
            return DEFAULT_LIMIT;
        }
        int limit;
        try {
            limit = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("limit: " + Ids.shown(text) + expected);
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit: " + limit + expected);
        }
        return limit;
    }

    private void get(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        if (!validRunId(id)) {
            AdminApi.error(ctx, 404, "unknown run " + Ids.shown(id));
            return;
        }
        AdminApi.reply(ctx, ledger.run(id).map(RunRoutes::toJson), 200);
    }

    private void stop(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        if (!validRunId(id)) {
            AdminApi.error(ctx, 400, "run id: " + Ids.shown(id) + " (expected: 1 to " + RunLimit.MAX_SCOPED_ID_BYTES
                    + " bytes of UTF-8, no control characters)");
            return;
        }
        JsonObject body = AdminApi.body(ctx);
        if (body == null) {
            return;
        }
        String reason;
        String budget;
        try {
            Fields.only(body, "", "reason", "budget_id");
            reason = Fields.text(body, "reason", Fields.MAX_TEXT, null);
            budget = body.getValue("budget_id") == null ? null : Fields.id(body, "budget_id", null);
        } catch (IllegalArgumentException e) {
            AdminApi.error(ctx, 400, e.getMessage());
            return;
        }
        Future<Void> budgetKnown = budget == null ? Future.succeededFuture() : ledger.budget(budget).mapEmpty();
        AdminApi.reply(ctx, budgetKnown.compose(v -> ledger.stopRun(id, budget, reason)).map(RunRoutes::toJson), 200);
    }

    /**
     * A run id as the ledger keeps one: the client's (1 to 128 bytes of UTF-8), or a tenant's
     * {@code <tenant>:<run id>}; no control characters.
     */
    static boolean validRunId(String id) {
        return id != null && !id.isEmpty() && id.getBytes(StandardCharsets.UTF_8).length <= RunLimit.MAX_SCOPED_ID_BYTES
                && id.chars().noneMatch(c -> c < 0x20 || c == 0x7f);
    }

    static JsonObject toJson(RunState run) {
        return new JsonObject()
                .put("id", run.id())
                .put("budget_id", run.budgetId())
                .put("steps", run.steps())
                .put("reserved_usd_micros", run.reservedMicros())
                .put("committed_usd_micros", run.committedMicros())
                .put("first_seen", run.firstSeen().toString())
                .put("last_seen", run.lastSeen().toString())
                .put("state", run.stopped() ? "stopped" : "active")
                .put("stop_reason", run.stopReason());
    }
}
