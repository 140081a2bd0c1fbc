package io.spendguard.proxy.provider;

import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.estimate.Usage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI {@code POST /v1/chat/completions}. Bills, as OpenAI counts them: every message's role,
 * content (string or text parts), name and tool calls, plus 3 framing tokens per message, 1 per name
 * and 3 to prime the reply; tool / function definitions and a JSON schema response format as their
 * JSON text; images at a fixed cost each (85 tokens at {@code detail: low}, else 765, a 1024×1024
 * high-detail image).
 */
public final class OpenAiChat implements ApiShape {
    static final int TOKENS_PER_MESSAGE = 3;
    static final int TOKENS_PER_NAME = 1;
    static final int REPLY_PRIMING = 3;
    static final int IMAGE_LOW = 85;
    static final int IMAGE_HIGH = 765;
    private static final byte[] USAGE_OPTION = "\"stream_options\":{\"include_usage\":true},".getBytes(StandardCharsets.UTF_8);

    @Override
    public String provider() {
        return "openai";
    }

    @Override
    public String route() {
        return "chat_completions";
    }

    @Override
    public CallSpec parse(JsonObject body) {
        String model = Fields.requiredString(body, "model", "model");
        boolean stream = Fields.optionalBool(body, "stream", "stream", false);
        JsonArray messages = Fields.requiredArray(body, "messages", "messages");
        List<String> texts = new ArrayList<>();
        int framing = REPLY_PRIMING;
        int images = 0;
        for (int i = 0; i < messages.size(); i++) {
            String path = "messages[" + i + "]";
            JsonObject m = Fields.objectAt(messages, i, "messages");
            texts.add(Fields.requiredString(m, "role", path + ".role"));
            framing += TOKENS_PER_MESSAGE;
            String name = Fields.optionalString(m, "name", path + ".name");
            if (name != null) {
                texts.add(name);
                framing += TOKENS_PER_NAME;
            }
            images += content(m.getValue("content"), path + ".content", texts);
            JsonArray calls = Fields.optionalArray(m, "tool_calls", path + ".tool_calls");
            if (calls != null) {
                for (int c = 0; c < calls.size(); c++) {
                    JsonObject fn = Fields.optionalObject(Fields.objectAt(calls, c, path + ".tool_calls"), "function",
                            path + ".tool_calls[" + c + "].function");
                    if (fn != null) {
                        texts.add(fn.encode());
                    }
                }
            }
            JsonObject legacyCall = Fields.optionalObject(m, "function_call", path + ".function_call");
            if (legacyCall != null) {
                texts.add(legacyCall.encode());
            }
            String toolCallId = Fields.optionalString(m, "tool_call_id", path + ".tool_call_id");
            if (toolCallId != null) {
                texts.add(toolCallId);
            }
        }
        definitions(body, "tools", texts);
        definitions(body, "functions", texts);
        JsonObject format = Fields.optionalObject(body, "response_format", "response_format");
        if (format != null && format.containsKey("json_schema")) {
            texts.add(format.encode());
        }
        Integer max = Fields.optionalInt(body, "max_completion_tokens", "max_completion_tokens", 1);
        if (max == null) {
            max = Fields.optionalInt(body, "max_tokens", "max_tokens", 1);
        }
        Integer n = Fields.optionalInt(body, "n", "n", 1);
        JsonObject options = Fields.optionalObject(body, "stream_options", "stream_options");
        if (options != null) {
            Fields.optionalBool(options, "include_usage", "stream_options.include_usage", false);
        }
        return new CallSpec(model, stream, texts, framing, images, max, n == null ? 1 : n, true);
    }

    /** Adds a message's billed text to {@code texts}; returns its image tokens. */
    private static int content(Object content, String path, List<String> texts) {
        if (content == null) {
            return 0;
        }
        if (content instanceof String s) {
            texts.add(s);
            return 0;
        }
        if (!(content instanceof JsonArray parts)) {
            throw Fields.invalid(path, "'" + path + "' must be a string or an array of content parts.");
        }
        int images = 0;
        for (int p = 0; p < parts.size(); p++) {
            JsonObject part = Fields.objectAt(parts, p, path);
            String type = Fields.requiredString(part, "type", path + "[" + p + "].type");
            switch (type) {
                case "text" -> texts.add(Fields.requiredString(part, "text", path + "[" + p + "].text"));
                case "refusal" -> texts.add(Fields.requiredString(part, "refusal", path + "[" + p + "].refusal"));
                case "image_url" -> {
                    JsonObject image = Fields.optionalObject(part, "image_url", path + "[" + p + "].image_url");
                    images += image != null && "low".equals(image.getValue("detail")) ? IMAGE_LOW : IMAGE_HIGH;
                }
                default -> texts.add(part.encode());
            }
        }
        return images;
    }

