package io.spendguard.proxy.provider;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.provider.anthropic.AnthropicMessages;
import io.spendguard.proxy.provider.openai.OpenAiChat;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/**
 * A token count in a reply is read as the whole number it is, or as unreadable — never as some other
 * number (1.5 as 1, -5 as 0, 2^70 wrapped, "12" as 0).
 */
class UsageCountsTest {
    private static Usage chat(String promptTokens) {
        return new OpenAiChat().usage(ReplyUsage.of(Buffer.buffer("{\"usage\":{\"prompt_tokens\":" + promptTokens
                + ",\"completion_tokens\":3}}")));
    }

    private static Usage messages(String outputTokens) {
        return new AnthropicMessages().usage(new JsonObject("{\"usage\":{\"input_tokens\":10,\"output_tokens\":" + outputTokens + "}}"));
    }

    @Test
    void readsWholeNumbersAsTheyAre() {
        assertThat(chat("12")).isEqualTo(new Usage(12, 0, 0, 3));
        assertThat(chat("12.0")).isEqualTo(new Usage(12, 0, 0, 3));
        assertThat(chat("1.2e1")).isEqualTo(new Usage(12, 0, 0, 3));
        assertThat(chat("9223372036854775807")).isEqualTo(new Usage(Long.MAX_VALUE, 0, 0, 3));
        assertThat(chat("null")).isEqualTo(new Usage(0, 0, 0, 3));
        assertThat(messages("7")).isEqualTo(new Usage(10, 0, 0, 7));
    }

    @Test
    void readsAnythingElseAsUnreadable() {
        for (String bad : new String[] {"-5", "1.5", "1e30", "9223372036854775808", "1180591620717411303424", "\"12\"", "true",
            "{}", "[12]", "-0.5"}) {
            assertThat(chat(bad).readable()).as("prompt_tokens " + bad).isFalse();
            assertThat(messages(bad).readable()).as("output_tokens " + bad).isFalse();
        }
    }

    @Test
    void aCachedCountThatIsNotWholeMakesTheUsageUnreadable() {
        Usage u = new OpenAiChat().usage(new JsonObject("{\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":3,"
                + "\"prompt_tokens_details\":{\"cached_tokens\":-4}}}"));
        assertThat(u.readable()).isFalse();
    }

    @Test
    void anUnreadableCountInAStreamIsUnreadableUsage() {
        StreamScanner openai = new OpenAiChat().scanner(new io.spendguard.proxy.estimate.TokenCounter(), "o200k_base", true);
        openai.onEvent(Buffer.buffer("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1.5,\"completion_tokens\":3}}\n\n"));
        assertThat(openai.usage().readable()).isFalse();

        StreamScanner anthropic = new AnthropicMessages().scanner(new io.spendguard.proxy.estimate.TokenCounter(), "estimate", false);
        anthropic.onEvent(Buffer.buffer("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":"
                + "{\"input_tokens\":\"ten\",\"output_tokens\":1}}}\n\n"));
        anthropic.onEvent(Buffer.buffer("event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":4}}\n\n"));
        assertThat(anthropic.usage().readable()).isFalse();
    }
}
