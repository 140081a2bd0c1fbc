package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/models}: forwarded to OpenAI as it is, never gated; other methods and paths are not forwarded. */
class ModelsRouteTest extends HarnessTest {

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return h.http.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void listsModelsWithoutReservingAnything() throws Exception {
        h = start(ProxyHarness.config(1, "", ""));

        HttpResponse<String> list = send(HttpRequest.newBuilder(h.uri("/v1/models")).header("authorization", "Bearer sk-client-1"));
        HttpResponse<String> one = send(HttpRequest.newBuilder(h.uri("/v1/models/gpt-4o-mini")).header("authorization", "Bearer sk-client-1"));

        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(ProxyHarness.json(list).getJsonArray("data").getJsonObject(0).getString("id")).isEqualTo("gpt-4o-mini");
        assertThat(list.headers().firstValue("x-request-id")).hasValue("req_models");
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(ProxyHarness.json(one).getString("object")).isEqualTo("model");
        assertThat(h.mock.received()).hasSize(2).allSatisfy(r -> {
            assertThat(r.method()).isEqualTo("GET");
            assertThat(r.headers().get("authorization")).isEqualTo("Bearer sk-client-1");
        });
        assertThat(h.settlements()).isZero();
        assertThat(h.budget("default").reservedMicros()).isZero();
        ProxyHarness.await("counted", () -> h.counter("spendguard.requests", "route", "models", "outcome", "ok") == 2);
    }

    @Test
    void aProviderErrorComesBackAsItIs() throws Exception {
        h = start(ProxyHarness.config(1, "", ""));

        HttpResponse<String> r = send(HttpRequest.newBuilder(h.uri("/v1/models/no-such-model")).header("authorization", "Bearer sk-1"));

        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("message")).contains("/v1/models/no-such-model");
        assertThat(h.mock.received()).hasSize(1);
    }

    @Test
    void withoutAKeyAndNoneConfiguredIsA401AndNothingIsForwarded() throws Exception {
        h = start(ProxyHarness.config(1, "", ""));

        HttpResponse<String> r = send(HttpRequest.newBuilder(h.uri("/v1/models")));

        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(h.mock.received()).isEmpty();
    }

    @Test
    void otherMethodsAndUnknownPathsAre404AndNeverForwarded() throws Exception {
        h = start(ProxyHarness.config(1, "", ""));

        HttpResponse<String> post = send(HttpRequest.newBuilder(h.uri("/v1/models")).header("authorization", "Bearer sk-1")
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
        HttpResponse<String> other = send(HttpRequest.newBuilder(h.uri("/v1/files")).header("authorization", "Bearer sk-1"));

        assertThat(post.statusCode()).isEqualTo(404);
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(h.mock.received()).isEmpty();
    }
}
