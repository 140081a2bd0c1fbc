package io.spendguard.proxy.provider.openai;

import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.provider.Fields;
import io.spendguard.proxy.provider.StreamScanner;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * OpenAI {@code POST /v1/embeddings}: bills its {@code input} (see {@link PromptInput}) and nothing
 * else, so there is no output ceiling and no output limit to write. The API has no streaming: a
 * {@code stream} field in the body is not read (it changes no cost) and goes to OpenAI as sent, which
 * judges it; the reply is billed as JSON. Usage is {@code usage.prompt_tokens}, with no output.
 */
public final class OpenAiEmbeddings extends OpenAiShape {
    /** An embeddings reply carries no output text. */
    private static final ChunkScanner.Chunks CHUNKS = new ChunkScanner.Chunks();

    public OpenAiEmbeddings() {
        super("embeddings", "/v1/embeddings");
    }

    @Override
    public CallSpec parse(JsonObject body) {
        String model = Fields.model(body);
        // Not priced, but a wrong one is refused here rather than forwarded and billed by the provider.
        Fields.optionalInt(body, "dimensions", "dimensions", 1);
        BilledInput in = new BilledInput();
        PromptInput.read(body, "input", in);
        return in.spec(model, false, null, 1, false);
    }

    @Override
    public Buffer withStreamUsage(Buffer original, JsonObject body) {
        return null;
    }

    @Override
    public String outputLimitField(JsonObject body) {
        return null;
    }

    @Override
    public Usage usage(JsonObject reply) {
        Usage usage = OpenAiUsage.promptCompletion(reply.getValue("usage"));
        return usage == null ? null : new Usage(usage.uncachedInput(), usage.cacheRead(), 0, 0);
    }

    /** Embeddings never stream; should a reply arrive as SSE anyway, a usage it carries is still read. */
    @Override
    public StreamScanner scanner(TokenCounter tokens, String encoding, boolean dropUsageEvent) {
        return new ChunkScanner(tokens, encoding, false, CHUNKS);
    }
}
