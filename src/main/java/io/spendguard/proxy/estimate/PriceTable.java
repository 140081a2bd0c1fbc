package io.spendguard.proxy.estimate;

import io.spendguard.proxy.config.ConfigException;
import io.spendguard.proxy.config.ConfigNode;
import io.spendguard.proxy.config.Provider;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The price table ({@code config/pricing.yaml}): exact model name first, then a dated snapshot or
 * alias of a listed model — the listed name followed by {@code -YYYY-MM-DD} ({@code gpt-4o-2024-08-06}),
 * {@code -YYYYMMDD} ({@code claude-sonnet-4-5-20250929}), {@code @YYYYMMDD} (Vertex AI's
 * {@code claude-sonnet-4-5@20250929}), {@code -MMDD} ({@code gpt-4-0613}) or {@code -latest} — then the
 * optional {@code default}. Any other suffix is another model, with a price of its own:
 * {@code gpt-4o-mini-ultra} or {@code gpt-4o-audio-preview} are not priced as {@code gpt-4o-mini} or
 * {@code gpt-4o}, but refused as unpriced unless listed.
 */
public final class PriceTable {
    private static final Set<String> ENCODINGS = Set.of("o200k_base", "cl100k_base", "estimate");
    /** A listed name, then one snapshot date or alias suffix. */
    private static final Pattern SNAPSHOT = Pattern.compile("(.+?)(?:-\\d{4}-\\d{2}-\\d{2}|-\\d{8}|@\\d{8}|-\\d{4}|-latest)");

    private final String version;
    private final Map<String, ModelPrice> models;
    private final ModelPrice fallback;

    public PriceTable(String version, Map<String, ModelPrice> models, ModelPrice fallback) {
        this.version = version;
        this.models = Map.copyOf(models);
        this.fallback = fallback;
    }

    /** Parses the YAML price table; every error names its key. */
    public static PriceTable parse(String yaml, String source) {
        ConfigNode root = ConfigNode.parse(yaml, System::getenv, source).only("version", "models", "default");
        Map<String, ModelPrice> models = new LinkedHashMap<>();
        root.child("models").children().forEach((name, node) -> models.put(name, price(name, node)));
        if (models.isEmpty()) {
            throw new ConfigException(root.path("models") + ": empty (expected: at least one model)");
        }
        ModelPrice fallback = root.has("default") ? price("default", root.child("default")) : null;
        return new PriceTable(root.requiredString("version"), models, fallback);
    }

    private static ModelPrice price(String name, ConfigNode n) {
        n.only("provider", "encoding", "input", "cached_input", "cache_write", "output", "context_window", "max_output_tokens");
        BigDecimal input = nonNegative(n, "input", null);
        String encoding = n.string("encoding", "estimate");
        if (!ENCODINGS.contains(encoding)) {
            throw new ConfigException(n.path("encoding") + ": " + encoding + " (expected one of: cl100k_base, estimate, o200k_base)");
        }
        return new ModelPrice(name, n.choice("provider", Provider.OPENAI), encoding, input,
                nonNegative(n, "cached_input", input), nonNegative(n, "cache_write", input), nonNegative(n, "output", null),
                n.intAtLeast("context_window", 128_000, 1), n.intAtLeast("max_output_tokens", 4096, 0));
    }

    private static BigDecimal nonNegative(ConfigNode n, String key, BigDecimal def) {
        BigDecimal v = n.decimal(key, def);
        if (v == null) {
            throw new ConfigException(n.path(key) + ": missing (expected: USD per million tokens)");
        }
        if (v.signum() < 0) {
            throw new ConfigException(n.path(key) + ": " + v.toPlainString() + " (expected: >= 0)");
        }
        return v;
    }

    /** The price for {@code model}, or null when it is not priced (no match, no default). */
    public ModelPrice lookup(String model) {
        ModelPrice exact = models.get(model);
        if (exact != null) {
            return exact;
        }
        Matcher snapshot = SNAPSHOT.matcher(model);
        if (snapshot.matches()) {
            ModelPrice base = models.get(snapshot.group(1));
            if (base != null) {
                return base;
            }
        }
        return fallback;
    }

    /** The bounded label for metrics: the matched table entry, or {@code other}. */
    public String metricLabel(String model) {
        if (model == null) {
            return "other";
        }
        ModelPrice p = lookup(model);
        return p == null || p == fallback ? "other" : p.name();
    }

    public String version() {
        return version;
    }

    public Set<String> models() {
        return models.keySet();
    }
}
