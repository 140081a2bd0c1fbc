package io.spendguard.proxy.estimate;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.config.Provider;
import io.spendguard.proxy.config.ProxyConfig.EstimationConfig;
import io.spendguard.proxy.provider.openai.OpenAiChat;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * End-to-end input counting (OpenAiChat.parse → Estimator) against the example in the OpenAI cookbook
 * "How to count tokens with tiktoken" (openai/openai-cookbook, examples/How_to_count_tokens_with_tiktoken.ipynb,
 * section 6 "Counting tokens for chat completions API calls"; messages in fixtures/openai/cookbook-messages.json,
 * figures and sources in fixtures/openai/token-counts.md). Its num_tokens_from_messages() adds 3 tokens per
 * message, 1 per name and 3 to prime the reply; the notebook prints, from that function and from the live
 * API's usage.prompt_tokens alike, 124 for gpt-4o / gpt-4o-mini (o200k_base) and 129 for gpt-4 /
 * gpt-4-0613 / gpt-3.5-turbo (cl100k_base).
 */
class CookbookPromptTokensTest {

    static String fixture(String name) {
        try (InputStream in = CookbookPromptTokensTest.class.getClassLoader().getResourceAsStream("fixtures/openai/" + name)) {
            assertThat(in).as("fixture %s", name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static ModelPrice price(String name, String encoding) {
        return new ModelPrice(name, Provider.OPENAI, encoding, BigDecimal.ONE, BigDecimal.ONE, BigDecimal.ONE, BigDecimal.ONE,
                128_000, 4096);
    }

    private static Estimator estimator() {
        return new Estimator(new PriceTable("cookbook", Map.of(
                "gpt-4o", price("gpt-4o", "o200k_base"),
                "gpt-4o-mini", price("gpt-4o-mini", "o200k_base"),
                "gpt-4", price("gpt-4", "cl100k_base"),
                "gpt-3.5-turbo", price("gpt-3.5-turbo", "cl100k_base")), null),
                new TokenCounter(), new EstimationConfig(4096, false));
    }

    private static long cookbookInputTokens(String model) {
        JsonArray messages = new JsonArray(fixture("cookbook-messages.json"));
        CallSpec spec = new OpenAiChat().parse(new JsonObject().put("model", model).put("messages", messages));
        return estimator().estimate(spec).inputTokens();
    }

    @Test
    void cookbookFixtureHoldsTheSixNotebookMessages() {
        JsonArray messages = new JsonArray(fixture("cookbook-messages.json"));

        assertThat(messages).hasSize(6);
        assertThat(messages.getJsonObject(0).getString("content")).startsWith("You are a helpful, pattern-following assistant");
        assertThat(messages.getJsonObject(5).getString("content")).endsWith("for the client deliverable.");
    }

    @Test
    void cookbookExampleIs124PromptTokensWithO200k() {
        assertThat(cookbookInputTokens("gpt-4o")).isEqualTo(124);
        assertThat(cookbookInputTokens("gpt-4o-mini")).isEqualTo(124);
        assertThat(cookbookInputTokens("gpt-4o-2024-08-06")).isEqualTo(124);
        assertThat(cookbookInputTokens("gpt-4o-mini-2024-07-18")).isEqualTo(124);
    }

    @Test
    void cookbookExampleIs129PromptTokensWithCl100k() {
        assertThat(cookbookInputTokens("gpt-4")).isEqualTo(129);
        assertThat(cookbookInputTokens("gpt-4-0613")).isEqualTo(129);
        assertThat(cookbookInputTokens("gpt-3.5-turbo")).isEqualTo(129);
    }

    @Test
    void basicRequestFixtureIs43PromptTokensInBothEncodings() {
        // fixtures/openai/token-counts.md §4: chat-request-basic.json is 43 prompt tokens (cookbook formula)
        JsonObject body = new JsonObject(fixture("chat-request-basic.json"));

        CallSpec spec = new OpenAiChat().parse(body);
        Estimate mini = estimator().estimate(spec);
        Estimate gpt4 = estimator().estimate(new OpenAiChat().parse(body.copy().put("model", "gpt-4")));

        assertThat(mini.inputTokens()).isEqualTo(43);
        assertThat(gpt4.inputTokens()).isEqualTo(43);
        assertThat(mini.outputCeiling()).as("max_tokens 256").isEqualTo(256);
        assertThat(mini.claimMicros()).as("$1/M in and out → 43 + 256 µUSD").isEqualTo(299);
    }
}
