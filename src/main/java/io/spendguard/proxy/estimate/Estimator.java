package io.spendguard.proxy.estimate;

import io.spendguard.proxy.config.ProxyConfig.EstimationConfig;
import io.spendguard.proxy.error.ProxyError;

/**
 * Turns a {@link CallSpec} into a claim: input tokens counted with the model's encoding, the output
 * ceiling (client limit, else the configured default, never above the model's max output or the
 * context window left) times {@code n}, priced and rounded up to µUSD.
 */
public final class Estimator {
    private final PriceTable prices;
    private final TokenCounter tokens;
    private final EstimationConfig config;

    public Estimator(PriceTable prices, TokenCounter tokens, EstimationConfig config) {
        this.prices = prices;
        this.tokens = tokens;
        this.config = config;
    }

    public Estimate estimate(CallSpec spec) {
        ModelPrice price = prices.lookup(spec.model());
        if (price == null) {
            throw ProxyError.UNPRICED_MODEL.exception("The model '" + spec.model()
                    + "' is not in the price table, so its cost cannot be reserved.").param("model");
        }
        long input = spec.framingTokens() + (long) spec.imageTokens();
        for (String text : spec.texts()) {
            input += tokens.count(price.encoding(), text);
        }
        long ceiling = 0;
        if (spec.billsOutput()) {
            long limit = spec.maxOutputTokens() != null
                    ? spec.maxOutputTokens()
                    : Math.min(config.defaultMaxOutputTokens(), price.maxOutputTokens());
            limit = Math.min(limit, price.maxOutputTokens());
            limit = Math.min(limit, Math.max(0, price.contextWindow() - input));
            ceiling = Math.max(0, limit) * Math.max(1, spec.choices());
        }
        long claim = price.costMicros(new Usage(input, 0, 0, ceiling));
        return new Estimate(price, input, ceiling, claim, prices.version(), Math.max(1, spec.choices()));
    }

    public TokenCounter tokens() {
        return tokens;
    }

    public PriceTable prices() {
        return prices;
    }
}
