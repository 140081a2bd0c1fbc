package io.spendguard.proxy.provider.openai;

import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.provider.Fields;
import io.spendguard.proxy.provider.StreamScanner;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * OpenAI {@code POST /v1/completions} (legacy). Bills the {@code prompt} (see {@link PromptInput};
 * no message framing) and the {@code suffix}. The output ceiling is {@code max_tokens} per
 * completion, times every prompt, times {@code max(n, best_of)}: {@code best_of} candidates are
 * generated server side and billed even though only {@code n} come back. Without {@code max_tokens}
 * OpenAI stops at 16 tokens, but the ceiling is left unset so the estimator's configured default
 * applies: a larger, safe hold that also covers OpenAI-compatible servers with other defaults (the
 * unused part is released at settlement). Usage and streams are read as for chat: the proxy asks for
 * {@code stream_options.include_usage} and drops the usage chunk when the client did not ask for it.
 */
public final class OpenAiCompletions extends OpenAiShape {
    /** A completion chunk's choice carries its output as {@code text}. */
    private static final ChunkScanner.Chunks CHUNKS = new ChunkScanner.Chunks("choices[].text");

    public OpenAiCompletions() {
        super("completions", "/v1/completions");
    }

    @Override
    public CallSpec parse(JsonObject body) {
        String model = Fields.model(body);
        boolean stream = Fields.stream(body);
        BilledInput in = new BilledInput();
        int prompts = PromptInput.read(body, "prompt", in);
        in.text(Fields.optionalString(body, "suffix", "suffix"));
        Integer max = Fields.optionalInt(body, "max_tokens", "max_tokens", 0);
        Integer n = Fields.optionalInt(body, "n", "n", 1);
        Integer bestOf = Fields.optionalInt(body, "best_of", "best_of", 1);
        Fields.optionalBool(body, "echo", "echo", false);
        IncludeUsage.validate(body);
        int perPrompt = Math.max(n == null ? 1 : n, bestOf == null ? 1 : bestOf);
        return in.spec(model, stream, max, (int) Math.min(Integer.MAX_VALUE, (long) prompts * perPrompt), true);
    }

    @Override
    public Buffer withStreamUsage(Buffer original, JsonObject body) {
        return IncludeUsage.request(original, body);
    }

    @Override
    public String outputLimitField(JsonObject body) {
        return "max_tokens";
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
