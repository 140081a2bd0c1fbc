package io.spendguard.proxy.pipeline;

import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.config.ProxyConfig.ProviderConfig;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.DecisionRequest;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.spendguard.proxy.estimate.Estimator;
import io.spendguard.proxy.forward.Headers;
import io.spendguard.proxy.forward.Relay;
import io.spendguard.proxy.forward.Upstream;
import io.spendguard.proxy.gate.Gate;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.settle.Settlement;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The one place that knows the order of a gated call, once its body is read:
 * parse → estimate → deduplicate → gate → forward (relay settles). Every admitted call ends in
 * exactly one commit or release, whichever way it ends.
 */
public final class Pipeline {
    private static final Logger LOG = Logger.getLogger(Pipeline.class.getName());
    /** Bodies above this are parsed and tokenised on a worker thread, never on the event loop. */
    static final int WORKER_PARSE_BYTES = 128 * 1024;

    private final Vertx vertx;
    private final ProxyConfig config;
    private final Estimator estimator;
    private final Gate gate;
    private final Upstream upstream;
    private final Idempotency idempotency;
    private final ProxyMetrics metrics;

    public Pipeline(Vertx vertx, ProxyConfig config, Estimator estimator, Gate gate, Upstream upstream, Idempotency idempotency,
                    ProxyMetrics metrics) {
        this.vertx = vertx;
        this.config = config;
        this.estimator = estimator;
        this.gate = gate;
        this.upstream = upstream;
        this.idempotency = idempotency;
        this.metrics = metrics;
    }

    /** Runs a call whose body has been read; fails with a {@link ProxyException} for every refusal. */
    public Future<Void> run(Exchange x) {
        if (x.body.length() > WORKER_PARSE_BYTES) {
            return vertx.executeBlocking(() -> {
                parse(x);
                return x;
            }, false).compose(this::admitAndForward);
        }
        parse(x);
        return admitAndForward(x);
    }

    private Future<Void> admitAndForward(Exchange x) {
        Idempotency.Replay replay = deduplicate(x);
        if (replay != null) {
            return replay(x, replay);
        }
        return decide(x)
                .compose(v -> forward(x))
                .andThen(ar -> {
                    if (x.idempotencyKey != null && (ar.failed() || x.replay == null)) {
                        idempotency.forget(x.idempotencyKey);
                    } else if (x.idempotencyKey != null) {
                        idempotency.complete(x.idempotencyKey, x.replay);
                    }
                });
    }

    private void parse(Exchange x) {
        try {
            x.json = new JsonObject(x.body);
        } catch (DecodeException | ClassCastException e) {
            throw ProxyError.INVALID_REQUEST.exception("The request body is not a valid JSON object.");
        }
        x.spec = x.shape.parse(x.json);
        credentials(x);
        x.budgetId = budgetId(x);
        x.estimate = estimator.estimate(x.spec);
        x.requestHash = sha256(x.shape.route(), x.body);
        x.state = Exchange.State.ESTIMATED;
    }

    /** Passthrough auth: the client's provider key goes through; the configured key fills in when it sent none. */
    private void credentials(Exchange x) {
        ProviderConfig p = provider(x);
        String header = "anthropic".equals(x.shape.provider()) ? "x-api-key" : "authorization";
        if (x.request.getHeader(header) == null && (p.apiKey() == null || p.apiKey().isEmpty())) {
            throw ProxyError.UNAUTHENTICATED.exception("No API key: send your provider key in the "
                    + (header.equals("authorization") ? "Authorization header (Bearer)" : "x-api-key header") + ".");
        }
    }

    private Idempotency.Replay deduplicate(Exchange x) {
        String key = x.request.getHeader("Idempotency-Key");
        if (key == null) {
            key = x.request.getHeader("X-SpendGuard-Idempotency-Key");
        }
        if (key == null || key.isBlank()) {
            return null;
        }
        if (key.length() > 256) {
            throw ProxyError.INVALID_REQUEST.exception("The idempotency key is longer than 256 characters.");
        }
        x.idempotencyKey = x.shape.route() + ":" + key;
        Idempotency.Replay replay = idempotency.begin(x.idempotencyKey, x.requestHash);
        if (replay != null) {
            x.idempotencyKey = null;
        }
        return replay;
    }

    private Future<Void> replay(Exchange x, Idempotency.Replay replay) {
        x.outcome = "replayed";
        x.state = Exchange.State.DONE;
        var out = x.request.response();
        out.setStatusCode(replay.status());
        out.headers().addAll(replay.headers()).set("X-SpendGuard-Idempotent-Replay", "true");
        return out.end(replay.body());
    }

    private Future<Void> decide(Exchange x) {
        DecisionRequest request = new DecisionRequest(decisionId(x), x.budgetId, x.estimate.claimMicros(), x.spec.model(),
                x.requestHash, x.request.getHeader("X-SpendGuard-Run-Id"), x.request.getHeader("X-SpendGuard-Approval-Id"),
                x.idempotencyKey, x.estimate.inputTokens(), x.estimate.outputCeiling(), x.estimate.pricingVersion(), false);
        long started = System.nanoTime();
        Future<Decision> pending = gate.decide(request);
        return pending.timeout(config.gate().timeoutMs(), TimeUnit.MILLISECONDS)
                .andThen(ar -> metrics.gateDuration(gate.mode(), System.nanoTime() - started))
                .recover(e -> gateFailed(pending, e))
                .compose(d -> admit(x, d));
    }

