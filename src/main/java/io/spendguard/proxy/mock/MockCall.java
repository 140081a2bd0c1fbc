package io.spendguard.proxy.mock;

import io.spendguard.proxy.estimate.TokenCounter;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * One model call received by the {@link MockProvider}: the request, its JSON body, and the
 * controls every mocked API shares — planned output tokens, cached tokens, whether to report usage,
 * and an SSE sender that honours chunk delay and mid-stream resets.
 */
public final class MockCall {
    private final Vertx vertx;
    private final HttpServerRequest request;
    private final JsonObject body;
    private final MockProvider.Options options;
    private final TokenCounter tokens;
    private final long sequence;

    MockCall(Vertx vertx, HttpServerRequest request, JsonObject body, MockProvider.Options options, TokenCounter tokens,
             long sequence) {
        this.vertx = vertx;
        this.request = request;
        this.body = body;
        this.options = options;
        this.tokens = tokens;
        this.sequence = sequence;
    }

    public HttpServerRequest request() {
        return request;
    }

    public HttpServerResponse response() {
        return request.response();
    }

    public JsonObject body() {
        return body;
    }

    /** A number that differs for every call served (for ids). */
    public long sequence() {
        return sequence;
    }

    /** o200k_base tokens of {@code text}: how the mock counts what it bills. */
    public long count(String text) {
        return text == null ? 0 : tokens.count("o200k_base", text);
    }

    public long header(String name, long def) {
        String v = request.getHeader(name);
        return v == null ? def : Long.parseLong(v.trim());
    }

    public boolean streaming() {
        return Boolean.TRUE.equals(body.getValue("stream"));
    }

    /**
     * Output tokens to produce: {@code x-mock-output-tokens}, else the configured default capped by the
     * client's limit {@code max} (null when unset); a negative default fills the limit.
     */
    public int outputTokens(Integer max) {
        int fallback = options.outputTokens() < 0 ? 12 : options.outputTokens();
        int planned = max == null ? fallback : options.outputTokens() < 0 ? max : Math.min(max, options.outputTokens());
        return (int) header("x-mock-output-tokens", planned);
    }

    /** Input tokens to report as served from cache ({@code x-mock-cached-tokens}), at most {@code input}. */
    public long cachedTokens(long input) {
        return Math.min(input, header("x-mock-cached-tokens", 0));
    }

    /** Reasoning tokens to bill on top of the planned output ({@code x-mock-reasoning-tokens}, default 0). */
    public int reasoningTokens() {
        return (int) header("x-mock-reasoning-tokens", 0);
    }

    /**
     * How a stream should end instead of completing ({@code x-mock-stream-end}: {@code failed},
     * {@code incomplete} or {@code error}), or null to complete normally.
     */
    public String streamEnd() {
        return request.getHeader("x-mock-stream-end");
    }

    /** o200k tokens of message content: a string, or the {@code text} of each of its parts. */
    public long contentTokens(Object content) {
        if (content instanceof String s) {
            return count(s);
        }
        long total = 0;
        if (content instanceof JsonArray parts) {
            for (Object p : parts) {
                if (p instanceof JsonObject part && part.getValue("text") instanceof String s) {
                    total += count(s);
                }
            }
        }
        return total;
    }

    /**
     * Tokens of a prompt in any of the forms OpenAI accepts (string, strings, token array, token
     * arrays): o200k tokens of each string, the length of each token array.
     */
    public long promptTokens(Object prompt) {
        if (prompt instanceof String s) {
            return count(s);
        }
        if (!(prompt instanceof JsonArray list)) {
            return 0;
        }
        long total = 0;
        for (Object p : list) {
            total += p instanceof Number ? 1 : promptTokens(p);
        }
        return total;
    }

    /** Sets the headers OpenAI sends with every reply, for the call {@code id}. */
    public void openAiHeaders(String id) {
        response().putHeader("x-request-id", "req_" + id).putHeader("openai-processing-ms", "1")
                .putHeader("x-ratelimit-remaining-requests", "9999");
    }

    /** Seconds since the epoch, as OpenAI stamps {@code created}. */
    public static long now() {
        return System.currentTimeMillis() / 1000;
    }

    /** False when the request asks the mock to leave usage out ({@code x-mock-no-usage}). */
    public boolean reportsUsage() {
        return request.getHeader("x-mock-no-usage") == null;
    }

    /** True when a non-stream reply should be cut halfway ({@code x-mock-reset-after-chunks} set). */
    public boolean cutsReply() {
        return request.getHeader("x-mock-reset-after-chunks") != null;
    }

    /** Sends a JSON reply, or half of it and a closed connection when {@link #cutsReply()}. */
    public void json(JsonObject reply) {
        var whole = reply.toBuffer();
        HttpServerResponse res = response().putHeader("content-type", "application/json");
        if (cutsReply()) {
            res.putHeader("content-length", Integer.toString(whole.length()));
            res.write(whole.getBuffer(0, whole.length() / 2)).onComplete(v -> request.connection().close());
            return;
        }
        res.end(whole);
    }

    /**
     * Streams {@code events} (each a complete raw SSE event, terminator included) then {@code last}
     * (null: nothing), waiting {@code x-mock-chunk-delay-ms} between events and closing the
     * connection after {@code x-mock-reset-after-chunks} events.
     */
    public void sse(List<String> events, String last) {
        HttpServerResponse res = response();
        res.setChunked(true).putHeader("content-type", "text/event-stream; charset=utf-8").putHeader("cache-control", "no-cache");
        send(events, last, 0, header("x-mock-chunk-delay-ms", options.chunkDelayMs()), header("x-mock-reset-after-chunks", -1));
    }

    private void send(List<String> events, String last, int i, long delay, long resetAfter) {
        HttpServerResponse res = response();
        if (res.closed()) {
            return;
        }
        if (resetAfter >= 0 && i >= resetAfter) {
            request.connection().close();
            return;
        }
        if (i == events.size()) {
            if (last == null) {
                res.end();
            } else {
                res.end(last);
            }
            return;
        }
        res.write(events.get(i));
        if (delay > 0) {
            vertx.setTimer(delay, t -> send(events, last, i + 1, delay, resetAfter));
        } else {
            send(events, last, i + 1, delay, resetAfter);
        }
    }

    /** A {@code data:}-only SSE event (OpenAI chat and completions). */
    public static String data(JsonObject json) {
        return "data: " + json.encode() + "\n\n";
    }

    /** A named SSE event (OpenAI Responses, Anthropic Messages). */
    public static String event(String name, JsonObject json) {
        return "event: " + name + "\ndata: " + json.encode() + "\n\n";
    }

    /** OpenAI's error body. */
    public static JsonObject openAiError(String message, String type) {
        return new JsonObject().put("error", new JsonObject().put("message", message).put("type", type).put("param", null).put("code", null));
    }
}
