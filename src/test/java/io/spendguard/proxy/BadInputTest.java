package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad input gets a clear 4xx, reserves nothing, forwards nothing, and never leaks a key. */
class BadInputTest {
    private static final String KEY = "sk-client-secret-1234";
    private static ProxyHarness h;

    @BeforeAll
    static void start() throws Exception {
        h = ProxyHarness.start(ProxyHarness.config(1_000_000, "", ""));
    }

    @AfterAll
    static void stop() throws Exception {
        h.close();
    }

    static Stream<Arguments> badBodies() {
        String msgs = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
        return Stream.of(
                Arguments.of("{not json", 400, "invalid_request", null),
                Arguments.of("[1,2]", 400, "invalid_request", null),
                Arguments.of("", 400, "invalid_request", null),
                Arguments.of("{" + msgs + "}", 400, "invalid_request", "model"),
                Arguments.of("{\"model\":42," + msgs + "}", 400, "invalid_request", "model"),
                Arguments.of("{\"model\":\"gpt-test\"}", 400, "invalid_request", "messages"),
                Arguments.of("{\"model\":\"gpt-test\",\"messages\":\"hi\"}", 400, "invalid_request", "messages"),
                Arguments.of("{\"model\":\"gpt-test\",\"messages\":[]}", 400, "invalid_request", "messages"),
                Arguments.of("{\"model\":\"gpt-test\",\"messages\":[\"hi\"]}", 400, "invalid_request", "messages[0]"),
                Arguments.of("{\"model\":\"gpt-test\",\"messages\":[{\"content\":\"hi\"}]}", 400, "invalid_request", "messages[0].role"),
                Arguments.of("{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":5}]}", 400, "invalid_request", "messages[0].content"),
                Arguments.of("{\"model\":\"gpt-test\",\"max_tokens\":\"10\"," + msgs + "}", 400, "invalid_request", "max_tokens"),
                Arguments.of("{\"model\":\"gpt-test\",\"max_tokens\":0," + msgs + "}", 400, "invalid_request", "max_tokens"),
                Arguments.of("{\"model\":\"gpt-test\",\"max_tokens\":1.5," + msgs + "}", 400, "invalid_request", "max_tokens"),
                Arguments.of("{\"model\":\"gpt-test\",\"stream\":\"yes\"," + msgs + "}", 400, "invalid_request", "stream"),
                Arguments.of("{\"model\":\"gpt-test\",\"n\":-1," + msgs + "}", 400, "invalid_request", "n"),
                Arguments.of("{\"model\":\"gpt-test\",\"tools\":{}," + msgs + "}", 400, "invalid_request", "tools"),
                Arguments.of("{\"model\":\"made-up-model\"," + msgs + "}", 400, "unpriced_model", "model"),
                Arguments.of("{\"model\":\"gpt-test\"," + msgs + ",\"model\":\"gpt-4o-mini\"}", 400, "invalid_request", "model"),
                Arguments.of("{\"model\":\"gpt-4o-mini" + "z".repeat(300) + "\"," + msgs + "}", 400, "invalid_request", "model"),
                Arguments.of("{\"model\":\"gpt-4o-mini-ultra-expensive\"," + msgs + "}", 400, "unpriced_model", "model"),
                Arguments.of("{\"model\":\"gpt-test\",\"max_tokens\":1," + msgs + ",\"max_tokens\":900}", 400, "invalid_request", "max_tokens"),
                Arguments.of("{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"content\":\"more\"}]}",
                        400, "invalid_request", "messages[0].content"),
                Arguments.of("{\"model\":\"gpt-test\"," + msgs + ",\"pad\":\"" + "x".repeat(70_000) + "\"}", 413, "request_too_large", null));
    }

    @ParameterizedTest(name = "{1} {2} {3}")
    @MethodSource("badBodies")
    void refusesBadBodiesWithoutReservingOrForwarding(String body, int status, String code, String param) throws Exception {
        long served = h.mock.served();
        double reserved = h.counter("spendguard.reserved.usd.micros");
        HttpResponse<String> r = h.chat(body);
        assertThat(r.statusCode()).isEqualTo(status);
        JsonObject error = ProxyHarness.json(r).getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo(code);
        assertThat(error.getString("message")).isNotBlank().doesNotContain(KEY);
        assertThat(error.getString("param")).isEqualTo(param);
        assertThat(h.mock.served()).isEqualTo(served);
        assertThat(h.counter("spendguard.reserved.usd.micros")).isEqualTo(reserved);
        assertThat(h.budget("default").reservedMicros()).isZero();
        assertThat(h.budget("default").committedMicros()).isZero();
    }

    @Test
    void refusesAnOverlongRunOrApprovalIdHeaderWithoutReservingOrForwarding() throws Exception {
        for (String header : new String[] {"X-SpendGuard-Run-Id", "X-SpendGuard-Approval-Id"}) {
            long served = h.mock.served();
            double reserved = h.counter("spendguard.reserved.usd.micros");
            HttpResponse<String> r = h.chat(ChatCompletionsTest.BODY, header, "r".repeat(257));
            assertThat(r.statusCode()).as(header).isEqualTo(400);
            JsonObject error = ProxyHarness.json(r).getJsonObject("error");
            assertThat(error.getString("code")).isEqualTo("invalid_request");
            assertThat(error.getString("param")).isEqualTo(header);
            assertThat(h.mock.served()).isEqualTo(served);
            assertThat(h.counter("spendguard.reserved.usd.micros")).isEqualTo(reserved);
        }
    }

    @Test
    void refusesAnOversizedBodyFromItsContentLengthBeforeReadingIt() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", h.server.port())) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                    + "\r\nContent-Length: 99999999\r\n\r\n{").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String reply = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(reply).startsWith("HTTP/1.1 413").contains("request_too_large");
        }
    }

    @Test
    void answers401WhenNoKeyIsSentAndNoneIsConfigured() throws Exception {
        HttpResponse<String> r = h.http.send(HttpRequest.newBuilder(h.uri("/v1/chat/completions"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(ChatCompletionsTest.BODY)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("type")).isEqualTo("authentication_error");
    }

    @Test
    void refusesABudgetHeaderItDoesNotTrust() throws Exception {
        long served = h.mock.served();
        HttpResponse<String> r = h.chat(ChatCompletionsTest.BODY, "X-SpendGuard-Budget-Id", "someone-elses");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("code")).isEqualTo("budget_header_not_trusted");
        assertThat(h.mock.served()).isEqualTo(served);
    }

    @Test
    void isNotAnOpenProxy() throws Exception {
        long served = h.mock.served();
        for (String path : new String[] {"/v1/files", "/admin", "/v1/chat/completions/../../etc", "/"}) {
            HttpResponse<String> r = h.http.send(HttpRequest.newBuilder(URI.create(h.uri("") + path)).timeout(Duration.ofSeconds(5))
                    .header("authorization", "Bearer " + KEY).GET().build(), HttpResponse.BodyHandlers.ofString());
            // Dot segments are refused as a bad request target (400) before any route is looked up.
            assertThat(r.statusCode()).as(path).isIn(400, 404, 405);
            assertThat(ProxyHarness.json(r).getJsonObject("error").getString("message")).doesNotContain(KEY);
        }
        HttpResponse<String> get = h.http.send(HttpRequest.newBuilder(h.uri("/v1/chat/completions")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(h.mock.served()).isEqualTo(served);
    }

    @Test
    void keepsServingAfterGarbage() throws Exception {
        for (int i = 0; i < 20; i++) {
            h.chat("\u0000\u0001{{{" + i);
        }
        assertThat(h.chat(ChatCompletionsTest.BODY).statusCode()).isEqualTo(200);
    }
}
