package io.spendguard.proxy.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spendguard.proxy.auth.VirtualKeys;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.gate.Gate;
import io.spendguard.proxy.ledger.LedgerException;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.function.BooleanSupplier;

/**
 * The control plane on the admin port: budgets ({@link BudgetRoutes}), approvals
 * ({@link ApprovalRoutes}), agent runs ({@link RunRoutes}), virtual keys ({@link KeyRoutes}), the audit chain ({@link AuditRoutes}),
 * Prometheus metrics and health. Every change made here is an audit record. Every
 * route but {@code /metrics}, {@code /healthz} and {@code /readyz} needs
 * {@code Authorization: Bearer <admin.token>} when a token is configured (the config refuses a
 * non-loopback admin listener without one); a missing or wrong token is a 401 that never echoes what
 * was sent. Every answer, errors and unknown routes included, is JSON. Without an engine (a proxy
 * whose budgets live in the sidecar) it serves keys, metrics and health only.
 */
public final class AdminApi {
    private final Engine engine;
    private final Gate gate;
    private final ProxyMetrics metrics;
    private final PrometheusMeterRegistry prometheus;
    private final byte[] tokenDigest;
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
        this.tokenDigest = token == null || token.isEmpty() ? null : sha256(token);
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
                    "budgets, approvals and runs live in the sidecar (gate.mode: sidecar): use the sidecar's admin API"));
        } else {
            new BudgetRoutes(engine, metrics).mount(r);
            new ApprovalRoutes(engine.approvals(), engine.ledger().audit()).mount(r);
            new RunRoutes(engine.ledger()).mount(r);
            new AuditRoutes(engine.ledger().audit()).mount(r);
        }
        r.route().last().handler(ctx -> error(ctx, 404, "no route " + ctx.request().method() + " " + ctx.request().path()));
        r.errorHandler(413, ctx -> error(ctx, 413, "the body is larger than 64 KiB"));
        r.errorHandler(500, ctx -> error(ctx, 500, "internal error"));
        return r;
    }

    private void ready(RoutingContext ctx) {
        boolean ok = gate.ready() && !draining.getAsBoolean();
        json(ctx, ok ? 200 : 503, new JsonObject().put("status", ok ? "ready" : "not_ready")
                .put("gate", gate.ready()).put("draining", draining.getAsBoolean()));
    }

    /** Compares digests, so the comparison takes the same time whatever the length or content presented. */
    private void authorize(RoutingContext ctx) {
        if (tokenDigest == null) {
            ctx.next();
            return;
        }
        String header = ctx.request().getHeader("authorization");
        String presented = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
        if (MessageDigest.isEqual(sha256(presented), tokenDigest)) {
            ctx.next();
        } else {
            ctx.response().putHeader("www-authenticate", "Bearer realm=\"spendguard-admin\"");
            error(ctx, 401, "missing or wrong admin token (Authorization: Bearer <admin.token>)");
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    /** The body read exactly ({@link Fields#object}), or null once a 400 naming what is wrong has been sent. */
    static JsonObject body(RoutingContext ctx) {
        try {
            return Fields.object(ctx.body().buffer());
        } catch (IllegalArgumentException e) {
            error(ctx, 400, e.getMessage());
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

    static void reply(RoutingContext ctx, Future<JsonObject> result, int status) {
        result.onComplete(ar -> {
            if (ar.succeeded()) {
                json(ctx, status, ar.result());
            } else if (ar.cause() instanceof LedgerException le && (le.kind() == LedgerException.Kind.UNKNOWN_BUDGET
                    || le.kind() == LedgerException.Kind.UNKNOWN_RUN)) {
                error(ctx, 404, le.getMessage());
            } else if (ar.cause() instanceof LedgerException le && (le.kind() == LedgerException.Kind.BUDGET_EXISTS
                    || le.kind() == LedgerException.Kind.HAS_CHILDREN)) {
                error(ctx, 409, le.getMessage());
            } else if (ar.cause() instanceof IllegalArgumentException || ar.cause() instanceof ClassCastException
                    || (ar.cause() instanceof LedgerException le && (le.kind() == LedgerException.Kind.UNKNOWN_PARENT
                    || le.kind() == LedgerException.Kind.BUDGET_CYCLE || le.kind() == LedgerException.Kind.TREE_TOO_DEEP))) {
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
        json(ctx, status, errorBody(status, message));
    }

    static JsonObject errorBody(int status, String message) {
        String type = switch (status) {
            case 401 -> "authentication_error";
            case 404 -> "not_found_error";
            case 409 -> "conflict_error";
            case 500 -> "internal_error";
            default -> "invalid_request_error";
        };
        return new JsonObject().put("error", new JsonObject().put("message", message).put("type", type));
    }
}
