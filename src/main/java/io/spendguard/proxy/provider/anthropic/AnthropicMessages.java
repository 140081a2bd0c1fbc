package io.spendguard.proxy.provider.anthropic;

import io.spendguard.proxy.config.Provider;
import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.estimate.HiddenInput;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.provider.ApiShape;
import io.spendguard.proxy.provider.Fields;
import io.spendguard.proxy.provider.StreamScanner;
import io.spendguard.proxy.provider.ToolCalls;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Anthropic {@code POST /v1/messages}. Anthropic publishes no tokenizer, so every billed text is
 * counted with the price table's conservative {@code estimate} encoding. Billed as input: the
 * {@code system} prompt (string or text blocks); every message's content — text, tool calls (name and
 * input JSON), tool results, documents (a text source's text; a PDF at {@value #PDF_PAGE_TEXT_TOKENS}
 * text tokens plus one page image per page, pages counted by {@link PdfPages}, or
 * {@value #UNKNOWN_PDF_PAGES} pages when the PDF is a URL or uploaded file), thinking blocks, anything
 * else as its JSON text; images at a fixed {@value #IMAGE_TOKENS} tokens each (Anthropic:
 * tokens ≈ width × height / 750, scaled down to ~1,600 at most; {@value #HIGH_RES_IMAGE_TOKENS} for
 * models documented with a higher native resolution); tool definitions and {@code tool_choice} as
 * their JSON text plus the {@value #TOOL_SYSTEM_PROMPT}-token system prompt Anthropic adds when tools
 * are present; {@value #TOKENS_PER_MESSAGE} framing tokens per message and {@value #REPLY_PRIMING} to
 * open the reply. {@code max_tokens} is required; extended thinking's {@code budget_tokens} is billed
 * as output, so the output ceiling is the larger of the two. Server tools (web search, web fetch,
 * code execution) are marked for the estimator's hosted-tool reserve. The {@code tool_use} blocks of
 * assistant messages are counted for loop detection ({@link ToolCalls}), their {@code input} compared as JSON.
 */
public final class AnthropicMessages implements ApiShape {
    static final int TOKENS_PER_MESSAGE = 4;
    static final int REPLY_PRIMING = 4;
    static final int TOOL_SYSTEM_PROMPT = 346;
    static final int IMAGE_TOKENS = 1_600;
    static final int HIGH_RES_IMAGE_TOKENS = 4_784;
    static final int PDF_PAGE_TEXT_TOKENS = 3_000;
    static final int UNKNOWN_PDF_PAGES = 20;
    /** Models whose native image resolution goes beyond ~1.15 megapixels. */
    private static final List<String> HIGH_RES_MODELS = List.of("claude-opus-4-7");

    @Override
    public Provider provider() {
        return Provider.ANTHROPIC;
    }

    @Override
    public String route() {
        return "messages";
    }

    @Override
    public String path() {
        return "/v1/messages";
    }

    @Override
    public CallSpec parse(JsonObject body) {
        String model = Fields.model(body);
        Integer max = Fields.optionalInt(body, "max_tokens", "max_tokens", 1);
        if (max == null) {
            throw Fields.invalid("max_tokens", "'max_tokens' is required and must be an integer >= 1.");
        }
        boolean stream = Fields.optionalBool(body, "stream", "stream", false);
        JsonArray messages = Fields.requiredArray(body, "messages", "messages");
        Billed billed = new Billed(HIGH_RES_MODELS.stream().anyMatch(model::startsWith) ? HIGH_RES_IMAGE_TOKENS : IMAGE_TOKENS);
        system(body.getValue("system"), billed);
        for (int i = 0; i < messages.size(); i++) {
            String path = "messages[" + i + "]";
            JsonObject m = Fields.objectAt(messages, i, "messages");
            String role = Fields.requiredString(m, "role", path + ".role");
            Object content = m.getValue("content");
            if (content == null) {
                throw Fields.invalid(path + ".content", "'" + path + ".content' is required and must be a string or an array of content blocks.");
            }
            billed.toolCalls = "assistant".equals(role) ? billed.history : null;
            billed.content(content, path + ".content");
            billed.fixed += TOKENS_PER_MESSAGE;
        }
        tools(body, billed);
        return new CallSpec(model, stream, billed.texts, (int) Math.min(Integer.MAX_VALUE, billed.fixed + REPLY_PRIMING), 0,
                outputCeiling(body, max), 1, true, new HiddenInput(false, false, 0, serverTools(body), false),
                billed.history.mostRepeated());
    }

    /**
     * Server tools Anthropic runs and bills per use ({@code web_search_*}, {@code web_fetch_*},
     * {@code code_execution_*}); client tools, including Anthropic-defined ones the client runs, bill tokens only.
     */
    private static int serverTools(JsonObject body) {
        int n = 0;
        if (body.getValue("tools") instanceof JsonArray tools) {
            for (Object t : tools) {
                if (t instanceof JsonObject tool && tool.getValue("type") instanceof String type
                        && (type.startsWith("web_search_") || type.startsWith("web_fetch_") || type.startsWith("code_execution_"))) {
                    n++;
                }
            }
        }
        return n;
    }

    private static void system(Object system, Billed billed) {
        if (system == null) {
            return;
        }
        if (!(system instanceof String) && !(system instanceof JsonArray)) {
            throw Fields.invalid("system", "'system' must be a string or an array of text blocks.");
        }
        billed.content(system, "system");
    }

    private static void tools(JsonObject body, Billed billed) {
        JsonArray tools = Fields.optionalArray(body, "tools", "tools");
        if (tools != null && !tools.isEmpty()) {
            billed.fixed += TOOL_SYSTEM_PROMPT;
            for (int i = 0; i < tools.size(); i++) {
                billed.texts.add(Fields.objectAt(tools, i, "tools").encode());
            }
        }
        JsonObject choice = Fields.optionalObject(body, "tool_choice", "tool_choice");
        if (choice != null) {
            billed.texts.add(choice.encode());
        }
    }

    /** {@code max_tokens}, or the thinking budget when it is larger: thinking is billed as output. */
    private static int outputCeiling(JsonObject body, int max) {
        JsonObject thinking = Fields.optionalObject(body, "thinking", "thinking");
        if (thinking == null || !"enabled".equals(Fields.requiredString(thinking, "type", "thinking.type"))) {
            return max;
        }
        Integer budget = Fields.optionalInt(thinking, "budget_tokens", "thinking.budget_tokens", 1);
        if (budget == null) {
            throw Fields.invalid("thinking.budget_tokens", "'thinking.budget_tokens' is required when thinking is enabled.");
        }
        return Math.max(max, budget);
    }

    /**
     * The texts and fixed-cost tokens (framing, images, PDF pages) one request bills, and the tool calls
     * of its history: {@code tool_use} blocks of assistant messages, counted into {@code history} while
     * {@code toolCalls} points at it (null while a message of another role is read).
     */
    private static final class Billed {
        final List<String> texts = new ArrayList<>();
        final ToolCalls history = new ToolCalls();
        final int imageTokens;
        long fixed;
        ToolCalls toolCalls;

        Billed(int imageTokens) {
            this.imageTokens = imageTokens;
        }

        /** A string, or an array of content blocks. */
        void content(Object content, String path) {
            if (content instanceof String s) {
                texts.add(s);
                return;
            }
            if (!(content instanceof JsonArray blocks)) {
                throw Fields.invalid(path, "'" + path + "' must be a string or an array of content blocks.");
            }
            for (int b = 0; b < blocks.size(); b++) {
                block(Fields.objectAt(blocks, b, path), path + "[" + b + "]");
            }
        }

        private void block(JsonObject block, String path) {
            switch (Fields.requiredString(block, "type", path + ".type")) {
                case "text" -> texts.add(Fields.requiredString(block, "text", path + ".text"));
                case "image" -> fixed += imageTokens;
                case "tool_use" -> {
                    String name = Fields.requiredString(block, "name", path + ".name");
                    JsonObject input = Fields.optionalObject(block, "input", path + ".input");
                    texts.add(name);
                    texts.add(input == null ? "{}" : input.encode());
                    if (toolCalls != null) {
                        toolCalls.parsedArguments(name, input);
                    }
                }
                case "tool_result" -> {
                    Object result = block.getValue("content");
                    if (result != null) {
                        content(result, path + ".content");
                    }
                }
                case "document" -> document(block, path);
                case "thinking" -> texts.add(Fields.requiredString(block, "thinking", path + ".thinking"));
                case "redacted_thinking" -> texts.add(Fields.requiredString(block, "data", path + ".data"));
                default -> texts.add(block.encode());
            }
        }

        private void document(JsonObject block, String path) {
            addIfPresent(Fields.optionalString(block, "title", path + ".title"));
            addIfPresent(Fields.optionalString(block, "context", path + ".context"));
            JsonObject source = Fields.optionalObject(block, "source", path + ".source");
            String type = source == null ? "" : Fields.requiredString(source, "type", path + ".source.type");
            switch (type) {
                case "text" -> texts.add(Fields.requiredString(source, "data", path + ".source.data"));
                case "content" -> content(source.getValue("content"), path + ".source.content");
                case "base64" -> pdf(PdfPages.estimate(Fields.requiredString(source, "data", path + ".source.data")));
                default -> pdf(UNKNOWN_PDF_PAGES);
            }
        }

        private void pdf(int pages) {
            fixed += (long) pages * (PDF_PAGE_TEXT_TOKENS + imageTokens);
        }

        private void addIfPresent(String text) {
            if (text != null) {
                texts.add(text);
            }
        }
    }

    /** Anthropic streams always report usage: nothing to ask for. */
    @Override
    public Buffer withStreamUsage(Buffer original, JsonObject body) {
        return null;
    }

    @Override
    public String outputLimitField(JsonObject body) {
        return "max_tokens";
    }

    @Override
    public Usage usage(JsonObject reply) {
        return reply.getValue("usage") instanceof JsonObject u ? fromUsage(u) : null;
    }

    /** Anthropic reports input split three ways: uncached, read from cache, written to cache. */
    static Usage fromUsage(JsonObject usage) {
        return new Usage(Fields.count(usage, "input_tokens"), Fields.count(usage, "cache_read_input_tokens"),
                Fields.count(usage, "cache_creation_input_tokens"), Fields.count(usage, "output_tokens"));
    }

    @Override
    public StreamScanner scanner(TokenCounter tokens, String encoding, boolean dropUsageEvent) {
        return new AnthropicStreamScanner(tokens, encoding);
    }
}
