package io.spendguard.proxy.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.ProxyHarness;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A head the HTTP codec refuses (too long a request line, too large a header block, a malformed
 * {@code Content-Length}) is answered in the provider's error shape with its own status, nothing is
 * forwarded, and the proxy goes on serving.
 */
class MalformedHeadTest {
    private static final String BODY = "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static ProxyHarness h;

    @BeforeAll
    static void start() throws Exception {
        h = ProxyHarness.start(ProxyHarness.config(1_000_000, "", ""));
    }

    @AfterAll
    static void stop() throws Exception {
        h.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "long target, 414, request_target_too_long",
            "large headers, 431, request_headers_too_large",
            "content-length abc, 400, invalid_request",
            "two content-lengths, 400, invalid_request"})
    void isAnsweredInTheProvidersErrorShape(String what, int status, String code) throws Exception {
        String target = "/v1/chat/completions";
        String headers = "Authorization: Bearer sk-client-1";
        switch (what) {
            case "long target" -> target += "?q=" + "a".repeat(20_000);
            case "large headers" -> headers += "\r\nX-Pad: " + "p".repeat(70_000);
            case "content-length abc" -> headers += "\r\nContent-Length: abc";
            default -> headers += "\r\nContent-Length: 3";
        }
        long served = h.mock.served();

        String reply = RawHttp.send(h.server.port(), "POST", target, headers, BODY);

        // A request line too long to parse has no version to answer in: the codec answers HTTP/1.0.
        assertThat(reply).matches("(?s)HTTP/1\\.[01] " + status + " .*");
        JsonObject error = new JsonObject(reply.substring(reply.indexOf("\r\n\r\n") + 4)).getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo(code);
        assertThat(h.mock.served()).isEqualTo(served);
        assertThat(RawHttp.send(h.server.port(), "POST", "/v1/chat/completions", "Authorization: Bearer sk-client-1", BODY))
                .startsWith("HTTP/1.1 200");
    }
}
