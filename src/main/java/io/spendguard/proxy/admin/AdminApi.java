package io.spendguard.proxy.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spendguard.proxy.auth.VirtualKeys;
import io.spendguard.proxy.engine.Approval;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.engine.LedgerException;
import io.spendguard.proxy.gate.Gate;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * The control plane on the admin port: budgets, approvals, virtual keys, Prometheus metrics and
 * health. Every route but {@code /metrics}, {@code /healthz} and {@code /readyz} needs
 * {@code Authorization: Bearer <admin.token>} when a token is configured. Without an engine (a proxy
 * whose budgets live in the sidecar) it serves keys, metrics and health only.
 */
public final class AdminApi {
    private final Engine engine;
    private final Gate gate;
    private final ProxyMetrics metrics;
    private final PrometheusMeterRegistry prometheus;
    private final String token;
    private final BooleanSupplier draining;
    private final KeyRoutes keys;

    /** An admin API without virtual keys ({@code auth.mode: passthrough}, or the sidecar's own). */
    public AdminApi(Engine engine, Gate gate, ProxyMetrics metrics, PrometheusMeterRegistry prometheus, String token,
                    BooleanSupplier draining) {
        this(engine, gate, metrics, prometheus, token, draining, null);
    }

    /** {@code keys} is the virtual-key store, or null when virtual keys are off. */
    public AdminApi(Engine engine, Gate gate, ProxyMetrics metrics, PrometheusMeterRegistry prometheus, String token,
                    BooleanSupplier draining, VirtualKeys keys) {
        this.engine = engine;
        this.gate = gate;
        this.metrics = metrics;
        this.prometheus = prometheus;
        this.token = token == null ? "" : token;
        this.draining = draining;
        this.keys = new KeyRoutes(keys, engine);
    }

