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
 * OpenAI {@code POST /v1/responses}. Bills {@code instructions} as a developer message and
 * {@code input} — a string (one user message) or a list of items — as OpenAI counts chat messages
 * (role and content plus 3 framing tokens per message, 3 to prime the reply): message text parts,
 * images at a fixed cost ({@link BilledInput}), files (an inline file as its JSON text, base64 data
 * included, which over- rather than under-counts; a file referenced by id or URL, unknown here, as
 * one high-detail image), function calls (name and arguments) and their outputs, reasoning items
 * (summary and reasoning text; encrypted content is opaque and not counted), and any other item as its
 * JSON text. Tool definitions and a JSON schema {@code text.format} count as their JSON text. What
 * the body does not show is marked for the estimator's configured reserves ({@code HiddenInput}): the
 * conversation a {@code previous_response_id} or {@code conversation} refers to, a stored
 * {@code prompt.id}, each {@code input_file} by id or URL, each hosted tool
 * ({@value #HOSTED_TOOLS_DOC}), and {@code background: true}.
 * The {@code function_call} and {@code custom_tool_call} items are counted for loop detection
 * ({@link io.spendguard.proxy.provider.ToolCalls}). The output limit is {@code max_output_tokens}. Responses streams always report usage, in
 * {@code response.completed}, {@code response.incomplete} or {@code response.failed}.
 */
public final class OpenAiResponses extends OpenAiShape {
    static final String HOSTED_TOOLS_DOC = "web_search*, file_search, code_interpreter, image_generation, mcp";
    private static final java.util.Set<String> HOSTED_TOOLS = java.util.Set.of("file_search", "code_interpreter", "image_generation", "mcp");

    public OpenAiResponses() {
        super("responses", "/v1/responses");
    }

    @Override
    public CallSpec parse(JsonObject body) {
        String model = Fields.model(body);
        boolean stream = Fields.stream(body);
        BilledInput in = new BilledInput();
        in.fixed(BilledInput.REPLY_PRIMING);
        String instructions = Fields.optionalString(body, "instructions", "instructions");
        if (instructions != null) {
            in.message("developer");
            in.text(instructions);
        }
        input(body.getValue("input"), in);
        in.definitions(body, "tools");
        hidden(body, in);
        JsonObject text = Fields.optionalObject(body, "text", "text");
        JsonObject format = text == null ? null : Fields.optionalObject(text, "format", "text.format");
        if (format != null && "json_schema".equals(format.getValue("type"))) {
            in.json(format);
        }
        Integer max = Fields.optionalInt(body, "max_output_tokens", "max_output_tokens", 1);
        return in.spec(model, stream, max, 1, true);
    }

    /** What the call draws on beyond its body: stored state, hosted tools, background mode. */
    private static void hidden(JsonObject body, BilledInput in) {
        Object conversation = body.getValue("conversation");
        if (Fields.optionalString(body, "previous_response_id", "previous_response_id") != null || conversation != null) {
            in.storedConversation();
        }
        JsonObject prompt = Fields.optionalObject(body, "prompt", "prompt");
        if (prompt != null) {
            in.storedPrompt();
        }
        if (Fields.optionalBool(body, "background", "background", false)) {
            in.background();
        }
        JsonArray tools = Fields.optionalArray(body, "tools", "tools");
        if (tools != null) {
            for (int i = 0; i < tools.size(); i++) {
                if (tools.getValue(i) instanceof JsonObject tool && tool.getValue("type") instanceof String type
                        && (type.startsWith("web_search") || HOSTED_TOOLS.contains(type))) {
                    in.hostedTool();
                }
            }
        }
    }

    private static void input(Object input, BilledInput in) {
        if (input == null) {
            return;
        }
        if (input instanceof String s) {
            in.message("user");
            in.text(s);
            return;
        }
        if (!(input instanceof JsonArray items)) {
            throw Fields.invalid("input", "'input' must be a string or an array of input items.");
        }
        for (int i = 0; i < items.size(); i++) {
            item(Fields.objectAt(items, i, "input"), "input[" + i + "]", in);
        }
    }

    private static void item(JsonObject item, String path, BilledInput in) {
        String type = Fields.optionalString(item, "type", path + ".type");
        switch (type == null ? "message" : type) {
            case "message" -> {
                in.message(Fields.requiredString(item, "role", path + ".role"));
                in.content(item.getValue("content"), path + ".content", OpenAiResponses::part);
            }
            case "function_call" -> {
                in.fixed(BilledInput.TOKENS_PER_MESSAGE);
                String name = Fields.requiredString(item, "name", path + ".name");
                String arguments = Fields.optionalString(item, "arguments", path + ".arguments");
                in.text(name);
                in.text(arguments);
                in.toolCalls().encodedArguments(name, arguments);
            }
            case "custom_tool_call" -> {
                in.json(item);
                in.toolCalls().textInput(item.getValue("name") instanceof String n ? n : null,
                        item.getValue("input") instanceof String s ? s : null);
            }
            case "function_call_output" -> {
                in.fixed(BilledInput.TOKENS_PER_MESSAGE);
                in.content(item.getValue("output"), path + ".output", OpenAiResponses::part);
            }
            case "reasoning" -> {
                texts(item, "summary", path, in);
                texts(item, "content", path, in);
            }
            default -> in.json(item);
        }
    }

    /** The {@code text} of each part in the optional array {@code key} of a reasoning item. */
    private static void texts(JsonObject item, String key, String path, BilledInput in) {
        JsonArray parts = Fields.optionalArray(item, key, path + "." + key);
        if (parts != null) {
            for (int p = 0; p < parts.size(); p++) {
                String partPath = path + "." + key + "[" + p + "]";
                in.text(Fields.requiredText(Fields.objectAt(parts, p, path + "." + key), "text", partPath + ".text"));
            }
        }
    }

    /** Responses content parts: input and output text, refusals, images, files. */
    private static boolean part(String type, JsonObject part, String path, BilledInput in) {
        switch (type) {
            case "input_text", "output_text" -> in.text(Fields.requiredText(part, "text", path + ".text"));
            case "refusal" -> in.text(Fields.requiredText(part, "refusal", path + ".refusal"));
            case "input_image" -> in.image(Fields.optionalString(part, "detail", path + ".detail"));
            case "input_file" -> {
                in.json(part);
                if (Fields.optionalString(part, "file_data", path + ".file_data") == null) {
                    in.image("high");
                    in.fileById();
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** Responses streams always carry usage: nothing to ask for. */
    @Override
    public Buffer withStreamUsage(Buffer original, JsonObject body) {
        return null;
    }

    @Override
    public String outputLimitField(JsonObject body) {
        return "max_output_tokens";
    }

    @Override
    public Usage usage(JsonObject reply) {
        return OpenAiUsage.inputOutput(reply.getValue("usage"));
    }

    @Override
    public StreamScanner scanner(TokenCounter tokens, String encoding, boolean dropUsageEvent) {
        return new ResponseEvents(tokens, encoding);
    }
}
