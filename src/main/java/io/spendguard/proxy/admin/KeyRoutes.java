package io.spendguard.proxy.admin;

import io.spendguard.proxy.audit.AuditEvent;
import io.spendguard.proxy.auth.VirtualKey;
import io.spendguard.proxy.auth.VirtualKeys;
import io.spendguard.proxy.config.ProxyConfig.KeyConfig;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.Engine;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The virtual-key routes of the admin API: {@code POST /v1/keys} makes a key and shows it once;
 * {@code GET /v1/keys}, {@code GET /v1/keys/{id}} list them without the key or its hash;
 * {@code DELETE /v1/keys/{id}} revokes one at once. With {@code auth.mode: passthrough} there are no
 * keys and these routes answer 404. Where this process keeps the budgets (an engine), each creation
 * and revocation is an audit record naming the key by id, never the key.
 */
final class KeyRoutes {
    private final VirtualKeys keys;
    private final Engine engine;

    /** {@code engine} checks that a new key's budget exists; null when budgets live in the sidecar. */
    KeyRoutes(VirtualKeys keys, Engine engine) {
        this.keys = keys;
        this.engine = engine;
    }

    void mount(Router r) {
        if (keys == null) {
            r.route("/v1/keys*").handler(ctx -> AdminApi.error(ctx, 404,
                    "virtual keys are off on this proxy (auth.mode: passthrough)"));
            return;
        }
        r.post("/v1/keys").handler(this::create);
        r.get("/v1/keys").handler(ctx -> AdminApi.reply(ctx, keys.list().map(list ->
                new JsonObject().put("data", new JsonArray(list.stream().map(VirtualKey::toJson).toList()))), 200));
        r.get("/v1/keys/:id").handler(ctx -> found(ctx, keys.get(ctx.pathParam("id"))));
        r.delete("/v1/keys/:id").handler(ctx -> found(ctx, keys.revoke(ctx.pathParam("id"))
                .compose(k -> k == null ? Future.succeededFuture(null) : recorded(AuditEvent.KEY_REVOKED, k))));
    }

    private void create(RoutingContext ctx) {
        JsonObject body = AdminApi.body(ctx);
        if (body == null) {
            return;
        }
        KeyConfig draft;
        try {
            draft = draft(body);
        } catch (IllegalArgumentException e) {
            AdminApi.error(ctx, 400, e.getMessage());
            return;
        }
        Future<BudgetState> budget = engine == null ? Future.succeededFuture() : engine.ledger().budget(draft.budgetId());
        budget.onComplete(b -> {
            if (b.failed()) {
                AdminApi.error(ctx, 400, "budget_id: no budget " + draft.budgetId() + " (create it with POST /v1/budgets first)");
                return;
            }
            if (b.result() != null && !b.result().spec().chargeableBy(draft.tenant())) {
                AdminApi.error(ctx, 400, "budget_id: " + draft.budgetId() + " belongs to tenant " + b.result().spec().tenant()
                        + " (expected: a budget of the key's tenant " + draft.tenant() + ", or of no tenant)");
                return;
            }
            String secret = VirtualKey.newSecret();
            KeyConfig definition = new KeyConfig(draft.id(), draft.name(), draft.tenant(), draft.budgetId(),
                    draft.allowBudgetHeader(), KeyConfig.sha256(secret), KeyConfig.prefix(secret));
            keys.add(definition, VirtualKeys.ADMIN).compose(k -> recorded(AuditEvent.KEY_CREATED, k))
                    // The only time the key is ever shown.
                    .onSuccess(k -> AdminApi.json(ctx, 201, k.toJson().put("key", secret)))
                    .onFailure(e -> AdminApi.error(ctx, e instanceof IllegalStateException ? 409 : 500,
                            e instanceof IllegalStateException ? e.getMessage() : "internal error"));
        });
    }

    /** {@code key} once the audit record of its change is stored (at once when budgets live in the sidecar). */
    private Future<VirtualKey> recorded(String type, VirtualKey key) {
        if (engine == null) {
            return Future.succeededFuture(key);
        }
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("key_id", key.id());
        facts.put("name", key.definition().name());
        facts.put("tenant", key.tenant());
        facts.put("source", key.source());
        return engine.ledger().audit().append(new AuditEvent(type, key.budgetId(), facts)).map(key);
    }

    /** The requested key, without its secret yet; throws naming the field at fault. */
    private static KeyConfig draft(JsonObject body) {
        Fields.only(body, "", "id", "name", "budget_id", "tenant", "allow_budget_header");
        String id = "".equals(body.getValue("id")) ? VirtualKey.newId() : Fields.id(body, "id", VirtualKey.newId());
        String budgetId = Fields.id(body, "budget_id", null);
        String tenant = AdminApi.string(body, "tenant", "default");
        if (tenant.isBlank()) {
            throw new IllegalArgumentException("tenant: empty (expected: a tenant name, or leave it out)");
        }
        Object allow = body.getValue("allow_budget_header");
        if (allow != null && !(allow instanceof Boolean)) {
            throw new IllegalArgumentException("allow_budget_header: " + allow + " (expected: true or false)");
        }
        String name = Fields.text(body, "name", Fields.MAX_NAME, "");
        return new KeyConfig(id, name.isEmpty() ? null : name, tenant, budgetId, Boolean.TRUE.equals(allow), null, null);
    }

    /** Answers with the key, or 404 when there is none. */
    private static void found(RoutingContext ctx, Future<VirtualKey> key) {
        key.onComplete(ar -> {
            if (ar.succeeded() && ar.result() == null) {
                AdminApi.error(ctx, 404, "unknown key " + ctx.pathParam("id"));
            } else {
                AdminApi.reply(ctx, key.map(VirtualKey::toJson), 200);
            }
        });
    }
}
