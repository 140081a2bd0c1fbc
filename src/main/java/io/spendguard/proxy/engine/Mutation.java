package io.spendguard.proxy.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * What a DEGRADE decision changes in a request before it is forwarded: the model, the output
 * limit (written to whichever field the API uses), the temperature. Null fields stay as sent.
 */
public record Mutation(String model, Integer maxOutputTokens, Double temperature) {

    public boolean isEmpty() {
        return model == null && maxOutputTokens == null && temperature == null;
    }

    /** What changed, for the {@code X-SpendGuard-Degraded} header, e.g. {@code model=gpt-4o-mini}. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (model != null) {
            parts.add("model=" + model);
        }
        if (maxOutputTokens != null) {
            parts.add("max_output_tokens=" + maxOutputTokens);
        }
        if (temperature != null) {
            parts.add("temperature=" + temperature);
        }
        return String.join("; ", parts);
    }
}
