package io.spendguard.proxy.pipeline;

import io.spendguard.proxy.auth.Credentials;
import io.spendguard.proxy.auth.VirtualKey;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.config.ProxyConfig.ProviderConfig;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.DecisionRequest;
import io.spendguard.proxy.ledger.IdempotencyStore.Reply;
import io.spendguard.proxy.engine.Mutation;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.spendguard.proxy.estimate.Estimator;
import io.spendguard.proxy.forward.Headers;
import io.spendguard.proxy.forward.Relay;
import io.spendguard.proxy.forward.Upstream;
import io.spendguard.proxy.gate.Gate;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.provider.RequestJson;
import io.spendguard.proxy.provider.Rewrites;
import io.spendguard.proxy.settle.Settlement;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The one place that knows the order of a gated call: {@link #authenticate} before its body is read,
 * then parse → estimate → deduplicate → gate → forward (relay settles). Every admitted call ends in
 * exactly one commit or release, whichever way it ends.
 */
public final class Pipeline {
    private static final Logger LOG = Logger.getLogger(Pipeline.class.getName());
    /** Bodies above this are parsed and tokenised on a worker thread, never on the event loop. */
    static final int WORKER_PARSE_BYTES = 128 * 1024;
    /** One digest per thread (event loops and workers), reset by each {@code digest()}: no provider lookup per call. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(Pipeline::newSha256);
    private static final HexFormat HEX = HexFormat.of();

    private final Vertx vertx;
    private final ProxyConfig config;
    private final Estimator estimator;
    private final Gate gate;
    private final Upstream upstream;
    private final Idempotency idempotency;
    private final ProxyMetrics metrics;
    private final Credentials credentials;

    public Pipeline(Vertx vertx, ProxyConfig config, Estimator estimator, Gate gate, Upstream upstream, Idempotency idempotency,
                    ProxyMetrics metrics, Credentials credentials) {
        this.vertx = vertx;
        this.config = config;
        this.estimator = estimator;
        this.gate = gate;
        this.upstream = upstream;
        this.idempotency = idempotency;
        this.metrics = metrics;
        this.credentials = credentials;
    }

    /** Runs a call whose body has been read; fails with a {@link ProxyException} for every refusal. */
    public Future<Void> run(Exchange x) {
        return offLoopIfLarge(x, () -> parse(x)).compose(v -> admitAndForward(x));
    }

    /** Runs parsing/tokenising work inline, or on a worker when the body is large. */
    private Future<Void> offLoopIfLarge(Exchange x, Runnable work) {
        if (x.body.length() > WORKER_PARSE_BYTES) {
            return vertx.executeBlocking(() -> {
                work.run();
                return null;
            }, false);
        }
        work.run();
        return Future.succeededFuture();
    }

    private Future<Void> admitAndForward(Exchange x) {
        return deduplicate(x).compose(replay -> replay != null
                ? replay(x, replay)
                : decide(x).compose(v -> forward(x)).andThen(ar -> {
                    if (x.idempotencyKey != null && !x.replayKept) {
                        idempotency.forget(x.idempotencyKey, x.attempt);
                    }
                }));
    }

    private void parse(Exchange x) {
        x.json = RequestJson.parse(x.body);
        x.spec = x.shape.parse(x.json);
        x.budgetId = budgetId(x);
        x.estimate = estimator.estimate(x.spec);
        x.requestHash = sha256(x.shape.route(), x.body);
        x.state = Exchange.State.ESTIMATED;
    }

    /**
     * Who the call is for, checked from its headers before any of its body is read: the client's virtual
     * key, or none in passthrough mode. Throws a 401 {@link ProxyException} when the credential is missing,
     * malformed, unknown or revoked, and a 400 when a kept id header is too long ({@link CallHeaders}).
     * Synchronous (the key index is in memory), so the body reader is attached in the same tick and no
     * body bytes are missed.
     */
    public void authenticate(Exchange x) {
        CallHeaders.check(x.request.headers());
        x.key = credentials(x.request, x.shape.provider());
        x.caller = Credentials.caller(x.request.headers(), x.key);
    }

    private VirtualKey credentials(HttpServerRequest request, String provider) {
        return credentials.authenticate(request.headers(), provider);
    }

    /**
     * Claims the call's idempotency key, if it has one, within the caller's own scope (another
     * caller's key of the same name is another key); completes with a reply to replay, or null to go ahead.
     */
    private Future<Reply> deduplicate(Exchange x) {
        String key = x.request.getHeader("Idempotency-Key");
        if (key == null) {
            key = x.request.getHeader("X-SpendGuard-Idempotency-Key");
        }
        if (key == null || key.isBlank()) {
            return Future.succeededFuture();
        }
        if (key.length() > 256) {
            return Future.failedFuture(ProxyError.INVALID_REQUEST.exception("The idempotency key is longer than 256 characters."));
        }
        String scoped = Idempotency.scoped(x.caller, x.shape.route(), key);
        return idempotency.begin(scoped, x.requestHash).map(claimed -> {
            if (claimed.replay() != null) {
                return claimed.replay();
            }
            x.idempotencyKey = scoped;
            x.attempt = claimed.attempt();
            return null;
        });
    }

    private Future<Void> replay(Exchange x, Reply replay) {
        x.outcome = "replayed";
        x.state = Exchange.State.DONE;
        var out = x.request.response();
        out.setStatusCode(replay.status());
        out.headers().addAll(replay.headers()).set("X-SpendGuard-Idempotent-Replay", "true");
        return out.end(replay.body());
    }

    private Future<Void> decide(Exchange x) {
        return ask(decisionRequest(x, false))
                .compose(d -> d != null && d.outcome() == Decision.Outcome.DEGRADE && d.mutation() != null
                        ? degrade(x, d)
                        : Future.succeededFuture(d))
                .compose(d -> admit(x, d));
    }

    private DecisionRequest decisionRequest(Exchange x, boolean mutated) {
        return new DecisionRequest(decisionId(x), x.budgetId, x.estimate.claimMicros(), x.spec.model(),
                x.requestHash, x.request.getHeader("X-SpendGuard-Run-Id"), x.request.getHeader("X-SpendGuard-Approval-Id"),
                attemptKey(x), x.estimate.inputTokens(), x.estimate.outputCeiling(), x.estimate.pricingVersion(), mutated,
                x.spec.stream(), x.spec.maxOutputTokens(), x.key == null ? null : x.key.tenant(),
                x.request.getHeader("traceparent"), CallHeaders.tracestate(x.request.headers()), x.key == null ? null : x.key.id(),
                x.caller);
    }

    private Future<Decision> ask(DecisionRequest request) {
        long started = System.nanoTime();
        Future<Decision> pending = gate.decide(request);
        // The embedded gate answers at once: a timer that could never fire would be set and cancelled for nothing.
        Future<Decision> bounded = pending.isComplete() ? pending : pending.timeout(config.gate().timeoutMs(), TimeUnit.MILLISECONDS);
        return bounded.andThen(ar -> metrics.gateDuration(gate.mode(), System.nanoTime() - started))
                .recover(e -> gateFailed(pending, e));
    }

    /**
     * Applies a DEGRADE mutation to the request and re-estimates it. A proposal (nothing held yet) is
     * then decided again for the changed call; a DEGRADE that already holds its claim (the sidecar's)
     * goes ahead, and its hold is released if the change cannot be made.
     */
    private Future<Decision> degrade(Exchange x, Decision d) {
        return offLoopIfLarge(x, () -> mutate(x, d.mutation()))
                .recover(e -> {
                    if (!d.isProposal()) {
                        gate.release(d, "unusable_degrade");
                    }
                    return Future.failedFuture(e);
                })
                .compose(v -> d.isProposal()
                        ? ask(decisionRequest(x, true)).map(again -> again != null && again.outcome().admits()
                                ? again.degradedBy(d) : again)
                        : Future.succeededFuture(d));
    }

    private void mutate(Exchange x, Mutation m) {
        x.json = Rewrites.degrade(x.shape, x.json, m);
        x.body = x.json.toBuffer();
        x.spec = x.shape.parse(x.json);
        x.estimate = estimator.estimate(x.spec);
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
            // Through a Settlement, so that this release is counted like every other settlement of an admitted call.
            new Settlement(gate, metrics, d, x.estimate, x.shape.provider(), estimator.prices().metricLabel(x.spec.model()))
                    .release("client_gone_before_forward");
            return Future.failedFuture(ProxyError.CLIENT_CLOSED.exception("The client went away before the call was sent."));
        }
        return Future.succeededFuture();
    }

    /**
     * Forwards an ungated read ({@code GET /v1/models}, {@code path} already checked) under the same
     * credential rules as a model call and pipes the provider's reply back as it is; nothing is
     * estimated, reserved or settled.
     */
    public Future<Void> passThrough(HttpServerRequest request, String provider, String path, String query) {
        VirtualKey key;
        try {
            key = credentials(request, provider);
        } catch (ProxyException e) {
            return Future.failedFuture(e);
        }
        Upstream.Call call = upstream.call(provider(provider), request.method(), path, query,
                upstreamHeaders(request, provider, key), null);
        var out = request.response();
        out.closeHandler(v -> call.cancel());
        return call.response()
                .recover(e -> Future.failedFuture(ProxyError.UPSTREAM_UNREACHABLE.exception("The provider could not be reached.")))
                .compose(in -> {
                    out.setStatusCode(in.statusCode());
                    out.headers().addAll(Headers.downstream(in.headers()));
                    Headers.framing(in, out);
                    return in.pipeTo(out);
                });
    }

    /** The client's headers as they go to {@code provider}, with the provider credential the auth mode calls for. */
    private MultiMap upstreamHeaders(HttpServerRequest request, String provider, VirtualKey key) {
        MultiMap headers = Headers.upstream(request.headers());
        credentials.authorize(headers, provider, key);
        return headers;
    }

    private Future<Void> forward(Exchange x) {
        ProviderConfig p = provider(x);
        MultiMap headers = upstreamHeaders(x.request, x.shape.provider(), x.key);
        Buffer body = x.body;
        JsonObject json = x.json;
        if (config.estimation().capOutputToReservation() && x.spec.maxOutputTokens() == null && x.spec.billsOutput()) {
            Rewrites.Rewritten capped = Rewrites.capOutput(x.shape, body, json, x.estimate.outputCeiling() / Math.max(1, x.spec.choices()));
            if (capped != null) {
                body = capped.body();
                json = capped.json();
            }
        }
        boolean injected = false;
        if (x.spec.stream()) {
            Buffer rewritten = x.shape.withStreamUsage(body, json);
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
            if (x.decision.mutation() != null) {
                decisionHeaders.set("X-SpendGuard-Degraded", x.decision.mutation().describe());
            }
        }
        x.state = Exchange.State.FORWARDED;
        boolean dropUsage = injected;
        String encoding = x.estimate.price().encoding();
        Buffer sent = body;
        return forwarding(x).compose(v -> new Relay(x.request.response(),
                        upstream.call(p, HttpMethod.POST, x.shape.path(), x.query, headers, sent), x.settlement, x.shape,
                        () -> x.shape.scanner(estimator.tokens(), encoding, dropUsage), decisionHeaders, metrics,
                        x.idempotencyKey == null ? null : reply -> keepForReplay(x, reply))
                .run())
                .map(reply -> {
                    x.outcome = reply.outcome();
                    x.state = Exchange.State.DONE;
                    return null;
                });
    }

    /**
     * Tells the gate the admitted call is about to leave, so a hold that is never settled (a crash)
     * is committed at its TTL, not released. If that cannot be recorded the call is not sent.
     */
    private Future<Void> forwarding(Exchange x) {
        if (x.decision == null) {
            return Future.succeededFuture();
        }
        return gate.forwarding(x.decision).recover(e -> {
            metrics.gateFailure("error");
            LOG.warning("gate could not record forwarding (" + e.getMessage() + "): refusing with 503");
            x.settlement.release("not_forwarded");
            return Future.failedFuture(ProxyError.GATE_UNAVAILABLE.exception("The budget gate is unavailable; the call was not sent.")
                    .header("Retry-After", "1"));
        });
    }

    /** Stores a 2xx JSON reply for idempotent replay before the client sees it. */
    private Future<Void> keepForReplay(Exchange x, Relay.Reply reply) {
        if (reply.status() / 100 != 2) {
            return Future.succeededFuture();
        }
        x.replayKept = true;
        return idempotency.complete(x.idempotencyKey, x.attempt, new Reply(reply.status(), reply.headers(), reply.body()));
    }

    private ProviderConfig provider(Exchange x) {
        return provider(x.shape.provider());
    }

    private ProviderConfig provider(String name) {
        return "anthropic".equals(name) ? config.anthropic() : config.openai();
    }

    private String budgetId(Exchange x) {
        return credentials.budgetId(x.key, x.request.getHeader("X-SpendGuard-Budget-Id"));
    }

    /**
     * The key the gate deduplicates on: one per attempt, so a new attempt after a refused or
     * released one is a new decision, while a taken-over attempt repeats its own.
     */
    private static String attemptKey(Exchange x) {
        return x.idempotencyKey == null ? null : x.idempotencyKey + "#" + x.attempt;
    }

    /** Random, or derived from the idempotency key and attempt so that a taken-over attempt asks with the same ids. */
    private static String decisionId(Exchange x) {
        return x.idempotencyKey == null
                ? UUID.randomUUID().toString()
                : UUID.nameUUIDFromBytes(("spendguard:decision:" + x.idempotencyKey + ":" + x.attempt)
                        .getBytes(StandardCharsets.UTF_8)).toString();
    }

    static String sha256(String route, Buffer body) {
        MessageDigest digest = SHA256.get();
        digest.update(route.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
        digest.update(body.getBytes());
        return HEX.formatHex(digest.digest());
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Marks that the client went away before the call was forwarded (a reservation then is released). */
    public static void clientGone(Exchange x) {
        x.clientGone = true;
    }
}
