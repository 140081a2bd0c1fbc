package io.spendguard.proxy.forward;

import io.spendguard.proxy.engine.Ledger.Settled;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.provider.ApiShape;
import io.spendguard.proxy.provider.ReplyUsage;
import io.spendguard.proxy.provider.StreamScanner;
import io.spendguard.proxy.settle.Settlement;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Relays one provider reply to the client and settles the call exactly once on whichever path ends
 * it: a JSON reply is buffered (its cost goes in the headers), an SSE reply is relayed event by event
 * with back-pressure, a provider error passes through untouched and releases the hold, and a client
 * that leaves or a provider that breaks off cancels the other side and commits what was consumed.
 */
public final class Relay {
    /** How the call ended; {@code body} is kept only for a 2xx JSON reply (idempotent replay). */
    public record Reply(int status, String outcome, MultiMap headers, Buffer body) { }

    private final HttpServerResponse out;
    private final Upstream.Call call;
    private final Settlement settlement;
    private final Supplier<StreamScanner> scanners;
    private final ApiShape shape;
    private final MultiMap decisionHeaders;
    private final ProxyMetrics metrics;
    private final Function<Reply, Future<Void>> beforeEnd;
    private final Promise<Reply> done = Promise.promise();
    private StreamScanner scanner;
    private boolean clientGone;
    private boolean streaming;

    /**
     * {@code beforeEnd} (null: none) sees a settled 2xx JSON reply before it is sent, and the reply
     * waits for it (the idempotent-replay store).
     */
    public Relay(HttpServerResponse out, Upstream.Call call, Settlement settlement, ApiShape shape,
                 Supplier<StreamScanner> scanners, MultiMap decisionHeaders, ProxyMetrics metrics,
                 Function<Reply, Future<Void>> beforeEnd) {
        this.out = out;
        this.call = call;
        this.settlement = settlement;
        this.shape = shape;
        this.scanners = scanners;
        this.decisionHeaders = decisionHeaders;
        this.metrics = metrics;
        this.beforeEnd = beforeEnd;
    }

    public Future<Reply> run() {
        out.closeHandler(v -> clientGone());
        long started = System.nanoTime();
        call.response().onComplete(ar -> {
            if (clientGone) {
                return;
            }
            if (ar.failed()) {
                upstreamFailed(ar.cause());
                return;
            }
            metrics.upstreamDuration(shape.provider(), System.nanoTime() - started);
            HttpClientResponse in = ar.result();
            if (in.statusCode() >= 400) {
                providerError(in);
            } else if (isEventStream(in)) {
                stream(in);
            } else {
                json(in);
            }
        });
        return done.future();
    }

    private static boolean isEventStream(HttpClientResponse in) {
        String type = in.getHeader("content-type");
        return type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith("text/event-stream");
    }

    private void clientGone() {
        if (out.ended() || clientGone) {
            return;
        }
        clientGone = true;
        metrics.interrupted("client_disconnect");
        call.cancel();
        settlement.partial(scanner == null ? 0 : scanner.outputTokensSeen(), "client_disconnect");
        endStream();
        done.tryComplete(new Reply(499, "client_disconnect", null, null));
    }

    private void upstreamFailed(Throwable cause) {
        if (call.bodySent() && cause instanceof TimeoutException) {
            // The provider has the request and may bill it: keep the whole hold.
            settlement.reservation("upstream_timeout");
            done.tryFail(ProxyError.UPSTREAM_TIMEOUT.exception("The provider did not answer in time."));
        } else {
            settlement.release("upstream_unreachable");
            done.tryFail(ProxyError.UPSTREAM_UNREACHABLE.exception("The provider could not be reached."));
        }
    }

    private void head(HttpClientResponse in) {
        out.setStatusCode(in.statusCode());
        out.setStatusMessage(in.statusMessage());
        out.headers().addAll(Headers.downstream(in.headers())).addAll(decisionHeaders);
    }

