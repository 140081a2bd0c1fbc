package io.spendguard.proxy.estimate;

import io.spendguard.proxy.engine.Money;

import io.spendguard.proxy.config.ProxyConfig.EstimationConfig;
import io.spendguard.proxy.error.ProxyError;

/**
 * Turns a {@link CallSpec} into a claim: input tokens counted with the model's encoding, the output
 * ceiling (client limit, else the configured default, never above the model's max output or the
 * context window left) times {@code n}, priced and rounded up to µUSD, plus the configured reserves
 * for what the call draws on beyond its body ({@link HiddenInput}).
 *
 * <p>BPE work per request is bounded: once {@value #COUNTED_CHARS_PER_REQUEST} characters of a
 * request's texts have been counted, the rest are counted by {@link TokenCounter#upperBound} (one
 * token per UTF-8 byte), which over- but never under-counts. That many characters is already more
 * than the largest context window holds, so a call the provider can accept is counted exactly.
 */
public final class Estimator {
    /** Characters per request counted by BPE (about a million tokens of prose); the rest by their bytes. */
    public static final int COUNTED_CHARS_PER_REQUEST = 4 * 1024 * 1024;

    private final PriceTable prices;
    private final TokenCounter tokens;
    private final EstimationConfig config;
    private final int countedChars;

    public Estimator(PriceTable prices, TokenCounter tokens, EstimationConfig config) {
        this(prices, tokens, config, COUNTED_CHARS_PER_REQUEST);
    }

    /** With another per-request counting budget (tests). */
    Estimator(PriceTable prices, TokenCounter tokens, EstimationConfig config, int countedCharsPerRequest) {
        this.prices = prices;
        this.tokens = tokens;
        this.config = config;
        this.countedChars = countedCharsPerRequest;
    }

    public Estimate estimate(CallSpec spec) {
        ModelPrice price = prices.lookup(spec.model());
        if (price == null) {
            throw ProxyError.UNPRICED_MODEL.exception("The model '" + spec.model()
                    + "' is not in the price table, so its cost cannot be reserved.").param("model");
        }
        long input = spec.framingTokens() + (long) spec.imageTokens() + inputTokens(price.encoding(), spec);
        HiddenInput hidden = spec.hidden();
        long ceiling = 0;
        if (spec.billsOutput()) {
            // A background response's usage arrives after the reply, out of sight: without a limit of its own, reserve the model's most.
            long limit = spec.maxOutputTokens() != null
                    ? spec.maxOutputTokens()
                    : hidden.background() ? price.maxOutputTokens() : Math.min(config.defaultMaxOutputTokens(), price.maxOutputTokens());
            limit = Math.min(limit, price.maxOutputTokens());
            // Only the input the body shows narrows the window: the hidden amounts are reserves, not known sizes.
            limit = Math.min(limit, Math.max(0, price.contextWindow() - input));
            ceiling = Math.max(0, limit) * Math.max(1, spec.choices());
        }
        input += hiddenTokens(hidden);
        long claim = price.costMicros(new Usage(input, 0, 0, ceiling));
        long tools = Money.times(hidden.hostedTools(), config.hiddenCosts().hostedToolMicros());
        return new Estimate(price, input, ceiling, Money.add(claim, tools), prices.version(), Math.max(1, spec.choices()));
    }

    /** Input tokens reserved for what the call draws on beyond its body ({@code estimation.hidden_costs}). */
    private long hiddenTokens(HiddenInput hidden) {
        var costs = config.hiddenCosts();
        return (hidden.storedConversation() ? costs.previousResponseTokens() : 0)
                + (hidden.storedPrompt() ? costs.storedPromptTokens() : 0)
                + hidden.filesById() * costs.fileInputTokens()
                + hidden.hostedTools() * costs.hostedToolTokens();
    }

    /** The request's texts, counted by BPE within the per-request budget and bounded by their bytes beyond it. */
    private long inputTokens(String encoding, CallSpec spec) {
        long total = 0;
        long budget = countedChars;
        for (String text : spec.texts()) {
            if (text.length() <= budget) {
                total += tokens.count(encoding, text);
                budget -= text.length();
            } else {
                total += tokens.upperBound(encoding, text);
            }
        }
        return total;
    }

    public TokenCounter tokens() {
        return tokens;
    }

    public PriceTable prices() {
        return prices;
    }
}
