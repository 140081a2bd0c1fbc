package io.spendguard.proxy.estimate;

import java.util.List;

/**
 * What a provider call will bill, as read from its body by the API shape: the model, whether it
 * streams, every billed text, the fixed framing and image tokens, and the output limit the client
 * set (null when unset). {@code choices} multiplies the output ceiling ({@code n}). {@code hidden}
 * is what the call draws on beyond its body (stored conversations, hosted tools, …).
 * {@code repeatedToolCalls} is how many times the most repeated tool call (same name, same arguments
 * as JSON) appears in the request's own history: 0 with none, 1 when every call is distinct — what
 * {@code runs.max_repeated_tool_calls} is checked against.
 */
public record CallSpec(String model, boolean stream, List<String> texts, int framingTokens, int imageTokens,
                       Integer maxOutputTokens, int choices, boolean billsOutput, HiddenInput hidden,
                       int repeatedToolCalls) {
    public CallSpec {
        texts = List.copyOf(texts);
        hidden = hidden == null ? HiddenInput.NONE : hidden;
        if (repeatedToolCalls < 0) {
            throw new IllegalArgumentException("repeatedToolCalls must be >= 0: " + repeatedToolCalls);
        }
    }

    /** A call whose history holds no tool calls. */
    public CallSpec(String model, boolean stream, List<String> texts, int framingTokens, int imageTokens,
                    Integer maxOutputTokens, int choices, boolean billsOutput, HiddenInput hidden) {
        this(model, stream, texts, framingTokens, imageTokens, maxOutputTokens, choices, billsOutput, hidden, 0);
    }

    /** A call that draws on nothing its body does not show, with no tool calls in its history. */
    public CallSpec(String model, boolean stream, List<String> texts, int framingTokens, int imageTokens,
                    Integer maxOutputTokens, int choices, boolean billsOutput) {
        this(model, stream, texts, framingTokens, imageTokens, maxOutputTokens, choices, billsOutput, HiddenInput.NONE, 0);
    }
}
