package io.spendguard.proxy.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spendguard.proxy.config.ConfigException;
import io.spendguard.proxy.config.Provider;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class PriceTableTest {

    static final String TABLE = """
            version: "2025-01-test"
            models:
              gpt-4o:
                provider: openai
                encoding: o200k_base
                input: 2.50
                cached_input: 1.25
                output: 10.00
                context_window: 128000
                max_output_tokens: 16384
              gpt-4o-mini:
                encoding: o200k_base
                input: 0.15
                cached_input: 0.075
                output: 0.60
                context_window: 128000
                max_output_tokens: 16384
              gpt-4:
                encoding: cl100k_base
                input: 30
                output: 60
                context_window: 8192
                max_output_tokens: 8192
              claude-3-5-sonnet:
                provider: anthropic
                encoding: estimate
                input: 3
                cache_write: 3.75
                cached_input: 0.30
                output: 15
                context_window: 200000
                max_output_tokens: 8192
            """;

    static final String DEFAULT_ENTRY = """
            default:
              encoding: estimate
              input: 5
              output: 20
            """;

    private static String error(String yaml) {
        try {
            PriceTable.parse(yaml, "pricing-test.yaml");
        } catch (ConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected a ConfigException for:\n" + yaml);
    }

    @Test
    void parsesVersionModelsAndEveryPriceField() {
        PriceTable t = PriceTable.parse(TABLE, "test");

        assertThat(t.version()).isEqualTo("2025-01-test");
        assertThat(t.models()).containsExactlyInAnyOrder("gpt-4o", "gpt-4o-mini", "gpt-4", "claude-3-5-sonnet");
        ModelPrice p = t.lookup("gpt-4o");
        assertThat(p.name()).isEqualTo("gpt-4o");
        assertThat(p.provider()).isEqualTo(Provider.OPENAI);
        assertThat(p.encoding()).isEqualTo("o200k_base");
        assertThat(p.input()).isEqualByComparingTo("2.50");
        assertThat(p.cachedInput()).isEqualByComparingTo("1.25");
        assertThat(p.output()).isEqualByComparingTo("10");
        assertThat(p.contextWindow()).isEqualTo(128_000);
        assertThat(p.maxOutputTokens()).isEqualTo(16_384);
        ModelPrice claude = t.lookup("claude-3-5-sonnet");
        assertThat(claude.provider()).isEqualTo(Provider.ANTHROPIC);
        assertThat(claude.cacheWrite()).isEqualByComparingTo("3.75");
    }

    @Test
    void cachedInputAndCacheWriteDefaultToInputPrice() {
        ModelPrice gpt4 = PriceTable.parse(TABLE, "test").lookup("gpt-4");

        assertThat(gpt4.cachedInput()).isEqualByComparingTo("30");
        assertThat(gpt4.cacheWrite()).isEqualByComparingTo("30");
        assertThat(gpt4.provider()).isEqualTo(Provider.OPENAI);
    }

    @Test
    void matchesExactNameFirst() {
        PriceTable t = PriceTable.parse(TABLE, "test");

        assertThat(t.lookup("gpt-4o-mini").name()).isEqualTo("gpt-4o-mini");
        assertThat(t.lookup("gpt-4").name()).isEqualTo("gpt-4");
    }

    @Test
    void matchesADatedSnapshotOrAliasOfAListedModel() {
        PriceTable t = PriceTable.parse(TABLE, "test");

        assertThat(t.lookup("gpt-4o-2024-08-06").name()).isEqualTo("gpt-4o");
        assertThat(t.lookup("gpt-4o-mini-2024-07-18").name()).isEqualTo("gpt-4o-mini");
        assertThat(t.lookup("gpt-4-0613").name()).isEqualTo("gpt-4");
        assertThat(t.lookup("claude-3-5-sonnet-20241022").name()).isEqualTo("claude-3-5-sonnet");
        assertThat(t.lookup("claude-3-5-sonnet@20241022").name()).as("Vertex AI's form").isEqualTo("claude-3-5-sonnet");
        assertThat(t.lookup("claude-3-5-sonnet-latest").name()).isEqualTo("claude-3-5-sonnet");
    }

    @Test
    void anyOtherSuffixIsAnotherModelNotTheListedOne() {
        PriceTable t = PriceTable.parse(TABLE, "test");

        for (String model : new String[] {"gpt-4o-mini-ultra-expensive", "gpt-4o-audio-preview", "gpt-4o-mini" + "z".repeat(200),
                "gpt-4omni", "gpt-4-1106-preview", "gpt-4o-2024-08-06-extra", "gpt-4o-mini-2024-7-18", "gpt-4o-mini-", "claude-3-5-sonnet-v2"}) {
            assertThat(t.lookup(model)).as(model).isNull();
            assertThat(t.metricLabel(model)).as(model).isEqualTo("other");
        }
        assertThat(PriceTable.parse(TABLE + DEFAULT_ENTRY, "test").lookup("gpt-4o-mini-ultra-expensive").name())
                .as("priced by the default entry, if there is one").isEqualTo("default");
    }

    @Test
    void unknownModelIsUnpricedWithoutDefault() {
        PriceTable t = PriceTable.parse(TABLE, "test");

        assertThat(t.lookup("llama-3-70b")).isNull();
        assertThat(t.lookup("gpt-3.5-turbo")).as("gpt- alone is not a listed prefix").isNull();
    }

    @Test
    void unknownModelUsesDefaultWhenPresent() {
        PriceTable t = PriceTable.parse(TABLE + DEFAULT_ENTRY, "test");

        ModelPrice p = t.lookup("llama-3-70b");
        assertThat(p).isNotNull();
        assertThat(p.name()).isEqualTo("default");
        assertThat(p.input()).isEqualByComparingTo("5");
        assertThat(p.output()).isEqualByComparingTo("20");
        assertThat(p.encoding()).isEqualTo("estimate");
        assertThat(t.lookup("gpt-4o-2024-08-06").name()).as("a snapshot match still wins over default").isEqualTo("gpt-4o");
        assertThat(t.models()).as("default is not a listed model").doesNotContain("default");
    }

    @Test
    void metricLabelIsMatchedEntryOrOther() {
        PriceTable withDefault = PriceTable.parse(TABLE + DEFAULT_ENTRY, "test");
        PriceTable without = PriceTable.parse(TABLE, "test");

        assertThat(withDefault.metricLabel("gpt-4o-2024-08-06")).isEqualTo("gpt-4o");
        assertThat(withDefault.metricLabel("gpt-4o-mini")).isEqualTo("gpt-4o-mini");
        assertThat(withDefault.metricLabel("some-random-model-xyz")).isEqualTo("other");
        assertThat(without.metricLabel("some-random-model-xyz")).isEqualTo("other");
        assertThat(without.metricLabel(null)).isEqualTo("other");
    }

    @Test
    void negativePriceNamesKey() {
        assertThat(error("version: v\nmodels:\n  m1: { input: 1, output: -0.5 }"))
                .contains("models.m1.output")
                .contains(">= 0");
        assertThat(error("version: v\nmodels:\n  m1: { input: 1, output: 1, cached_input: -1 }"))
                .contains("models.m1.cached_input");
    }

    @Test
    void missingPriceNamesKey() {
        assertThat(error("version: v\nmodels:\n  m1: { output: 1 }")).contains("models.m1.input").contains("missing");
        assertThat(error("version: v\nmodels:\n  m1: { input: 1 }")).contains("models.m1.output").contains("missing");
    }

    @Test
    void badEncodingNamesKeyAndChoices() {
        assertThat(error("version: v\nmodels:\n  m1: { input: 1, output: 1, encoding: p50k_base }"))
                .contains("models.m1.encoding")
                .contains("p50k_base")
                .contains("o200k_base");
    }

    @Test
    void badProviderNamesKey() {
        assertThat(error("version: v\nmodels:\n  m1: { input: 1, output: 1, provider: google }"))
                .contains("models.m1.provider");
    }

    @Test
    void unknownFieldNamesKey() {
        assertThat(error("version: v\nmodels:\n  m1: { input: 1, output: 1, inpt_cached: 1 }"))
                .contains("models.m1.inpt_cached")
                .contains("unknown key");
    }

    @Test
    void nonNumericPriceNamesKey() {
        assertThat(error("version: v\nmodels:\n  m1: { input: cheap, output: 1 }")).contains("models.m1.input");
    }

    @Test
    void zeroContextWindowNamesKey() {
        assertThat(error("version: v\nmodels:\n  m1: { input: 1, output: 1, context_window: 0 }"))
                .contains("models.m1.context_window")
                .contains(">= 1");
    }

    @Test
    void emptyModelsIsAnError() {
        assertThat(error("version: v\nmodels: {}")).contains("models").contains("at least one model");
    }

    @Test
    void missingVersionIsAnError() {
        assertThat(error("models:\n  m1: { input: 1, output: 1 }")).contains("version");
    }

    @Test
    void invalidDefaultEntryNamesDefaultKey() {
        assertThat(error(TABLE + "default: { input: -1, output: 1 }")).contains("default.input");
    }

    @Test
    void shippedPricingFileParsesWithPositiveInputAndKnownEncodings() throws IOException {
        Path file = Path.of("config/pricing.yaml");
        Assumptions.assumeTrue(Files.exists(file), "config/pricing.yaml not present yet");

        PriceTable t = PriceTable.parse(Files.readString(file), file.toString());

        assertThat(t.version()).isNotBlank();
        assertThat(t.models()).isNotEmpty();
        for (String model : t.models()) {
            ModelPrice p = t.lookup(model);
            assertThat(p.name()).as("exact lookup of %s", model).isEqualTo(model);
            assertThat(p.input()).as("%s input", model).isGreaterThan(BigDecimal.ZERO);
            assertThat(p.output()).as("%s output", model).isGreaterThanOrEqualTo(BigDecimal.ZERO);
            assertThat(p.encoding()).as("%s encoding", model).isIn(Set.of("o200k_base", "cl100k_base", "estimate"));
            assertThat(p.contextWindow()).as("%s context window", model).isPositive();
            assertThat(p.maxOutputTokens()).as("%s max output", model).isLessThanOrEqualTo(p.contextWindow());
        }
        if (t.models().containsAll(Set.of("gpt-4o", "gpt-4o-mini"))) {
            assertThat(t.lookup("gpt-4o-2024-08-06").name()).isEqualTo("gpt-4o");
            assertThat(t.lookup("gpt-4o-mini-2024-07-18").name()).isEqualTo("gpt-4o-mini");
        }
    }
}
