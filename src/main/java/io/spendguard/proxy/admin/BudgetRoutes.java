package io.spendguard.proxy.admin;

import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.config.Ids;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.BudgetTrees;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.ledger.LedgerException;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * The budget routes of the admin API: {@code POST /v1/budgets} (201; 409 if it exists — of concurrent
 * creations of one id exactly one wins, in the ledger itself), {@code GET /v1/budgets},
 * {@code GET /v1/budgets/{id}}, {@code PATCH /v1/budgets/{id}} and {@code DELETE /v1/budgets/{id}}
 * (409 while reservations are held against it). Changes apply to the next call, without a restart.
 * Bodies are read exactly ({@link Fields}): ids follow the id grammar, amounts are whole µUSD from 0
 * to 2^63-1, ratios are from 0 to 1, and an unknown field is refused rather than ignored. A budget
 * may name its {@code tenant}: then only that tenant's keys charge it (without one, every key may).
 * A budget may name its {@code parent} (SPEC §11; null in a PATCH makes it a root): an unknown parent,
 * a cycle or a tree deeper than {@link BudgetSpec#MAX_DEPTH} levels is a 400 naming the budget and the
 * parent, and deleting a budget that has children is a 409. Every budget read back carries its
 * {@code parent} and {@code children} (the ids of the budgets whose parent it is);
 * {@code GET /v1/budgets?parent=<id>} lists one level, the budget's children (404 for an unknown budget).
 */
final class BudgetRoutes {
    /**
     * What a budget body may hold. {@code soft_limit_ratio} is checked (0 to 1) but not acted on yet.
     */
    private static final String[] FIELDS = {"id", "limit_usd_micros", "window", "timezone", "approval_above_usd_micros",
        "soft_limit_ratio", "default", "degrade_to", "tenant", "parent"};

    private final Engine engine;
    private final ProxyMetrics metrics;

    BudgetRoutes(Engine engine, ProxyMetrics metrics) {
        this.engine = engine;
        this.metrics = metrics;
    }

    void mount(Router r) {
        r.post("/v1/budgets").handler(this::create);
        r.get("/v1/budgets").handler(this::list);
        r.get("/v1/budgets/:id").handler(ctx -> AdminApi.reply(ctx, engine.ledger().budget(ctx.pathParam("id")).compose(this::withChildren), 200));
        r.patch("/v1/budgets/:id").handler(this::patch);
        r.delete("/v1/budgets/:id").handler(this::delete);
    }

    /** Every budget, or with {@code ?parent=<id>} the children of that budget (404 when it does not exist). */
    private void list(RoutingContext ctx) {
        List<String> parents = ctx.queryParam("parent");
        if (parents.size() > 1 || (parents.size() == 1 && !Ids.valid(parents.get(0)))) {
            AdminApi.error(ctx, 400, "parent: " + (parents.size() > 1 ? "given twice" : Ids.shown(parents.get(0)))
                    + " (expected: one budget id, " + Ids.EXPECTED + ")");
            return;
        }
        String parent = parents.isEmpty() ? null : parents.get(0);
        Future<Void> known = parent == null ? Future.succeededFuture() : engine.ledger().budget(parent).mapEmpty();
        AdminApi.reply(ctx, known.compose(v -> engine.ledger().budgets()).map(all -> new JsonObject().put("data", new JsonArray(
                all.stream().filter(s -> parent == null || parent.equals(s.spec().parent()))
                        .map(s -> withChildren(s, all)).toList()))), 200);
    }

    private Future<JsonObject> withChildren(BudgetState state) {
        return engine.ledger().budgets().map(all -> withChildren(state, all));
    }

    private static JsonObject withChildren(BudgetState state, List<BudgetState> all) {
        return state.toJson().put("children", new JsonArray(BudgetTrees.children(all, state.spec().id())));
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
                    tenant(body, null), parent(body));
        } catch (IllegalArgumentException | ClassCastException e) {
            AdminApi.error(ctx, 400, e.getMessage());
            return;
        }
        AdminApi.reply(ctx, engine.createBudget(spec).recover(e -> treeRefusal(spec, e)).onSuccess(this::publish)
                .map(s -> s.toJson().put("children", new JsonArray())), 201);
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
                    body.containsKey("tenant") ? tenant(body, null) : old.tenant(),
                    body.containsKey("parent") ? parent(body) : old.parent());
            return engine.putBudget(spec).recover(e -> treeRefusal(spec, e)).onSuccess(this::publish);
        });
        AdminApi.reply(ctx, patched.compose(this::withChildren), 200);
    }

    private void delete(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        engine.deleteBudget(id).onComplete(ar -> {
            if (ar.succeeded()) {
                metrics.budget(id, 0, 0);
                metrics.budgetRemoved(id);
                AdminApi.json(ctx, 200, ar.result().toJson().put("deleted", true));
            } else if (ar.cause() instanceof LedgerException le && le.kind() == LedgerException.Kind.HAS_CHILDREN) {
                engine.ledger().budgets().map(all -> BudgetTrees.children(all, id)).otherwise(List.of())
                        .onComplete(children -> AdminApi.error(ctx, 409, "budget '" + id + "' has children"
                                + (children.result().isEmpty() ? "" : " (" + String.join(", ", children.result()) + ")")
                                + ": delete them or move them under another parent first"));
            } else if (ar.cause() instanceof IllegalStateException) {
                AdminApi.error(ctx, 409, ar.cause().getMessage());
            } else {
                AdminApi.reply(ctx, Future.failedFuture(ar.cause()), 200);
            }
        });
    }

    /** {@code parent}: the budget above this one (the id grammar), or null (a root) when absent or null. */
    private static String parent(JsonObject body) {
        return body.getValue("parent") == null ? null : Fields.id(body, "parent", null);
    }

    /** The ledger's refusal of {@code spec}'s place in the tree as a 400 naming the budget and its parent; any other failure as it is. */
    static <T> Future<T> treeRefusal(BudgetSpec spec, Throwable e) {
        String message = e instanceof LedgerException le ? treeMessage(le.kind(), spec.id(), spec.parent()) : null;
        return Future.failedFuture(message == null ? e : new IllegalArgumentException(message));
    }

    /** What is wrong with budget {@code id} under {@code parent}, for a tree refusal of {@code kind}; null for another kind. */
    static String treeMessage(LedgerException.Kind kind, String id, String parent) {
        return switch (kind) {
            case UNKNOWN_PARENT -> "parent: budget '" + id + "' names parent '" + parent
                    + "', which does not exist (expected: the id of an existing budget, or null for a root)";
            case BUDGET_CYCLE -> "parent: budget '" + id + "' cannot go under '" + parent + "': '" + parent
                    + "' is below '" + id + "' (a cycle; expected: a budget outside its subtree)";
            case TREE_TOO_DEEP -> "parent: budget '" + id + "' under '" + parent + "' would make the tree deeper than "
                    + BudgetSpec.MAX_DEPTH + " levels (expected: at most " + BudgetSpec.MAX_DEPTH + ", root and leaf included)";
            default -> null;
        };
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
        metrics.budgetInfo(s.spec().id(), s.spec().parent());
    }
}
