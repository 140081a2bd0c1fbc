package io.spendguard.proxy.config;

/**
 * An upstream LLM provider the proxy forwards to. The label names its configuration block
 * ({@code providers.openai}), a price's {@code provider}, and the {@code provider} metric label and
 * access-log field.
 */
public enum Provider implements Labelled {
    /** OpenAI ({@code Authorization: Bearer}). */
    OPENAI("openai"),
    /** Anthropic's Messages API ({@code x-api-key}). */
    ANTHROPIC("anthropic");

    private final String label;

    Provider(String label) {
        this.label = label;
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label;
    }
}