    private Future<Decision> gateFailed(Future<Decision> pending, Throwable e) {
        if (e instanceof ProxyException) {
            return Future.failedFuture(e);
        }
        String reason = e instanceof java.util.concurrent.TimeoutException ? "timeout" : "error";
        metrics.gateFailure(reason);
        // A decision that lands after we gave up must not keep its hold.
        pending.onSuccess(late -> {
            if (late.outcome().admits()) {
                gate.release(late, "gate_timeout");
            }
        });
        if (config.gate().failOpen()) {
            metrics.failOpen();
            LOG.warning("gate " + reason + " (" + e.getMessage() + "): forwarding without a reservation (fail_mode: open)");
            return Future.succeededFuture(null);
        }
        LOG.warning("gate " + reason + " (" + e.getMessage() + "): refusing with 503 (fail_mode: closed)");
        return Future.failedFuture(ProxyError.GATE_UNAVAILABLE.exception("The budget gate is unavailable; the call was not sent.")
                .header("Retry-After", "1"));
    }

    private Future<Void> admit(Exchange x, Decision d) {
        if (d == null) {
            x.outcome = "fail_open";
            return Future.succeededFuture();
        }
        metrics.decision(d.outcome().name());
        if (!d.outcome().admits()) {
            return Future.failedFuture(Refusals.of(d));
        }
        x.decision = d;
        x.state = Exchange.State.ADMITTED;
        metrics.reserved(d.reservedMicros());
        if (x.clientGone) {
            gate.release(d, "client_gone_before_forward");
            return Future.failedFuture(ProxyError.CLIENT_CLOSED.exception("The client went away before the call was sent."));
        }
        return Future.succeededFuture();
    }

    private Future<Void> forward(Exchange x) {
        ProviderConfig p = provider(x);
        MultiMap headers = Headers.upstream(x.request.headers());
        if ("anthropic".equals(x.shape.provider())) {
            if (headers.get("x-api-key") == null) {
                headers.set("x-api-key", p.apiKey());
            }
        } else if (headers.get("authorization") == null) {
            headers.set("authorization", "Bearer " + p.apiKey());
        }
        Buffer body = x.body;
        boolean injected = false;
        if (x.spec.stream()) {
            Buffer rewritten = x.shape.withStreamUsage(x.body, x.json);
            if (rewritten != null) {
                body = rewritten;
                injected = true;
                metrics.usageInjected();
            }
        }
        headers.set("content-type", x.request.getHeader("content-type") == null ? "application/json" : x.request.getHeader("content-type"));
        x.settlement = new Settlement(gate, metrics, x.decision, x.estimate, x.shape.provider(),
                estimator.prices().metricLabel(x.spec.model()));
        MultiMap decisionHeaders = MultiMap.caseInsensitiveMultiMap();
        if (x.decision != null) {
            decisionHeaders.set("X-SpendGuard-Decision-Id", x.decision.decisionId())
                    .set("X-SpendGuard-Reserved-Usd-Micros", Long.toString(x.decision.reservedMicros()));
        }
        x.state = Exchange.State.FORWARDED;
        boolean dropUsage = injected;
        String encoding = x.estimate.price().encoding();
        Upstream.Call call = upstream.call(p, HttpMethod.POST, x.request.uri(), headers, body);
        return new Relay(x.request.response(), call, x.settlement, x.shape,
                () -> x.shape.scanner(estimator.tokens(), encoding, dropUsage), decisionHeaders, metrics)
                .run()
                .map(reply -> {
                    x.outcome = reply.outcome();
                    x.state = Exchange.State.DONE;
                    if (reply.body() != null && reply.status() / 100 == 2) {
                        x.replay = new Idempotency.Replay(reply.status(), reply.headers(), reply.body());
                    }
                    return null;
                });
    }

    private ProviderConfig provider(Exchange x) {
        return "anthropic".equals(x.shape.provider()) ? config.anthropic() : config.openai();
    }

    private String budgetId(Exchange x) {
        String id = x.request.getHeader("X-SpendGuard-Budget-Id");
        if (id == null) {
            return null;
        }
        if (!config.auth().trustBudgetHeader()) {
            throw ProxyError.BUDGET_HEADER_NOT_TRUSTED.exception(
                    "X-SpendGuard-Budget-Id is not accepted here (auth.trust_budget_header is false).");
        }
        return id;
    }

    private static String decisionId(Exchange x) {
        return x.idempotencyKey == null
                ? UUID.randomUUID().toString()
                : UUID.nameUUIDFromBytes(("spendguard:decision:" + x.idempotencyKey).getBytes(StandardCharsets.UTF_8)).toString();
    }

    static String sha256(String route, Buffer body) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(route.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(body.getBytes());
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Marks that the client went away before the call was forwarded (a reservation then is released). */
    public static void clientGone(Exchange x) {
        x.clientGone = true;
    }
}
