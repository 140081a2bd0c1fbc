package io.spendguard.proxy;

import static io.spendguard.proxy.VirtualKeyClient.KEY_A;
import static io.spendguard.proxy.VirtualKeyClient.PROVIDER_KEY;
import static io.spendguard.proxy.VirtualKeyClient.chat;
import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.mock.MockProvider;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * With virtual keys the provider sees only the configured provider key, the client never sees it,
 * and no other credential gets a call through.
 */
class VirtualKeyCredentialsTest extends HarnessTest {

    /** Every header and the body of a reply, as one string to search. */
    private static String everything(HttpResponse<String> r) {
        return r.headers().map() + "\n" + r.body();
    }

    @Test
    void providerReceivesTheConfiguredKeyAndNeverTheVirtualKey() throws Exception {
        h = start(VirtualKeyClient.config(""));

        HttpResponse<String> plain = chat(h, KEY_A, ChatCompletionsTest.BODY, "x-api-key", "sk-smuggled-by-the-client");
        HttpResponse<String> stream = chat(h, KEY_A, StreamingTest.STREAM);

        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.body()).contains("data: [DONE]");
        assertThat(h.mock.received()).hasSize(2).allSatisfy(sent -> {
            assertThat(sent.headers().getAll("authorization")).containsExactly("Bearer " + PROVIDER_KEY);
            assertThat(sent.headers().get("x-api-key")).isNull();
            assertThat(sent.headers().entries()).noneMatch(e -> e.getValue().contains("sg-"));
        });
        for (HttpResponse<String> r : List.of(plain, stream)) {
            assertThat(everything(r)).doesNotContain(PROVIDER_KEY).doesNotContain(KEY_A);
        }
        h.assertSettled(2, "a");
    }

    @Test
    void missingUnknownMalformedOrRawProviderKeysAre401AndNothingIsForwarded() throws Exception {
        h = start(VirtualKeyClient.config(""));
        Map<String, String> attempts = new LinkedHashMap<>();
        attempts.put("no key", null);
        attempts.put("unknown sg- key", "sg-unknown-0123456789abcdefghijklmnop");
        attempts.put("raw provider key", PROVIDER_KEY);
        attempts.put("another raw key", "sk-proj-client-own-key");
        attempts.put("virtual key with a typo", KEY_A + "x");

        for (Map.Entry<String, String> a : attempts.entrySet()) {
            HttpResponse<String> r = chat(h, a.getValue(), ChatCompletionsTest.BODY);
            assertThat(r.statusCode()).as(a.getKey()).isEqualTo(401);
            JsonObject error = ProxyHarness.json(r).getJsonObject("error");
            assertThat(error.getString("type")).as(a.getKey()).isEqualTo("authentication_error");
            assertThat(error.getString("code")).as(a.getKey()).isEqualTo("invalid_api_key");
            assertThat(everything(r)).as(a.getKey()).doesNotContain(PROVIDER_KEY).doesNotContain("sg-unknown")
                    .doesNotContain("sk-proj-client-own-key").doesNotContain(KEY_A);
        }
        HttpResponse<String> basic = h.http.send(HttpRequest.newBuilder(h.uri("/v1/chat/completions"))
                .header("authorization", "Basic c2ctYWxwaGE6eA==").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(ChatCompletionsTest.BODY)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(basic.statusCode()).isEqualTo(401);
        assertThat(h.mock.received()).isEmpty();
        assertThat(h.budget("a").reservedMicros() + h.budget("a").committedMicros()).isZero();
        ProxyHarness.await("refusals counted", () -> h.counter("spendguard.requests", "outcome", "unauthenticated") == 6);
    }

    @Test
    void modelsRouteTakesVirtualKeysOnlyAndSendsTheProviderKey() throws Exception {
        h = start(VirtualKeyClient.config(""));

        HttpResponse<String> listed = h.http.send(HttpRequest.newBuilder(h.uri("/v1/models"))
                .header("authorization", "Bearer " + KEY_A).GET().build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> raw = h.http.send(HttpRequest.newBuilder(h.uri("/v1/models"))
                .header("authorization", "Bearer " + PROVIDER_KEY).GET().build(), HttpResponse.BodyHandlers.ofString());

        assertThat(listed.statusCode()).isEqualTo(200);
        assertThat(everything(listed)).doesNotContain(PROVIDER_KEY);
        assertThat(raw.statusCode()).isEqualTo(401);
        assertThat(h.mock.received()).singleElement().satisfies(sent -> {
            assertThat(sent.path()).isEqualTo("/v1/models");
            assertThat(sent.headers().getAll("authorization")).containsExactly("Bearer " + PROVIDER_KEY);
        });
    }

    @Test
    void providerErrorsStillPassThroughWithoutTheProviderKey() throws Exception {
        h = start(VirtualKeyClient.config(""));

        HttpResponse<String> r = chat(h, KEY_A, ChatCompletionsTest.BODY, "x-mock-status", "429");

        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(everything(r)).doesNotContain(PROVIDER_KEY);
        MockProvider.Received sent = h.mock.received().get(0);
        assertThat(sent.headers().get("authorization")).isEqualTo("Bearer " + PROVIDER_KEY);
        h.assertSettled(1, "a");
    }
}
