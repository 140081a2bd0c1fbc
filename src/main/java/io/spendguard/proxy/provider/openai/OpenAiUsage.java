package io.spendguard.proxy.provider.openai;

import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.provider.Fields;
import io.vertx.core.json.JsonObject;

/**
 * OpenAI usage blocks, normalised: the cached part of the input total is split out (priced as cache
 * reads); output includes reasoning tokens, which OpenAI bills as output. A count that is not a whole,
 * non-negative number makes the whole usage unreadable ({@link Usage#readable()}).
 */
final class OpenAiUsage {
    private OpenAiUsage() { }

    /**
     * Chat, legacy completions and embeddings: {@code prompt_tokens} (of which
     * {@code prompt_tokens_details.cached_tokens}) and {@code completion_tokens}; null unless an object.
     */
    static Usage promptCompletion(Object usage) {
        return read(usage, "prompt_tokens", "prompt_tokens_details", "completion_tokens");
    }

    /**
     * Responses: {@code input_tokens} (of which {@code input_tokens_details.cached_tokens}) and
     * {@code output_tokens} (which include {@code output_tokens_details.reasoning_tokens}); null unless an object.
     */
    static Usage inputOutput(Object usage) {
        return read(usage, "input_tokens", "input_tokens_details", "output_tokens");
    }

    private static Usage read(Object value, String inputKey, String detailsKey, String outputKey) {
        if (!(value instanceof JsonObject usage)) {
            return null;
        }
        long input = Fields.count(usage, inputKey);
        long cached = usage.getValue(detailsKey) instanceof JsonObject details ? Fields.count(details, "cached_tokens") : 0;
        long output = Fields.count(usage, outputKey);
        if (input < 0 || cached < 0 || output < 0) {
            return new Usage(Usage.UNREADABLE, Usage.UNREADABLE, 0, Usage.UNREADABLE);
        }
        cached = Math.min(input, cached);
        return new Usage(input - cached, cached, 0, output);
    }
}
