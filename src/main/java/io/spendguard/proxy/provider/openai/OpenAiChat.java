package io.spendguard.proxy.provider.openai;

import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.provider.Fields;
import io.spendguard.proxy.provider.StreamScanner;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * OpenAI {@code POST /v1/chat/completions}. Bills, as OpenAI counts them: every message's role,
 * content (string or text parts), name and tool calls, plus 3 framing tokens per message, 1 per name
 * and 3 to prime the reply; tool / function definitions and a JSON schema response format as their
 * JSON text; images at a fixed cost each (see {@link BilledInput}). {@code web_search_options} (the
 * search models) counts as one hosted tool for the estimator's reserve. The tool calls of assistant
 * messages ({@code tool_calls[].function}, {@code tool_calls[].custom}, the legacy
 * {@code function_call}) are counted for loop detection ({@link io.spendguard.proxy.provider.ToolCalls}).
 */
public final class OpenAiChat extends OpenAiShape {
    static final int TOKENS_PER_NAME = 1;
    /** The output a chat chunk's choice carries: content, refusal, tool call names and arguments. */
    private static final ChunkScanner.Chunks CHUNKS = new ChunkScanner.Chunks("choices[].delta.content",
            "choices[].delta.refusal", "choices[].delta.tool_calls[].function.name", "choices[].delta.tool_calls[].function.arguments");

    public OpenAiChat() {
        super("chat_completions", "/v1/chat/completions");
    }

    @Override
    public CallSpec parse(JsonObject body) {
        String model = Fields.model(body);
        boolean stream = Fields.stream(body);
        JsonArray messages = Fields.requiredArray(body, "messages", "messages");
        BilledInput in = new BilledInput();
        in.fixed(BilledInput.REPLY_PRIMING);
        for (int i = 0; i < messages.size(); i++) {
            message(Fields.objectAt(messages, i, "messages"), "messages[" + i + "]", in);
        }
        in.definitions(body, "tools");
        in.definitions(body, "functions");
        JsonObject format = Fields.optionalObject(body, "response_format", "response_format");
        if (format != null && format.containsKey("json_schema")) {
            in.json(format);
        }
        Integer max = outputLimit(body);
        if (Fields.optionalObject(body, "web_search_options", "web_search_options") != null) {
            in.hostedTool();
        }
        Integer n = Fields.optionalInt(body, "n", "n", 1);
        IncludeUsage.validate(body);
        return in.spec(model, stream, max, n == null ? 1 : n, true);
    }

    /**
     * {@code max_completion_tokens} or the older {@code max_tokens}; when a body sets both (OpenAI
     * refuses that, compatible servers may not) the larger, so whichever the server obeys is covered.
     */
    private static Integer outputLimit(JsonObject body) {
        Integer completion = Fields.optionalInt(body, "max_completion_tokens", "max_completion_tokens", 1);
        Integer legacy = Fields.optionalInt(body, "max_tokens", "max_tokens", 1);
        if (completion == null || legacy == null) {
            return completion != null ? completion : legacy;
        }
        return Math.max(completion, legacy);
    }

    private static void message(JsonObject m, String path, BilledInput in) {
        String role = Fields.requiredString(m, "role", path + ".role");
        in.message(role);
        boolean assistant = "assistant".equals(role);
        String name = Fields.optionalString(m, "name", path + ".name");
        if (name != null) {
            in.text(name);
            in.fixed(TOKENS_PER_NAME);
        }
        in.content(m.getValue("content"), path + ".content", OpenAiChat::part);
        JsonArray calls = Fields.optionalArray(m, "tool_calls", path + ".tool_calls");
        if (calls != null) {
            for (int c = 0; c < calls.size(); c++) {
                JsonObject call = Fields.objectAt(calls, c, path + ".tool_calls");
                JsonObject fn = Fields.optionalObject(call, "function", path + ".tool_calls[" + c + "].function");
                if (fn != null) {
                    in.json(fn);
                    if (assistant) {
                        in.toolCalls().encodedArguments(name(fn), fn.getValue("arguments"));
                    }
                } else if (call.getValue("custom") instanceof JsonObject custom) {
                    in.json(custom);
                    if (assistant) {
                        in.toolCalls().textInput(name(custom), custom.getValue("input") instanceof String s ? s : null);
                    }
                }
            }
        }
        JsonObject legacyCall = Fields.optionalObject(m, "function_call", path + ".function_call");
        if (legacyCall != null) {
            in.json(legacyCall);
            if (assistant) {
                in.toolCalls().encodedArguments(name(legacyCall), legacyCall.getValue("arguments"));
            }
        }
        in.text(Fields.optionalString(m, "tool_call_id", path + ".tool_call_id"));
    }

    /** A tool call's {@code name}, or null when it has none (such a call is not counted). */
    private static String name(JsonObject call) {
        return call.getValue("name") instanceof String n ? n : null;
    }

    /** Chat content parts: text, refusal and images; anything else is billed as its JSON. */
    private static boolean part(String type, JsonObject part, String path, BilledInput in) {
        switch (type) {
            case "text" -> in.text(Fields.requiredString(part, "text", path + ".text"));
            case "refusal" -> in.text(Fields.requiredString(part, "refusal", path + ".refusal"));
            case "image_url" -> {
                JsonObject image = Fields.optionalObject(part, "image_url", path + ".image_url");
                in.image(image == null ? null : image.getValue("detail"));
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    @Override
    public Buffer withStreamUsage(Buffer original, JsonObject body) {
        return IncludeUsage.request(original, body);
    }

    @Override
    public String outputLimitField(JsonObject body) {
        return body.containsKey("max_tokens") && !body.containsKey("max_completion_tokens") ? "max_tokens" : "max_completion_tokens";
    }

    @Override
    public Usage usage(JsonObject reply) {
        return OpenAiUsage.promptCompletion(reply.getValue("usage"));
    }

    @Override
    public StreamScanner scanner(TokenCounter tokens, String encoding, boolean dropUsageEvent) {
        return new ChunkScanner(tokens, encoding, dropUsageEvent, CHUNKS);
    }
}