    public Router router(Vertx vertx) {
        Router r = Router.router(vertx);
        r.get("/healthz").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "up")));
        r.get("/readyz").handler(this::ready);
        r.get("/metrics").handler(ctx -> ctx.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
                .end(prometheus.scrape()));
        r.route("/v1/*").handler(this::authorize);
        r.route("/v1/*").handler(BodyHandler.create(false).setBodyLimit(64 * 1024));
        keys.mount(r);
        if (engine == null) {
            r.route("/v1/*").handler(ctx -> error(ctx, 404,
                    "budgets and approvals live in the sidecar (gate.mode: sidecar): use the sidecar's admin API"));
            return r;
        }
        r.post("/v1/budgets").handler(this::createBudget);
        r.get("/v1/budgets").handler(ctx -> reply(ctx, engine.ledger().budgets().map(list ->
                new JsonObject().put("data", new JsonArray(list.stream().map(BudgetState::toJson).toList()))), 200));
        r.get("/v1/budgets/:id").handler(ctx -> reply(ctx, engine.ledger().budget(ctx.pathParam("id")).map(BudgetState::toJson), 200));
        r.patch("/v1/budgets/:id").handler(this::patchBudget);
        r.get("/v1/approvals").handler(this::listApprovals);
        r.get("/v1/approvals/:id").handler(ctx -> engine.approvals().get(ctx.pathParam("id")).ifPresentOrElse(
                a -> json(ctx, 200, a.toJson()), () -> error(ctx, 404, "unknown approval " + ctx.pathParam("id"))));
        r.post("/v1/approvals/:id/resolve").handler(this::resolve);
        r.route().last().handler(ctx -> error(ctx, 404, "no route " + ctx.request().method() + " " + ctx.request().path()));
        return r;
    }

    private void ready(RoutingContext ctx) {
        boolean ok = gate.ready() && !draining.getAsBoolean();
        json(ctx, ok ? 200 : 503, new JsonObject().put("status", ok ? "ready" : "not_ready")
                .put("gate", gate.ready()).put("draining", draining.getAsBoolean()));
    }

    private void authorize(RoutingContext ctx) {
        if (token.isEmpty()) {
            ctx.next();
            return;
        }
        String header = ctx.request().getHeader("authorization");
        String presented = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
        if (MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
            ctx.next();
        } else {
            error(ctx, 401, "missing or wrong admin token (Authorization: Bearer <admin.token>)");
        }
    }

    private void createBudget(RoutingContext ctx) {
        JsonObject body = body(ctx);
        if (body == null) {
            return;
        }
        BudgetSpec spec;
        try {
            spec = new BudgetSpec(string(body, "id", null), longField(body, "limit_usd_micros", null),
                    string(body, "window", "none"), string(body, "timezone", "UTC"),
                    longField(body, "approval_above_usd_micros", -1L) < 0 ? null : longField(body, "approval_above_usd_micros", -1L),
                    Boolean.TRUE.equals(body.getValue("default")), degradeTo(body, null));
        } catch (IllegalArgumentException | ClassCastException e) {
            error(ctx, 400, e.getMessage());
            return;
        }
        engine.ledger().budget(spec.id()).onComplete(existing -> {
            if (existing.succeeded()) {
                error(ctx, 409, "budget " + spec.id() + " already exists (use PATCH)");
                return;
            }
            reply(ctx, engine.putBudget(spec).onSuccess(this::publish).map(BudgetState::toJson), 201);
        });
    }

    private void patchBudget(RoutingContext ctx) {
        JsonObject body = body(ctx);
        if (body == null) {
            return;
        }
        Future<BudgetState> patched = engine.ledger().budget(ctx.pathParam("id")).compose(state -> {
            BudgetSpec old = state.spec();
            Long approval = body.containsKey("approval_above_usd_micros")
                    ? (body.getValue("approval_above_usd_micros") == null ? null : longField(body, "approval_above_usd_micros", null))
                    : old.approvalAboveMicros();
            BudgetSpec spec = new BudgetSpec(old.id(), longField(body, "limit_usd_micros", old.limitMicros()),
                    string(body, "window", old.window()), string(body, "timezone", old.timezone()), approval,
                    body.containsKey("default") ? Boolean.TRUE.equals(body.getValue("default")) : old.isDefault(),
                    body.containsKey("degrade_to") ? degradeTo(body, null) : old.degradeTo());
            return engine.putBudget(spec).onSuccess(this::publish);
        });
        reply(ctx, patched.map(BudgetState::toJson), 200);
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
        return new BudgetSpec.DegradeTo(string(d, "model", null), longField(d, "below_remaining_usd_micros", null));
    }

    private void publish(BudgetState s) {
        metrics.budget(s.spec().id(), s.spec().limitMicros(), s.remainingMicros());
    }

    private void listApprovals(RoutingContext ctx) {
        String state = ctx.request().getParam("state");
        Approval.State filter;
        try {
            filter = state == null ? null : Approval.State.valueOf(state.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            error(ctx, 400, "state: " + state + " (expected one of: pending, approved, denied, expired, consumed)");
            return;
        }
        json(ctx, 200, new JsonObject().put("data", new JsonArray(engine.approvals().list(filter).stream().map(Approval::toJson).toList())));
    }

    private void resolve(RoutingContext ctx) {
        JsonObject body = body(ctx);
        if (body == null) {
            return;
        }
        Object decision = body.getValue("decision");
        if (!"approve".equals(decision) && !"deny".equals(decision)) {
            error(ctx, 400, "decision: " + decision + " (expected: approve or deny)");
            return;
        }
        Object reason = body.getValue("reason");
        engine.approvals().resolve(ctx.pathParam("id"), "approve".equals(decision), reason == null ? null : reason.toString())
                .ifPresentOrElse(a -> json(ctx, 200, a.toJson()), () -> error(ctx, 404, "unknown approval " + ctx.pathParam("id")));
    }

    static JsonObject body(RoutingContext ctx) {
        try {
            JsonObject body = ctx.body().asJsonObject();
            if (body == null) {
                error(ctx, 400, "expected a JSON object body");
            }
            return body;
        } catch (RuntimeException e) {
            error(ctx, 400, "the body is not a valid JSON object");
            return null;
        }
    }

    static String string(JsonObject o, String key, String def) {
        Object v = o.getValue(key);
        if (v == null) {
            if (def == null) {
                throw new IllegalArgumentException(key + ": missing");
            }
            return def;
        }
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException(key + ": expected a string");
        }
        return s;
    }

    private static Long longField(JsonObject o, String key, Long def) {
        Object v = o.getValue(key);
        if (v == null) {
            if (def == null) {
                throw new IllegalArgumentException(key + ": missing");
            }
            return def;
        }
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new IllegalArgumentException(key + ": " + v + " (expected: a whole number)");
        }
        return n.longValue();
    }

    static void reply(RoutingContext ctx, Future<JsonObject> result, int status) {
        result.onComplete(ar -> {
            if (ar.succeeded()) {
                json(ctx, status, ar.result());
            } else if (ar.cause() instanceof LedgerException le && le.kind() == LedgerException.Kind.UNKNOWN_BUDGET) {
                error(ctx, 404, le.getMessage());
            } else if (ar.cause() instanceof IllegalArgumentException || ar.cause() instanceof ClassCastException) {
                error(ctx, 400, ar.cause().getMessage());
            } else {
                error(ctx, 500, "internal error");
            }
        });
    }

    static void json(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
    }

    static void error(RoutingContext ctx, int status, String message) {
        json(ctx, status, new JsonObject().put("error", new JsonObject().put("message", message)
                .put("type", status == 401 ? "authentication_error" : "invalid_request_error")));
    }
}
