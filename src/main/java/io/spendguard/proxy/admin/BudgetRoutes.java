package io.spendguard.proxy.admin;

import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The budget routes of the admin API: {@code POST /v1/budgets} (201; 409 if it exists — of concurrent
 * creations of one id exactly one wins, in the ledger itself), {@code GET /v1/budgets},
 * {@code GET /v1/budgets/{id}}, {@code PATCH /v1/budgets/{id}} and {@code DELETE /v1/budgets/{id}}
 * (409 while reservations are held against it). Changes apply to the next call, without a restart.
 * Bodies are read exactly ({@link Fields}): ids follow the id grammar, amounts are whole µUSD from 0
 * to 2^63-1, ratios are from 0 to 1, and an unknown field is refused rather than ignored. A budget
 * may name its {@code tenant}: then only that tenant's keys charge it (without one, every key may).
 */
final class BudgetRoutes {
    /**
     * What a budget body may hold. {@code soft_limit_ratio} is checked (0 to 1) but not acted on yet.
     */
    private static final String[] FIELDS = {"id", "limit_usd_micros", "window", "timezone", "approval_above_usd_micros",
        "soft_limit_ratio", "default", "degrade_to", "tenant"};

    private final Engine engine;
    private final ProxyMetrics metrics;

    BudgetRoutes(Engine engine, ProxyMetrics metrics) {
        this.engine = engine;
        this.metrics = metrics;
    }

    void mount(Router r) {
        r.post("/v1/budgets").handler(this::create);
        r.get("/v1/budgets").handler(ctx -> AdminApi.reply(ctx, engine.ledger().budgets().map(list ->
                new JsonObject().put("data", new JsonArray(list.stream().map(BudgetState::toJson).toList()))), 200));
        r.get("/v1/budgets/:id").handler(ctx -> AdminApi.reply(ctx, engine.ledger().budget(ctx.pathParam("id")).map(BudgetState::toJson), 200));
        r.patch("/v1/budgets/:id").handler(this::patch);
        r.delete("/v1/budgets/:id").handler(this::delete);
    }

    private void create(RoutingContext ctx) {
        JsonObject body = AdminApi.body(ctx);
        if (body == null) {
            return;
        }
        BudgetSpec spec;
        try {
            Fields.only(body, "", FIELDS);
            Fields.ratio(body, "soft_limit_ratio");
            spec = new BudgetSpec(Fields.id(body, "id", null), amount(body, "limit_usd_micros", null),
                    AdminApi.string(body, "window", "none"), AdminApi.string(body, "timezone", "UTC"),
                    optionalAmount(body, "approval_above_usd_micros"), bool(body, "default", false), degradeTo(body, null),
                    tenant(body, null));
        } catch (IllegalArgumentException | ClassCastException e) {
            AdminApi.error(ctx, 400, e.getMessage());
            return;
        }
        AdminApi.reply(ctx, engine.createBudget(spec).onSuccess(this::publish).map(BudgetState::toJson), 201);
    }

    private void patch(RoutingContext ctx) {
        JsonObject body = AdminApi.body(ctx);
        if (body == null) {
            return;
        }
        Future<BudgetState> patched = engine.ledger().budget(ctx.pathParam("id")).compose(state -> {
            BudgetSpec old = state.spec();
            Fields.only(body, "", FIELDS);
            if (body.containsKey("id") && !old.id().equals(body.getValue("id"))) {
                throw new IllegalArgumentException("id: differs from the budget in the path (expected: leave it out, or " + old.id() + ")");
            }
            Fields.ratio(body, "soft_limit_ratio");
            Long approval = body.containsKey("approval_above_usd_micros")
                    ? optionalAmount(body, "approval_above_usd_micros") : old.approvalAboveMicros();
            BudgetSpec spec = new BudgetSpec(old.id(), amount(body, "limit_usd_micros", old.limitMicros()),
                    AdminApi.string(body, "window", old.window()), AdminApi.string(body, "timezone", old.timezone()), approval,
                    bool(body, "default", old.isDefault()),
                    body.containsKey("degrade_to") ? degradeTo(body, null) : old.degradeTo(),
                    body.containsKey("tenant") ? tenant(body, null) : old.tenant());
            return engine.putBudget(spec).onSuccess(this::publish);
        });
        AdminApi.reply(ctx, patched.map(BudgetState::toJson), 200);
    }

    private void delete(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        engine.deleteBudget(id).onComplete(ar -> {
            if (ar.succeeded()) {
                metrics.budget(id, 0, 0);
                AdminApi.json(ctx, 200, ar.result().toJson().put("deleted", true));
            } else if (ar.cause() instanceof IllegalStateException) {
                AdminApi.error(ctx, 409, ar.cause().getMessage());
            } else {
                AdminApi.reply(ctx, Future.failedFuture(ar.cause()), 200);
            }
        });
    }

    /** A µUSD amount from 0 to {@link Long#MAX_VALUE}; {@code def} when absent or null (null {@code def}: required). */
    private static Long amount(JsonObject body, String key, Long def) {
        return Fields.wholeNumber(body, key, 0, Long.MAX_VALUE, def);
    }

    /** A µUSD amount from 0 to {@link Long#MAX_VALUE}, or null (none) when absent or null. */
    private static Long optionalAmount(JsonObject body, String key) {
        return body.getValue(key) == null ? null : amount(body, key, null);
    }

    /** {@code tenant}: whose budget it is (the id grammar), or {@code def} when absent or null (null: of no tenant, any key's). */
    private static String tenant(JsonObject body, String def) {
        return body.getValue("tenant") == null ? def : Fields.id(body, "tenant", null);
    }

    private static boolean bool(JsonObject body, String key, boolean def) {
        Object v = body.getValue(key);
        if (v == null) {
            return def;
        }
        if (!(v instanceof Boolean b)) {
            throw new IllegalArgumentException(key + ": " + v + " (expected: true or false)");
        }
        return b;
    }

    /** {@code degrade_to: {model, below_remaining_usd_micros}}, or {@code def} when absent or null. */
    private static BudgetSpec.DegradeTo degradeTo(JsonObject body, BudgetSpec.DegradeTo def) {
        Object v = body.getValue("degrade_to");
        if (v == null) {
            return def;
        }
        if (!(v instanceof JsonObject d)) {
            throw new IllegalArgumentException("degrade_to: expected an object {model, below_remaining_usd_micros}");
        }
        Fields.only(d, "degrade_to.", "model", "below_remaining_usd_micros");
        try {
            return new BudgetSpec.DegradeTo(Fields.text(d, "model", Fields.MAX_NAME, null), amount(d, "below_remaining_usd_micros", null));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().startsWith("degrade_to.") ? e.getMessage() : "degrade_to." + e.getMessage());
        }
    }

    private void publish(BudgetState s) {
        metrics.budget(s.spec().id(), s.spec().limitMicros(), s.remainingMicros());
    }
}
