package io.spendguard.proxy.forward;

import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.ledger.Ledger.Settled;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.provider.ApiShape;
import io.spendguard.proxy.provider.ReplyUsage;
import io.spendguard.proxy.provider.StreamScanner;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Relays one provider reply to the client and settles the call exactly once on whichever path ends
 * it: a JSON reply is scanned for its usage as it arrives and held while it is small (its cost then
 * goes in the headers), an SSE reply is relayed event by event with back-pressure, a provider error
 * passes through untouched and releases the hold, and a client that leaves or a provider that breaks
 * off cancels the other side and commits what was consumed.
 *
 * <p>Nothing a provider sends is kept whole past a bound. A JSON reply up to {@link #HOLD_BYTES} is
 * held until it ends, so that the cost headers go with it and an idempotent reply is stored before
 * the client sees it; a larger one is relayed as it arrives (no cost headers; the cost is in the
 * metrics and the access log) and is not kept for replay, which is counted. An SSE reply of a call
 * kept for replay is copied as it is relayed — the very bytes the client gets — up to
 * {@link #KEEP_STREAM_BYTES}, and stored once it has ended whole, after its last byte went out; a
 * longer one is not kept, which is counted, and a stream cut or failed is never kept. Its usage is read by a
 * bounded scan ({@link ReplyUsage}); a reply past the scan's bounds is billed at the reservation. An
 * SSE event past {@link SseSplitter#MAX_EVENT_BYTES} cuts the stream: the client's connection is
 * closed after the events already relayed, and the call is committed at the reservation.
 */
public final class Relay {
    private static final Logger LOG = Logger.getLogger(Relay.class.getName());
    /** The largest JSON reply held whole (for the cost headers and idempotent replay). */
    public static final int HOLD_BYTES = 4 * 1024 * 1024;
    /** The largest SSE reply kept for idempotent replay (a copy of what the client got). */
    public static final int KEEP_STREAM_BYTES = 4 * 1024 * 1024;

    /**
     * How the call ended; {@code headers} and {@code body} are kept only for a 2xx reply kept for
     * idempotent replay: a JSON reply held whole, or a whole SSE stream as the client got it.
     */
    public record Reply(int status, String outcome, MultiMap headers, Buffer body) { }

    private final Downstream out;
    private final Upstream.Call call;
    private final Settler settlement;
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
     * {@code beforeEnd} (null: none) is the idempotent-replay store. It sees a settled 2xx JSON reply
     * held whole (at most {@link #HOLD_BYTES}) before it is sent, and the reply waits for it; and a
     * 2xx SSE reply that ended whole within {@link #KEEP_STREAM_BYTES}, as the client got it, once
     * its last byte is out (the relay completes when it is stored).
     */
    public Relay(Downstream out, Upstream.Call call, Settler settlement, ApiShape shape,
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

    /** Relays the provider's reply; completes once the client has it all (or it was cut) and the call is settled. */
    public Future<Reply> run() {
        long started = System.nanoTime();
        call.response().onComplete(ar -> {
            if (clientGone) {
                return;
            }
            if (ar.failed()) {
                upstreamFailed(ar.cause());
                return;
            }
            metrics.upstreamDuration(shape.provider().label(), System.nanoTime() - started);
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

    /**
     * The client went away: the provider call is cancelled and what was consumed so far is
     * committed. Called at most once, by whoever learns of it first (the exchange's close handler).
     */
    public void clientGone() {
        if (out.ended() || clientGone || done.future().isComplete()) {
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
        out.head(in.statusCode(), in.statusMessage(), Headers.downstream(in.headers()).addAll(decisionHeaders));
    }

    /** A provider's own error passes through as it comes (never held: its size is the provider's to choose). */
    private void providerError(HttpClientResponse in) {
        settlement.release("provider_" + in.statusCode());
        head(in);
        out.framing(in.getHeader("content-length"));
        in.handler(chunk -> {
            if (!clientGone) {
                relay(in, chunk);
            }
        });
        in.exceptionHandler(e -> {
            if (clientGone || done.future().isComplete()) {
                return;
            }
            out.reset();
            done.tryComplete(new Reply(in.statusCode(), "upstream_break", null, null));
        });
        in.endHandler(v -> {
            if (!clientGone) {
                out.end();
                done.tryComplete(new Reply(in.statusCode(), "provider_error", null, null));
            }
        });
    }

    private void json(HttpClientResponse in) {
        ReplyUsage.Scan scan = ReplyUsage.scan();
        Buffer[] held = {Buffer.buffer()};
        in.handler(chunk -> {
            if (clientGone) {
                return;
            }
            scan.feed(chunk);
            if (held[0] != null && held[0].length() + chunk.length() <= HOLD_BYTES) {
                held[0].appendBuffer(chunk);
                return;
            }
            if (held[0] != null) {
                startRelaying(in, held[0]);
                held[0] = null;
            }
            relay(in, chunk);
        });
        in.exceptionHandler(e -> {
            if (clientGone || done.future().isComplete()) {
                return;
            }
            metrics.interrupted("upstream_break");
            settlement.reservation("upstream_break");
            if (held[0] == null) {
                out.reset();
                done.tryComplete(new Reply(in.statusCode(), "upstream_break", null, null));
            } else {
                done.tryFail(ProxyError.UPSTREAM_UNREACHABLE.exception("The provider's reply was cut off."));
            }
        });
        in.endHandler(v -> {
            if (clientGone) {
                return;
            }
            Future<Settled> settled = settle(scan);
            if (held[0] == null) {
                out.end();
                done.tryComplete(new Reply(in.statusCode(), "ok", null, null));
            } else {
                endHeld(in, held[0], settled);
            }
        });
    }

    /** The reply is too large to hold: its head and what was held go out, and the rest follows as it comes. */
    private void startRelaying(HttpClientResponse in, Buffer held) {
        if (beforeEnd != null) {
            metrics.replayNotKept("too_large");
            LOG.info("a " + shape.route() + " reply over " + HOLD_BYTES + " bytes is relayed as it arrives and not kept for idempotent replay");
        }
        head(in);
        out.framing(in.getHeader("content-length"));
        relay(in, held);
    }

    private void relay(HttpClientResponse in, Buffer chunk) {
        out.write(chunk);
        if (out.writeQueueFull()) {
            in.pause();
            out.drainHandler(v -> in.resume());
        }
    }

    /** Settles from the scanned usage: the reservation when there is none or it cannot be read. */
    private Future<Settled> settle(ReplyUsage.Scan scan) {
        JsonObject usageOnly = scan.finish();
        if (scan.overLimit()) {
            return settlement.usageRejected("scan_limit");
        }
        Usage usage = usageOf(usageOnly);
        return usage != null ? settlement.usage(usage) : settlement.reservation("no_usage");
    }

    /** A held reply goes out whole with its cost once its settlement is reported ({@link Settler}), after the idempotent-replay store has it. */
    private void endHeld(HttpClientResponse in, Buffer body, Future<Settled> settled) {
        settled.onComplete(s -> {
            if (clientGone) {
                return;
            }
            head(in);
            out.headers().set("X-SpendGuard-Cost-Usd-Micros", Long.toString(settlement.costMicros()));
            // in a budget tree, what the call can still count on is the smallest remaining on its path
            if (s.succeeded() && s.result() != null && !s.result().path().isEmpty()) {
                out.headers().set("X-SpendGuard-Budget-Remaining-Usd-Micros", Long.toString(s.result().remainingOnPath()));
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
    }

    /** The reply's usage, read from its {@code usage} member alone (the rest of the reply is not built). */
    private Usage usageOf(JsonObject usageOnly) {
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
        out.framing(null);
        SseSplitter splitter = new SseSplitter();
        Buffer[] kept = {beforeEnd != null && in.statusCode() / 100 == 2 ? Buffer.buffer() : null};
        in.handler(chunk -> {
            if (done.future().isComplete()) {
                return;
            }
            boolean aligned = splitter.idle();
            List<Buffer> events = new ArrayList<>(4);
            int[] dropped = {0};
            splitter.feed(chunk, event -> {
                if (scanner.onEvent(event)) {
                    events.add(event);
                } else {
                    dropped[0]++;
                }
            });
            if (splitter.tooLarge()) {
                cut(in, join(events));
                return;
            }
            // A chunk made only of whole events, all kept, goes out as the very buffer that came in.
            Buffer batch = aligned && dropped[0] == 0 && splitter.idle() ? chunk : join(events);
            if (batch.length() > 0 && !clientGone) {
                kept[0] = keep(kept[0], batch);
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
            if (clientGone || done.future().isComplete()) {
                return;
            }
            Buffer rest = splitter.rest();
            kept[0] = keep(kept[0], rest);
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
            if (kept[0] == null || scanner.failed()) {
                done.tryComplete(new Reply(in.statusCode(), "ok", null, null));
                return;
            }
            Reply reply = new Reply(in.statusCode(), "ok", keptHeaders(), kept[0]);
            beforeEnd.apply(reply).onComplete(k -> done.tryComplete(reply));
        });
    }

    /**
     * {@code copy} with {@code bytes} appended, or null once the stream passes
     * {@link #KEEP_STREAM_BYTES} (it is then not kept for replay, which is counted once).
     */
    private Buffer keep(Buffer copy, Buffer bytes) {
        if (copy == null || bytes.length() == 0) {
            return copy;
        }
        if (copy.length() + bytes.length() > KEEP_STREAM_BYTES) {
            metrics.replayNotKept("too_large");
            LOG.info("a " + shape.route() + " stream over " + KEEP_STREAM_BYTES + " bytes is not kept for idempotent replay");
            return null;
        }
        return copy.appendBuffer(bytes);
    }

    /** The stream's reply headers as a replay sends them: its body then goes out whole, framed by its length. */
    private MultiMap keptHeaders() {
        return MultiMap.caseInsensitiveMultiMap().addAll(out.headers()).remove("transfer-encoding").remove("content-length");
    }

    /**
     * An event too large to relay: the provider call is cancelled, the call committed at the
     * reservation (its usage is unknown), and the client's connection closed once the events before
     * it have gone out, so the client sees a stream cut short rather than one that ended.
     */
    private void cut(HttpClientResponse in, Buffer relayed) {
        metrics.streamCut("event_too_large");
        LOG.warning("an SSE event from " + shape.provider().label() + " passed " + SseSplitter.MAX_EVENT_BYTES
                + " bytes: the stream is cut and the call committed at its reservation");
        settlement.reservation("sse_event_too_large");
        endStream();
        done.tryComplete(new Reply(in.statusCode(), "stream_cut", null, null));
        // Settled and done first: cancelling can report the provider's connection as broken at once.
        call.cancel();
        if (clientGone) {
            return;
        }
        Future<Void> written = relayed.length() > 0 ? out.write(relayed) : Future.succeededFuture();
        written.onComplete(w -> out.reset());
    }

    private static Buffer join(List<Buffer> events) {
        if (events.isEmpty()) {
            return Buffer.buffer();
        }
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
