package io.spendguard.proxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.estimate.TokenCounter;
import io.spendguard.proxy.estimate.Usage;
import io.spendguard.proxy.provider.Fixtures;
import io.spendguard.proxy.provider.StreamScanner;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** OpenAiChat against the wire-format fixtures in src/test/resources/fixtures/openai (see token-counts.md there). */
class OpenAiFixturesTest {
    private static final TokenCounter TOKENS = new TokenCounter();
    private final OpenAiChat chat = new OpenAiChat();

    private static String fixture(String name) {
        return Fixtures.read("openai", name);
    }

    private static List<Buffer> events(String sse) {
        return Fixtures.events(sse);
    }

    @Test
    void multimodalFixtureCountsOneLowAndOneDefaultImage() {
        CallSpec s = chat.parse(new JsonObject(fixture("chat-request-multimodal.json")));

        assertThat(s.imageTokens()).isEqualTo(85 + 765);
        assertThat(s.texts()).containsExactly("user", "What are the differences between these two images?");
    }

    @Test
    void toolsFixtureCountsDefinitionsCallsAndResults() {
        CallSpec s = chat.parse(new JsonObject(fixture("chat-request-tools.json")));

        assertThat(s.maxOutputTokens()).isEqualTo(512);
        assertThat(s.framingTokens()).isEqualTo(4 * 3 + 3);
        assertThat(s.texts()).contains("call_Xa91kQbR2vT7mZp4LdE8sWcN");
        assertThat(s.texts()).anyMatch(t -> t.contains("\"name\":\"get_weather\"") && t.contains("Paris, France"));
        assertThat(s.texts()).anyMatch(t -> t.contains("get_local_time") && t.contains("IANA time zone name"));
        assertThat(s.texts()).anyMatch(t -> t.contains("Bogotá, Colombia"));
    }

    @Test
    void responseFixtureUsageSplitsCachedPrompt() {
        Usage u = chat.usage(new JsonObject(fixture("chat-response.json")));

        assertThat(u).isEqualTo(new Usage(1843 - 1664, 1664, 0, 52));
        assertThat(u.totalInput()).isEqualTo(1843);
    }

    @Test
    void streamFixtureReportsUsageAndCountsDeltas() {
        StreamScanner scanner = chat.scanner(TOKENS, "o200k_base", false);

        List<Boolean> kept = events(fixture("chat-stream-with-usage.sse")).stream().map(scanner::onEvent).toList();

        assertThat(kept).hasSize(7).containsOnly(true);
        assertThat(scanner.usage()).isEqualTo(new Usage(43, 0, 0, 3));
        assertThat(scanner.outputTokensSeen()).as("Hi, ' there', '!' are one o200k token each").isEqualTo(3);
    }

    @Test
    void streamFixtureUsageChunkIsDroppedOnlyWhenAsked() {
        StreamScanner scanner = chat.scanner(TOKENS, "o200k_base", true);

        List<Boolean> kept = events(fixture("chat-stream-with-usage.sse")).stream().map(scanner::onEvent).toList();

        assertThat(kept).containsExactly(true, true, true, true, true, false, true);
        assertThat(scanner.usage()).isEqualTo(new Usage(43, 0, 0, 3));
    }

    @Test
    void basicFixtureGetsUsageOptionInsertedByteForByte() {
        String original = fixture("chat-request-basic.json");
        Buffer in = Buffer.buffer(original, "UTF-8");

        Buffer out = chat.withStreamUsage(in, new JsonObject(in));

        assertThat(out.toString(StandardCharsets.UTF_8))
                .isEqualTo("{\"stream_options\":{\"include_usage\":true}," + original.substring(1));
    }
}
