package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.config.FailMode;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.estimate.ModelPrice;
import io.spendguard.proxy.estimate.PriceTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.spendguard.proxy.config.ContractsLoader;
import io.spendguard.proxy.engine.Contracts;
import io.spendguard.proxy.engine.Decision.Outcome;
import io.spendguard.proxy.engine.Mutation;
import io.spendguard.proxy.engine.Rule;
import io.spendguard.proxy.engine.RuleFacts;
import org.junit.jupiter.api.Test;

/** The files we ship load and validate, and the command line fails fast on a bad one. */
class ShippedConfigTest {

    @Test
    void productionConfigLoadsWithNothingSetInTheEnvironment() {
        ProxyConfig c = ConfigLoader.load("config/spendguard.yaml", name -> null);
        assertThat(c.listen().port()).isEqualTo(8080);
        assertThat(c.gate().failMode()).isEqualTo(FailMode.CLOSED);
        assertThat(c.openai().baseUrl()).isEqualTo("https://api.openai.com");
        assertThat(c.budgets()).singleElement().satisfies(b -> {
            assertThat(b.limitMicros()).isEqualTo(10_000_000);
            assertThat(b.approvalAboveMicros()).isEqualTo(1_000_000);
        });
        assertThat(c.openai().toString()).doesNotContain("sk-");
    }

    @Test
    void demoConfigLoadsWithTheMockUrl() {
        ProxyConfig c = ConfigLoader.load("config/demo.yaml", name -> name.equals("MOCK_PROVIDER_URL") ? "http://127.0.0.1:1" : null);
        assertThat(c.openai().baseUrl()).isEqualTo("http://127.0.0.1:1");
        assertThat(c.budgets()).extracting(ProxyConfig.BudgetConfig::id).containsExactly("demo", "team");
    }

    @Test
    void priceTablePricesTheModelsAgentsUseToday() throws Exception {
        PriceTable prices = PriceTable.parse(Files.readString(Path.of("config/pricing.yaml")), "config/pricing.yaml");
        for (String model : List.of("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o3", "o4-mini",
                "gpt-5", "gpt-5-mini", "gpt-5-nano", "claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5")) {
            ModelPrice p = prices.lookup(model);
            assertThat(p).as(model).isNotNull();
            assertThat(p.name()).isEqualTo(model);
            assertThat(p.input().signum()).as(model + " input").isPositive();
            assertThat(p.output().compareTo(p.input())).as(model + " output >= input").isNotNegative();
            assertThat(p.cachedInput().compareTo(p.input())).as(model + " cached <= input").isNotPositive();
        }
        assertThat(prices.lookup("gpt-4o-2024-08-06").name()).isEqualTo("gpt-4o");
        assertThat(prices.lookup("gpt-4o-mini-2024-07-18").name()).isEqualTo("gpt-4o-mini");
        assertThat(prices.lookup("claude-sonnet-4-5-20250929").name()).isEqualTo("claude-sonnet-4-5");
        assertThat(prices.lookup("gpt-5-2025-08-07").name()).isEqualTo("gpt-5");
        assertThat(prices.lookup("claude-opus-4-1@20250805").name()).isEqualTo("claude-opus-4-1");
        assertThat(prices.lookup("gpt-4o-mini-ultra-expensive")).as("not a snapshot of gpt-4o-mini").isNull();
        assertThat(prices.lookup("gpt-5.3")).as("not gpt-5").isNull();
        assertThat(prices.lookup("gpt-4o").encoding()).isEqualTo("o200k_base");
        assertThat(prices.lookup("gpt-4").encoding()).isEqualTo("cl100k_base");
        assertThat(prices.lookup("claude-sonnet-4-5").encoding()).isEqualTo("estimate");
        assertThat(prices.lookup("llama-3-70b")).isNull();
    }

    @Test
    void exampleContractsDoWhatTheirCommentsSay() throws Exception {
        Contracts c = ContractsLoader.parse(Files.readString(Path.of("config/contract.yaml")), "config/contract.yaml", n -> null);
        assertThat(c.rules()).extracting(Rule::id).containsExactly("per-call-cap", "approval-above-50c", "mini-below-20-percent",
                "no-o-series-for-interns", "output-cap-required");
        // budget "team": $10, $1 spent unless said otherwise; a $0.10 streamed gpt-4o call with an output cap
        java.util.function.Function<RuleFacts, Contracts.Verdict> eval = f -> Contracts.evaluate(c.rules(), f, false);
        RuleFacts ok = new RuleFacts("team", 100_000, 9_000_000, 0.1, "gpt-4o", 500, true, "acme");
        assertThat(eval.apply(ok).outcome()).isEqualTo(Outcome.CONTINUE);
        assertThat(eval.apply(new RuleFacts("team", 2_500_000, 9_000_000, 0.1, "gpt-4o", 500, true, "acme")).reasonCodes())
                .containsExactly("PER_CALL_CAP", "LARGE_CALL");
        Contracts.Verdict ask = eval.apply(new RuleFacts("team", 600_000, 9_000_000, 0.1, "gpt-4o", 500, true, "acme"));
        assertThat(ask.outcome()).isEqualTo(Outcome.REQUIRE_APPROVAL);
        assertThat(ask.approverRole()).isEqualTo("finance");
        Contracts.Verdict low = eval.apply(new RuleFacts("team", 100_000, 1_500_000, 0.85, "gpt-4o", 4000, true, "acme"));
        assertThat(low.outcome()).isEqualTo(Outcome.DEGRADE);
        assertThat(low.mutation()).isEqualTo(new Mutation("gpt-4o-mini", 1024, null));
        assertThat(eval.apply(new RuleFacts("team", 100_000, 9_000_000, 0.1, "o3-mini", 500, true, "interns")).reasonCodes())
                .containsExactly("MODEL_FAMILY_BLOCKED");
        assertThat(eval.apply(new RuleFacts("team", 100_000, 9_000_000, 0.1, "o3-mini", 500, true, "acme")).outcome())
                .isEqualTo(Outcome.CONTINUE);
        assertThat(eval.apply(new RuleFacts("team", 100_000, 9_000_000, 0.1, "gpt-4o", 0, false, "acme")).reasonCodes())
                .containsExactly("OUTPUT_CAP_REQUIRED");
        assertThat(eval.apply(new RuleFacts("team", 100_000, 9_000_000, 0.1, "gpt-4o", 0, true, "acme")).outcome())
                .isEqualTo(Outcome.CONTINUE);
    }

    @Test
    void productionConfigCanTurnOnTheExampleContracts() throws Exception {
        String yaml = Files.readString(Path.of("config/spendguard.yaml")).replace("# contracts:", "contracts:");
        ProxyConfig c = ConfigLoader.parse(yaml, name -> null, "spendguard.yaml");
        assertThat(c.contracts()).isEqualTo(Path.of("config/contract.yaml"));
        assertThat(c.approvalTtl()).isEqualTo(java.time.Duration.ofHours(1));
    }

    @Test
    void serveExitsNonZeroNamingTheBadKey() throws Exception {
        Path bad = Files.createTempFile("spendguard", ".yaml");
        Files.writeString(bad, "# ${NOT_SET} in a comment is fine\ngate:\n  timeout_ms: 0\n");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve", "--config", bad.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(out).contains("gate.timeout_ms: 0 (expected: >= 1)");
        Files.delete(bad);
    }
}
