package io.spendguard.proxy.provider.openai;

import io.spendguard.proxy.provider.Fields;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The prompt forms of OpenAI legacy completions ({@code prompt}) and embeddings ({@code input}): a
 * string, a list of strings, a token array or a list of token arrays. Strings are billed as text; a
 * token array is already tokenised, so it bills its length.
 */
final class PromptInput {
    private PromptInput() { }

    /** Reads the required field {@code key} into {@code into}; returns how many prompts it holds. */
    static int read(JsonObject body, String key, BilledInput into) {
        Object value = body.getValue(key);
        if (value instanceof String s) {
            into.text(s);
            return 1;
        }
        if (!(value instanceof JsonArray list) || list.isEmpty()) {
            throw Fields.invalid(key, "'" + key + "' is required and must be a string, an array of strings, "
                    + "an array of tokens or an array of token arrays.");
        }
        if (list.getValue(0) instanceof Number) {
            into.fixed(tokens(list, key));
            return 1;
        }
        for (int i = 0; i < list.size(); i++) {
            Object item = list.getValue(i);
            String path = key + "[" + i + "]";
            if (item instanceof String s) {
                into.text(s);
            } else if (item instanceof JsonArray tokens && !tokens.isEmpty()) {
                into.fixed(tokens(tokens, path));
            } else {
                throw Fields.invalid(path, "'" + path + "' must be a string or a non-empty array of tokens.");
            }
        }
        return list.size();
    }

    /** The length of a token array, every element a whole number. */
    private static int tokens(JsonArray list, String path) {
        for (int i = 0; i < list.size(); i++) {
            if (!(list.getValue(i) instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < 0) {
                throw Fields.invalid(path + "[" + i + "]", "'" + path + "[" + i + "]' must be a token id (a whole number >= 0).");
            }
        }
        return list.size();
    }
}
