package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code cap_output_to_reservation: true}: a request that sets no output limit is sent with the one its hold covers. */
class OutputCapTest extends HarnessTest {
    private static final String NO_LIMIT = "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
    private static final String CAP = "estimation: { default_max_output_tokens: 300, cap_output_to_reservation: true }";

    @Test
    void aRequestWithoutALimitIsSentWithTheReservedCeiling() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", CAP));

        HttpResponse<String> r = h.chat(NO_LIMIT);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(h.mock.received().get(0).body().toString(StandardCharsets.UTF_8))
                .isEqualTo(NO_LIMIT.replaceFirst("\\{", "{\"max_completion_tokens\":300,"));
        // 9 input tokens at 1 µUSD + 300 output tokens at 2 µUSD: the hold is exactly what the cap allows.
        assertThat(r.headers().firstValueAsLong("X-SpendGuard-Reserved-Usd-Micros").getAsLong()).isEqualTo(9 + 300 * 2);
        h.assertSettled(1, "default");
    }

    @Test
    void aStreamGetsTheCapAndTheUsageOption() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", CAP));
        String stream = NO_LIMIT.replace("\"model\"", "\"stream\":true,\"stream_options\":{\"include_usage\":false},\"model\"");

        HttpResponse<String> r = h.chat(stream);

        assertThat(r.statusCode()).isEqualTo(200);
        var sent = new io.vertx.core.json.JsonObject(h.mock.received().get(0).body());
        assertThat(sent.getInteger("max_completion_tokens")).isEqualTo(300);
        assertThat(sent.getJsonObject("stream_options").getBoolean("include_usage")).isTrue();
        h.assertSettled(1, "default");
    }

    @Test
    void aRequestThatSetsItsOwnLimitIsSentAsItIs() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", CAP));
        String body = NO_LIMIT.replace("\"model\"", "\"max_tokens\":20,\"model\"");

        assertThat(h.chat(body).statusCode()).isEqualTo(200);
        assertThat(h.mock.received().get(0).body().toString(StandardCharsets.UTF_8)).isEqualTo(body);
    }

    @Test
    void withoutTheOptionNothingIsInjected() throws Exception {
        h = start(ProxyHarness.config(1_000_000, "", "estimation: { default_max_output_tokens: 300 }"));

        assertThat(h.chat(NO_LIMIT).statusCode()).isEqualTo(200);
        assertThat(h.mock.received().get(0).body().toString(StandardCharsets.UTF_8)).isEqualTo(NO_LIMIT);
    }
}
