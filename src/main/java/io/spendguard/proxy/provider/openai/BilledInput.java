package io.spendguard.proxy.provider.openai;

import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.estimate.HiddenInput;
import io.spendguard.proxy.provider.Fields;
import io.spendguard.proxy.provider.ToolCalls;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * What a request bills as input, gathered while its body is parsed: the texts to count with the
 * model's encoding, fixed tokens (message framing, prompts sent already tokenised) and images at a
 * fixed cost each (85 tokens at {@code detail: low}, else 765, a 1024×1024 high-detail image); and
 * the tool calls in the request's history, for loop detection.
 */
final class BilledInput {
    static final int TOKENS_PER_MESSAGE = 3;
    static final int REPLY_PRIMING = 3;
    static final int IMAGE_LOW = 85;
    static final int IMAGE_HIGH = 765;

    /** Reads one typed content part into the input; false when the type is not one it knows. */
    @FunctionalInterface
    interface PartReader {
        boolean read(String type, JsonObject part, String path, BilledInput into);
    }

    private final List<String> texts = new ArrayList<>();
    private final ToolCalls toolCalls = new ToolCalls();
    private int fixedTokens;
    private int imageTokens;
    private boolean storedConversation;
    private boolean storedPrompt;
    private int filesById;
    private int hostedTools;
    private boolean background;

    /** Adds a billed text; null adds nothing. */
    void text(String text) {
        if (text != null) {
            texts.add(text);
        }
    }

    /** Adds a value billed as its JSON text (tool definitions, schemas, items of unknown type). */
    void json(JsonObject value) {
        texts.add(value.encode());
    }

    void fixed(int tokens) {
        fixedTokens += tokens;
    }

    /** One message's framing and its role. */
    void message(String role) {
        fixedTokens += TOKENS_PER_MESSAGE;
        texts.add(role);
    }

    /** One image, priced by its {@code detail}. */
    void image(Object detail) {
        imageTokens += "low".equals(detail) ? IMAGE_LOW : IMAGE_HIGH;
    }

    /** Each definition in the optional array {@code key} (tools, functions), as its JSON text. */
    void definitions(JsonObject body, String key) {
        JsonArray defs = Fields.optionalArray(body, key, key);
        if (defs != null) {
            for (int i = 0; i < defs.size(); i++) {
                json(Fields.objectAt(defs, i, key));
            }
        }
    }

    /**
     * Message content: absent, a string, or an array of typed parts, each read by {@code parts}; a part
     * of a type it does not know is billed as its JSON text.
     */
    void content(Object content, String path, PartReader parts) {
        if (content == null) {
            return;
        }
        if (content instanceof String s) {
            texts.add(s);
            return;
        }
        if (!(content instanceof JsonArray list)) {
            throw Fields.invalid(path, "'" + path + "' must be a string or an array of content parts.");
        }
        for (int p = 0; p < list.size(); p++) {
            JsonObject part = Fields.objectAt(list, p, path);
            String partPath = path + "[" + p + "]";
            String type = Fields.requiredString(part, "type", partPath + ".type");
            if (!parts.read(type, part, partPath, this)) {
                json(part);
            }
        }
    }

    /** The tool calls of the request's history, counted as they are read. */
    ToolCalls toolCalls() {
        return toolCalls;
    }

    /** The call continues a conversation stored at the provider. */
    void storedConversation() {
        storedConversation = true;
    }

    /** The call uses a prompt stored at the provider. */
    void storedPrompt() {
        storedPrompt = true;
    }

    /** One file the provider reads by id or URL, unseen here. */
    void fileById() {
        filesById++;
    }

    /** One hosted tool the provider runs and bills on its own. */
    void hostedTool() {
        hostedTools++;
    }

    /** The call runs in the background: its usage is never in the reply. */
    void background() {
        background = true;
    }

    CallSpec spec(String model, boolean stream, Integer maxOutputTokens, int choices, boolean billsOutput) {
        return new CallSpec(model, stream, texts, fixedTokens, imageTokens, maxOutputTokens, choices, billsOutput,
                new HiddenInput(storedConversation, storedPrompt, filesById, hostedTools, background),
                toolCalls.mostRepeated());
    }
}