    private void providerError(HttpClientResponse in) {
        settlement.release("provider_" + in.statusCode());
        in.body().onComplete(ar -> {
            if (clientGone) {
                return;
            }
            if (ar.failed()) {
                out.reset();
                done.tryComplete(new Reply(in.statusCode(), "upstream_break", null, null));
                return;
            }
            head(in);
            out.end(ar.result());
            done.tryComplete(new Reply(in.statusCode(), "provider_error", null, null));
        });
    }

    private void json(HttpClientResponse in) {
        in.body().onComplete(ar -> {
            if (clientGone) {
                return;
            }
            if (ar.failed()) {
                metrics.interrupted("upstream_break");
                settlement.reservation("upstream_break");
                done.tryFail(ProxyError.UPSTREAM_UNREACHABLE.exception("The provider's reply was cut off."));
                return;
            }
            Buffer body = ar.result();
            Usage usage = usageOf(body);
            Future<Settled> settled = usage != null ? settlement.usage(usage) : settlement.reservation("no_usage");
            settled.onComplete(s -> {
                if (clientGone) {
                    return;
                }
                head(in);
                out.putHeader("X-SpendGuard-Cost-Usd-Micros", Long.toString(settlement.costMicros()));
                if (s.succeeded() && s.result() != null && s.result().budget() != null) {
                    out.putHeader("X-SpendGuard-Budget-Remaining-Usd-Micros", Long.toString(s.result().budget().remainingMicros()));
                }
                Reply reply = new Reply(in.statusCode(), "ok", MultiMap.caseInsensitiveMultiMap().addAll(out.headers()), body);
                Future<Void> kept = beforeEnd == null ? Future.succeededFuture() : beforeEnd.apply(reply);
                kept.onComplete(k -> {
                    if (!clientGone) {
                        out.end(body);
                        done.tryComplete(reply);
                    }
                });
            });
        });
    }

    /** The reply's usage, read from its {@code usage} member alone (the rest of the reply is not built). */
    private Usage usageOf(Buffer body) {
        JsonObject usageOnly = ReplyUsage.of(body);
        if (usageOnly == null) {
            return null;
        }
        try {
            return shape.usage(usageOnly);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private void stream(HttpClientResponse in) {
        streaming = true;
        metrics.streamOpened();
        scanner = scanners.get();
        head(in);
        out.headers().remove("content-length");
        out.setChunked(true);
        SseSplitter splitter = new SseSplitter();
        in.handler(chunk -> {
            boolean aligned = splitter.idle();
            List<Buffer> kept = new ArrayList<>(4);
            int[] dropped = {0};
            splitter.feed(chunk, event -> {
                if (scanner.onEvent(event)) {
                    kept.add(event);
                } else {
                    dropped[0]++;
                }
            });
            // A chunk made only of whole events, all kept, goes out as the very buffer that came in.
            Buffer batch = aligned && dropped[0] == 0 && splitter.idle() ? chunk : join(kept);
            if (batch.length() > 0 && !clientGone) {
                out.write(batch);
                if (out.writeQueueFull()) {
                    in.pause();
                    out.drainHandler(v -> in.resume());
                }
            }
        });
        in.exceptionHandler(e -> {
            if (clientGone || done.future().isComplete()) {
                return;
            }
            metrics.interrupted("upstream_break");
            settlement.partial(scanner.outputTokensSeen(), "upstream_break");
            endStream();
            out.reset();
            done.tryComplete(new Reply(in.statusCode(), "upstream_break", null, null));
        });
        in.endHandler(v -> {
            if (clientGone) {
                return;
            }
            Buffer rest = splitter.rest();
            out.end(rest);
            Usage usage = scanner.usage();
            if (usage != null) {
                settlement.usage(usage);
            } else if (scanner.failed()) {
                settlement.partial(scanner.outputTokensSeen(), "stream_error");
            } else {
                settlement.reservation("no_usage");
            }
            endStream();
            done.tryComplete(new Reply(in.statusCode(), "ok", null, null));
        });
    }

    private static Buffer join(List<Buffer> events) {
        if (events.size() == 1) {
            return events.get(0);
        }
        Buffer joined = Buffer.buffer();
        for (Buffer e : events) {
            joined.appendBuffer(e);
        }
        return joined;
    }

    private void endStream() {
        if (streaming) {
            streaming = false;
            metrics.streamClosed();
        }
    }
}
