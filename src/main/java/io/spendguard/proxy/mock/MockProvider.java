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
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fake OpenAI chat completions server for tests, demos and load tests. Replies as OpenAI does,
 * JSON or SSE, with a {@code usage} that depends on the request so a test can predict the cost:
 * {@code prompt_tokens} = o200k tokens of every message's text + 3 per message + 3, and
 * {@code completion_tokens} = {@code x-mock-output-tokens}, else min(max tokens, 12).
 * Per-request controls (headers; the same names as CLI flags set defaults):
 * {@code x-mock-latency-ms}, {@code x-mock-chunk-delay-ms}, {@code x-mock-status},
 * {@code x-mock-reset-after-chunks}, {@code x-mock-output-tokens}, {@code x-mock-cached-tokens},
 * {@code x-mock-no-usage}. {@code GET /mock/stats} reports what it served.
 */
public final class MockProvider {
    /** A request as the mock received it. */
    public record Received(String method, String path, MultiMap headers, Buffer body) { }

    /** Defaults that request headers override; {@code outputTokens < 0} fills the client's max tokens. */
    public record Options(long latencyMs, long chunkDelayMs, int outputTokens) {
        public static final Options DEFAULT = new Options(0, 0, 12);
    }

    private static final int HISTORY = 1000;

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
            record(new Received(req.method().name(), req.path(), MultiMap.caseInsensitiveMultiMap().addAll(req.headers()), body));
            HttpServerResponse res = req.response();
            switch (req.path()) {
                case "/mock/stats" -> res.putHeader("content-type", "application/json")
                        .end(new JsonObject().put("served", served.get()).encode());
                case "/v1/models" -> res.putHeader("content-type", "application/json")
                        .end(new JsonObject().put("object", "list").put("data", new JsonArray()
                                .add(new JsonObject().put("id", "gpt-4o-mini").put("object", "model").put("owned_by", "mock"))).encode());
                case "/v1/chat/completions" -> {
                    served.incrementAndGet();
                    long latency = header(req, "x-mock-latency-ms", options.latencyMs());
                    if (latency > 0) {
                        vertx.setTimer(latency, t -> chat(req, body));
                    } else {
                        chat(req, body);
                    }
                }
                default -> res.setStatusCode(404).putHeader("content-type", "application/json")
                        .end(error("Unknown path " + req.path(), "invalid_request_error").encode());
            }
        });
    }

    private static long header(HttpServerRequest req, String name, long def) {
        String v = req.getHeader(name);
        return v == null ? def : Long.parseLong(v.trim());
    }

    private static JsonObject error(String message, String type) {
        return new JsonObject().put("error", new JsonObject().put("message", message).put("type", type).put("param", null).put("code", null));
    }

    private void chat(HttpServerRequest req, Buffer raw) {
        HttpServerResponse res = req.response();
        int status = (int) header(req, "x-mock-status", 200);
        if (status >= 400) {
            res.setStatusCode(status).putHeader("content-type", "application/json").putHeader("x-request-id", "req_mock_error")
                    .end(error("mock provider error " + status, status >= 500 ? "server_error" : "invalid_request_error").encode());
            return;
        }
        JsonObject body;
        try {
            body = new JsonObject(raw);
        } catch (RuntimeException e) {
            res.setStatusCode(400).end(error("bad json", "invalid_request_error").encode());
            return;
        }
        String model = body.getString("model", "gpt-4o-mini");
        long prompt = promptTokens(body);
        long cached = Math.min(prompt, header(req, "x-mock-cached-tokens", 0));
        Integer max = body.getInteger("max_completion_tokens", body.getInteger("max_tokens"));
        int fallback = options.outputTokens() < 0 ? 12 : options.outputTokens();
        int planned = max == null ? fallback : options.outputTokens() < 0 ? max : Math.min(max, options.outputTokens());
        int output = (int) header(req, "x-mock-output-tokens", planned);
        JsonObject usage = new JsonObject().put("prompt_tokens", prompt).put("completion_tokens", output)
                .put("total_tokens", prompt + output)
                .put("prompt_tokens_details", new JsonObject().put("cached_tokens", cached).put("audio_tokens", 0))
                .put("completion_tokens_details", new JsonObject().put("reasoning_tokens", 0).put("audio_tokens", 0)
                        .put("accepted_prediction_tokens", 0).put("rejected_prediction_tokens", 0));
        boolean noUsage = req.getHeader("x-mock-no-usage") != null;
        String id = "chatcmpl-mock" + served.get();
        long created = System.currentTimeMillis() / 1000;
        res.putHeader("x-request-id", "req_" + id).putHeader("openai-processing-ms", "1")
                .putHeader("x-ratelimit-remaining-requests", "9999");
        if (Boolean.TRUE.equals(body.getValue("stream"))) {
            JsonObject streamOptions = body.getJsonObject("stream_options");
            boolean includeUsage = streamOptions != null && Boolean.TRUE.equals(streamOptions.getValue("include_usage")) && !noUsage;
            stream(req, res, id, created, model, output, includeUsage ? usage : null);
            return;
        }
        StringBuilder content = new StringBuilder();
        for (int i = 0; i < output; i++) {
            content.append(i == 0 ? "mock" : " mock");
        }
        JsonObject reply = new JsonObject().put("id", id).put("object", "chat.completion").put("created", created)
                .put("model", model).put("system_fingerprint", "fp_mock")
                .put("choices", new JsonArray().add(new JsonObject().put("index", 0)
                        .put("message", new JsonObject().put("role", "assistant").put("content", content.toString()).put("refusal", null))
                        .put("logprobs", null).put("finish_reason", "stop")));
        if (!noUsage) {
            reply.put("usage", usage);
        }
        if (req.getHeader("x-mock-reset-after-chunks") != null) {
            Buffer whole = reply.toBuffer();
            res.putHeader("content-type", "application/json").putHeader("content-length", Integer.toString(whole.length()));
            res.write(whole.getBuffer(0, whole.length() / 2)).onComplete(v -> req.connection().close());
            return;
        }
        res.putHeader("content-type", "application/json").end(reply.toBuffer());
    }

    private long promptTokens(JsonObject body) {
        JsonArray messages = body.getJsonArray("messages", new JsonArray());
        long total = 3;
        for (Object m : messages) {
            total += 3;
            if (m instanceof JsonObject msg) {
                Object content = msg.getValue("content");
                if (content instanceof String s) {
                    total += tokens.count("o200k_base", s);
                } else if (content instanceof JsonArray parts) {
                    for (Object p : parts) {
                        if (p instanceof JsonObject part && part.getValue("text") instanceof String s) {
                            total += tokens.count("o200k_base", s);
                        }
                    }
                }
                total += tokens.count("o200k_base", msg.getString("role", ""));
            }
        }
        return total;
    }

    private void stream(HttpServerRequest req, HttpServerResponse res, String id, long created, String model, int output,
                        JsonObject usage) {
        long delay = header(req, "x-mock-chunk-delay-ms", options.chunkDelayMs());
        long resetAfter = header(req, "x-mock-reset-after-chunks", -1);
        res.setChunked(true).putHeader("content-type", "text/event-stream; charset=utf-8").putHeader("cache-control", "no-cache");
        List<JsonObject> chunks = new ArrayList<>();
        chunks.add(chunk(id, created, model, new JsonObject().put("role", "assistant").put("content", "").put("refusal", null), null, usage != null));
        for (int i = 0; i < output; i++) {
            chunks.add(chunk(id, created, model, new JsonObject().put("content", i == 0 ? "mock" : " mock"), null, usage != null));
        }
        chunks.add(chunk(id, created, model, new JsonObject(), "stop", usage != null));
        if (usage != null) {
            chunks.add(new JsonObject().put("id", id).put("object", "chat.completion.chunk").put("created", created)
                    .put("model", model).put("system_fingerprint", "fp_mock").put("choices", new JsonArray()).put("usage", usage));
        }
        send(req, res, chunks, 0, delay, resetAfter);
    }

    private static JsonObject chunk(String id, long created, String model, JsonObject delta, String finish, boolean usageNull) {
        JsonObject c = new JsonObject().put("id", id).put("object", "chat.completion.chunk").put("created", created)
                .put("model", model).put("system_fingerprint", "fp_mock")
                .put("choices", new JsonArray().add(new JsonObject().put("index", 0).put("delta", delta)
                        .put("logprobs", null).put("finish_reason", finish)));
        if (usageNull) {
            c.put("usage", null);
        }
        return c;
    }

    private void send(HttpServerRequest req, HttpServerResponse res, List<JsonObject> chunks, int i, long delay, long resetAfter) {
        if (res.closed()) {
            return;
        }
        if (resetAfter >= 0 && i >= resetAfter) {
            req.connection().close();
            return;
        }
        if (i == chunks.size()) {
            res.end("data: [DONE]\n\n");
            return;
        }
        res.write("data: " + chunks.get(i).encode() + "\n\n");
        if (delay > 0) {
            vertx.setTimer(delay, t -> send(req, res, chunks, i + 1, delay, resetAfter));
        } else {
            send(req, res, chunks, i + 1, delay, resetAfter);
        }
    }
}