    private static void definitions(JsonObject body, String key, List<String> texts) {
        JsonArray defs = Fields.optionalArray(body, key, key);
        if (defs != null) {
            for (int i = 0; i < defs.size(); i++) {
                texts.add(Fields.objectAt(defs, i, key).encode());
            }
        }
    }

    @Override
    public Buffer withStreamUsage(Buffer original, JsonObject body) {
        if (!body.containsKey("stream_options")) {
            return insertAfterOpeningBrace(original, USAGE_OPTION);
        }
        JsonObject options = body.getJsonObject("stream_options");
        if (options != null && Boolean.TRUE.equals(options.getValue("include_usage"))) {
            return null;
        }
        JsonObject copy = body.copy();
        copy.put("stream_options", (options == null ? new JsonObject() : options.copy()).put("include_usage", true));
        return copy.toBuffer();
    }

    /**
     * Inserts {@code member} right after the body's opening brace, leaving every other byte as sent.
     * The body is a parsed JSON object, so its first {@code {} byte is that brace (after any BOM or whitespace).
     */
    static Buffer insertAfterOpeningBrace(Buffer original, byte[] member) {
        int i = 0;
        while (i < original.length() && original.getByte(i) != '{') {
            i++;
        }
        Buffer out = Buffer.buffer(original.length() + member.length);
        out.appendBuffer(original, 0, i + 1).appendBytes(member).appendBuffer(original, i + 1, original.length() - i - 1);
        return out;
    }

    @Override
    public String outputLimitField(JsonObject body) {
        return body.containsKey("max_tokens") && !body.containsKey("max_completion_tokens") ? "max_tokens" : "max_completion_tokens";
    }

    @Override
    public Usage usage(JsonObject reply) {
        Object u = reply.getValue("usage");
        return u instanceof JsonObject usage ? fromUsage(usage) : null;
    }

    static Usage fromUsage(JsonObject usage) {
        long prompt = Fields.count(usage, "prompt_tokens");
        Object details = usage.getValue("prompt_tokens_details");
        long cached = details instanceof JsonObject d ? Math.min(prompt, Fields.count(d, "cached_tokens")) : 0;
        return new Usage(prompt - cached, cached, 0, Fields.count(usage, "completion_tokens"));
    }

    @Override
    public StreamScanner scanner(TokenCounter tokens, String encoding, boolean dropUsageEvent) {
        return new Scanner(tokens, encoding, dropUsageEvent);
    }

    /** Reads chat completion chunks: deltas for the running output count, the final usage chunk. */
    private static final class Scanner implements StreamScanner {
        private final TokenCounter tokens;
        private final String encoding;
        private final boolean dropUsageEvent;
        private Usage usage;
        private long output;

        Scanner(TokenCounter tokens, String encoding, boolean dropUsageEvent) {
            this.tokens = tokens;
            this.encoding = encoding;
            this.dropUsageEvent = dropUsageEvent;
        }

        @Override
        public boolean onEvent(Buffer event) {
            JsonObject chunk = SseEvents.json(event);
            if (chunk == null) {
                return true;
            }
            if (chunk.getValue("usage") instanceof JsonObject u) {
                usage = fromUsage(u);
            }
            Object choices = chunk.getValue("choices");
            if (choices instanceof JsonArray list) {
                for (Object c : list) {
                    if (c instanceof JsonObject choice && choice.getValue("delta") instanceof JsonObject delta) {
                        count(delta);
                    }
                }
                return !(dropUsageEvent && list.isEmpty() && usage != null);
            }
            return true;
        }

        private void count(JsonObject delta) {
            if (delta.getValue("content") instanceof String s) {
                output += tokens.count(encoding, s);
            }
            if (delta.getValue("refusal") instanceof String s) {
                output += tokens.count(encoding, s);
            }
            if (delta.getValue("tool_calls") instanceof JsonArray calls) {
                for (Object call : calls) {
                    if (call instanceof JsonObject c && c.getValue("function") instanceof JsonObject fn) {
                        output += tokens.count(encoding, fn.getString("name", "")) + tokens.count(encoding, fn.getString("arguments", ""));
                    }
                }
            }
        }

        @Override
        public Usage usage() {
            return usage;
        }

        @Override
        public long outputTokensSeen() {
            return output;
        }
    }
}
