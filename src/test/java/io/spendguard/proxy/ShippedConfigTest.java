package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.estimate.ModelPrice;
import io.spendguard.proxy.estimate.PriceTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The files we ship load and validate, and the command line fails fast on a bad one. */
class ShippedConfigTest {

    @Test
    void productionConfigLoadsWithNothingSetInTheEnvironment() {
        ProxyConfig c = ConfigLoader.load("config/spendguard.yaml", name -> null);
        assertThat(c.listen().port()).isEqualTo(8080);
        assertThat(c.gate().failMode()).isEqualTo("closed");
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
        assertThat(prices.lookup("gpt-4o").encoding()).isEqualTo("o200k_base");
        assertThat(prices.lookup("gpt-4").encoding()).isEqualTo("cl100k_base");
        assertThat(prices.lookup("claude-sonnet-4-5").encoding()).isEqualTo("estimate");
        assertThat(prices.lookup("llama-3-70b")).isNull();
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
