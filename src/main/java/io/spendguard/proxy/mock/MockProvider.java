package io.spendguard.proxy.mock;

import io.spendguard.proxy.estimate.TokenCounter;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fake OpenAI and Anthropic server for tests, demos and load tests. Each API it speaks is one
 * {@link MockApi} class that replies as the provider does, JSON or SSE, with a usage that depends
 * on the request so a test can predict the cost (each class documents its counting).
 * Per-request controls (headers; the same names as CLI flags set defaults):
 * {@code x-mock-latency-ms}, {@code x-mock-chunk-delay-ms}, {@code x-mock-status},
 * {@code x-mock-reset-after-chunks}, {@code x-mock-output-tokens}, {@code x-mock-cached-tokens},
 * {@code x-mock-no-usage}, {@code x-mock-reasoning-tokens}; OpenAI Responses streams also
 * {@code x-mock-stream-end} ({@code failed} | {@code incomplete} | {@code error}); Anthropic also
 * {@code x-mock-cache-write-tokens} and {@code x-mock-error-after-deltas}. A chat, Responses or
 * Messages request that declares function tools is answered with a tool call until a tool result
 * comes back, then with text; {@code x-mock-tool-loop} makes it call the same tool with the same
 * arguments every time instead, as a runaway agent's model does ({@link MockTools}).
 * {@code GET /mock/stats} reports what it served.
 */
public final class MockProvider {
    /** A request as the mock received it ({@code query} null when it had none). */
    public record Received(String method, String path, String query, MultiMap headers, Buffer body) { }

    /** Defaults that request headers override; {@code outputTokens < 0} fills the client's max tokens. */
    public record Options(long latencyMs, long chunkDelayMs, int outputTokens) {
        public static final Options DEFAULT = new Options(0, 0, 12);
    }

    private static final int HISTORY = 1000;
    /** The one model {@code GET /v1/models} lists. */
    private static final String MODEL = "gpt-4o-mini";
    /** The model APIs served, by path. */
    private static final Map<String, MockApi> APIS = Map.of(
            "/v1/chat/completions", new MockChat(),
            "/v1/responses", new MockResponses(),
            "/v1/completions", new MockCompletions(),
            "/v1/embeddings", new MockEmbeddings(),
            "/v1/messages", new MockAnthropic());

    private final Vertx vertx;
    private final Options options;
    private final TokenCounter tokens = new TokenCounter();
    private final AtomicLong served = new AtomicLong();
    private final Deque<Received> history = new ArrayDeque<>();
    private HttpServer server;

    public MockProvider(Vertx vertx, Options options) {
        this.vertx = vertx;
        this.options = options;
    }

    public Future<MockProvider> listen(String host, int port) {
        server = vertx.createHttpServer();
        return server.requestHandler(this::handle).listen(port, host).map(s -> this);
    }

    public int port() {
        return server.actualPort();
    }

    public Future<Void> close() {
        return server.close();
    }

    /** Model calls served (every POST to a model route, errors included). */
    public long served() {
        return served.get();
    }

    /** The most recent requests received, oldest first. */
    public synchronized List<Received> received() {
        return new ArrayList<>(history);
    }

    public synchronized void clear() {
        history.clear();
        served.set(0);
    }

    private synchronized void record(Received r) {
        if (history.size() == HISTORY) {
            history.removeFirst();
        }
        history.addLast(r);
    }

    private void handle(HttpServerRequest req) {
        req.body().onSuccess(body -> {
            record(new Received(req.method().name(), req.path(), req.query(), MultiMap.caseInsensitiveMultiMap().addAll(req.headers()), body));
            HttpServerResponse res = req.response();
            MockApi api = APIS.get(req.path());
            if (api != null) {
                long sequence = served.incrementAndGet();
                long latency = header(req, "x-mock-latency-ms", options.latencyMs());
                if (latency > 0) {
                    vertx.setTimer(latency, t -> call(api, req, body, sequence));
                } else {
                    call(api, req, body, sequence);
                }
                return;
            }
            if (req.path().equals("/mock/stats")) {
                res.putHeader("content-type", "application/json").end(new JsonObject().put("served", served.get()).encode());
            } else if (req.path().equals("/v1/models")) {
                res.putHeader("content-type", "application/json").putHeader("x-request-id", "req_models")
                        .end(new JsonObject().put("object", "list").put("data", new JsonArray().add(model(MODEL))).encode());
            } else if (req.path().equals("/v1/models/" + MODEL)) {
                res.putHeader("content-type", "application/json").end(model(MODEL).encode());
            } else {
                res.setStatusCode(404).putHeader("content-type", "application/json")
                        .end(MockCall.openAiError("Unknown path " + req.path(), "invalid_request_error").encode());
            }
        });
    }

    private static JsonObject model(String id) {
        return new JsonObject().put("id", id).put("object", "model").put("created", 1721172741).put("owned_by", "mock");
    }

    private static long header(HttpServerRequest req, String name, long def) {
        String v = req.getHeader(name);
        return v == null ? def : Long.parseLong(v.trim());
    }

    private void call(MockApi api, HttpServerRequest req, Buffer raw, long sequence) {
        HttpServerResponse res = req.response();
        int status = (int) header(req, "x-mock-status", 200);
        if (status >= 400) {
            res.setStatusCode(status).putHeader("content-type", "application/json").putHeader("x-request-id", "req_mock_error")
                    .end(api.error(status).encode());
            return;
        }
        JsonObject body;
        try {
            body = new JsonObject(raw);
        } catch (RuntimeException e) {
            res.setStatusCode(400).putHeader("content-type", "application/json").end(api.error(400).encode());
            return;
        }
        api.reply(new MockCall(vertx, req, body, options, tokens, sequence));
    }
}
