package io.spendguard.proxy.estimate;

import java.util.List;

/**
 * What a provider call will bill, as read from its body by the API shape: the model, whether it
 * streams, every billed text, the fixed framing and image tokens, and the output limit the client
 * set (null when unset). {@code choices} multiplies the output ceiling ({@code n}). {@code hidden}
 * is what the call draws on beyond its body (stored conversations, hosted tools, …).
 */
public record CallSpec(String model, boolean stream, List<String> texts, int framingTokens, int imageTokens,
                       Integer maxOutputTokens, int choices, boolean billsOutput, HiddenInput hidden) {
    public CallSpec {
        texts = List.copyOf(texts);
        hidden = hidden == null ? HiddenInput.NONE : hidden;
    }

    /** A call that draws on nothing its body does not show. */
    public CallSpec(String model, boolean stream, List<String> texts, int framingTokens, int imageTokens,
                    Integer maxOutputTokens, int choices, boolean billsOutput) {
        this(model, stream, texts, framingTokens, imageTokens, maxOutputTokens, choices, billsOutput, HiddenInput.NONE);
    }
}
