package io.spendguard.proxy.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.ProxyHarness;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the proxy decides from a request's head alone, before it reads or buffers a byte of the body:
 * a caller without a good credential gets 401 however large a body it announces; a compressed body is
 * refused with 415; a request framed by both Transfer-Encoding and Content-Length is refused with 400;
 * and a listener at its connection cap closes one more connection at once, counting it. Nothing is
 * reserved or forwarded, and the proxy keeps serving.
 */
class AdmissionBeforeBodyTest {
    private static final String KEY = "sg-admission-0123456789abcdefghij";
    private static final String CHAT = "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final int MAX_CONNECTIONS = 20;
    private static final int ADMIN_MAX_CONNECTIONS = 3;
    private static ProxyHarness h;
    private static double decisions;

    @BeforeAll
    static void start() throws Exception {
        h = ProxyHarness.start(ProxyHarness.config(1_000_000, "", """
                auth:
                  mode: virtual_keys
                  keys:
                    - { id: key-a, key: "%s", tenant: acme, budget_id: default }
                """.formatted(KEY))
                .replace("api_key: \"\"", "api_key: \"sk-operator-0000\"")
                .replace("limits: { max_body_bytes: 65536 }", "limits: { max_body_bytes: 65536, max_connections: %d, admin_max_connections: %d }"
                        .formatted(MAX_CONNECTIONS, ADMIN_MAX_CONNECTIONS)));
    }

    @AfterAll
    static void stop() throws Exception {
        h.close();
    }

    @BeforeEach
    void clear() {
        h.mock.clear();
        decisions = h.counter("spendguard.decisions");
    }

    /** A chat completion with the virtual key only (the harness's own requests carry a provider key). */
    private static HttpResponse<String> chat() throws Exception {
        return h.http.send(HttpRequest.newBuilder(h.uri("/v1/chat/completions")).timeout(Duration.ofSeconds(10))
                .header("content-type", "application/json").header("authorization", "Bearer " + KEY)
                .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String head(String credential, String extra) {
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + (credential == null ? "" : "Authorization: " + credential + "\r\n") + extra + "\r\n";
    }

    @Test
    void refusesAnOverlongIdHeaderBeforeReadingTheBodyItAnnounces() throws Exception {
        for (String header : new String[] {"X-SpendGuard-Run-Id", "X-SpendGuard-Approval-Id", "X-SpendGuard-Budget-Id"}) {
            try (RawConnection c = new RawConnection(h.server.port())) {
                c.send(head("Bearer " + KEY, "Content-Length: 10000000\r\n" + header + ": " + "r".repeat(257) + "\r\n") + "{\"mod");
                assertThat(c.readUntil("\"param\":\"" + header + "\"", 5_000)).as(header).startsWith("HTTP/1.1 400")
                        .containsIgnoringCase("connection: close");
                c.awaitClosed(5_000);
            }
        }
        assertThat(h.mock.received()).isEmpty();
        assertThat(h.counter("spendguard.decisions")).isEqualTo(decisions);
    }

    @Test
    void refusesAnUnknownCallerBeforeReadingTheBodyItAnnounces() throws Exception {
        for (String credential : new String[] {null, "Bearer sg-unknown-0000000000000000", "Basic c2ctYTpi", "Bearer " + KEY + " x"}) {
            try (RawConnection c = new RawConnection(h.server.port())) {
                // 10 MB announced, 5 bytes sent: the 401 must come without the rest.
                c.send(head(credential, "Content-Length: 10000000\r\n") + "{\"mod");
                assertThat(c.readUntil("\"code\":\"invalid_api_key\"", 5_000)).as(credential).startsWith("HTTP/1.1 401")
                        .containsIgnoringCase("connection: close");
                c.awaitClosed(5_000);
            }
        }
        assertNothingHeldOrForwarded();
        assertThat(chat().statusCode()).isEqualTo(200);
    }

    @Test
    void refusesAMalformedCredentialInPassthroughModeBeforeReadingTheBody() throws Exception {
        try (ProxyHarness passthrough = ProxyHarness.start(ProxyHarness.config(1_000_000, "", ""));
             RawConnection c = new RawConnection(passthrough.server.port())) {
            c.send(head("Bearer two words", "Content-Length: 10000000\r\n") + "{\"mod");
            assertThat(c.readUntil("\"code\":\"invalid_api_key\"", 5_000)).startsWith("HTTP/1.1 401");
            assertThat(passthrough.mock.served()).isZero();
        }
    }

    @Test
    void refusesACompressedBodyWith415() throws Exception {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(CHAT.getBytes(StandardCharsets.UTF_8));
        }
        for (String encoding : new String[] {"gzip", "br", "deflate, gzip"}) {
            HttpResponse<String> r = h.http.send(HttpRequest.newBuilder(h.uri("/v1/chat/completions")).timeout(Duration.ofSeconds(10))
                    .header("content-type", "application/json").header("authorization", "Bearer " + KEY)
                    .header("content-encoding", encoding).POST(HttpRequest.BodyPublishers.ofByteArray(gz.toByteArray())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(encoding).isEqualTo(415);
            assertThat(ProxyHarness.json(r).getJsonObject("error").getString("code")).isEqualTo("unsupported_content_encoding");
            assertThat(r.headers().firstValue("accept-encoding")).hasValue("identity");
        }
        assertNothingHeldOrForwarded();
        assertThat(h.counter("spendguard.requests", "outcome", "unsupported_encoding")).isEqualTo(3);
    }

    @Test
    void refusesTransferEncodingTogetherWithContentLength() throws Exception {
        String chunked = Integer.toHexString(CHAT.length()) + "\r\n" + CHAT + "\r\n0\r\n\r\n";
        try (RawConnection c = new RawConnection(h.server.port())) {
            c.send(head("Bearer " + KEY, "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n") + chunked);
            c.awaitClosed(5_000);
            assertThat(c.received()).startsWith("HTTP/1.1 400");
        }
        assertNothingHeldOrForwarded();
    }

    @Test
    void closesAConnectionOverTheCapAtOnceAndCountsIt() throws Exception {
        assertCapHolds(h.server.port(), "data", MAX_CONNECTIONS);
        assertThat(chat().statusCode()).isEqualTo(200);
    }

    @Test
    void theAdminPortHasItsOwnSmallerCap() throws Exception {
        assertCapHolds(h.server.adminPort(), "admin", ADMIN_MAX_CONNECTIONS);
        assertThat(h.adminGet("/healthz").statusCode()).isEqualTo(200);
    }

    private static void assertCapHolds(int port, String listener, int cap) throws Exception {
        double refused = h.counter("spendguard.connections.refused", "listener", listener);
        List<RawConnection> held = new ArrayList<>();
        try {
            while (open(listener) < cap) {
                held.add(new RawConnection(port));
                int expected = held.size();
                ProxyHarness.await("connection " + expected + " counted", () -> open(listener) >= Math.min(cap, expected));
            }
            try (RawConnection over = new RawConnection(port)) {
                over.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
                over.awaitClosed(2_000);
                assertThat(over.received()).isEmpty();
            }
            assertThat(h.counter("spendguard.connections.refused", "listener", listener)).isEqualTo(refused + 1);
        } finally {
            for (RawConnection c : held) {
                c.close();
            }
        }
        ProxyHarness.await("held connections closed", () -> open(listener) < cap);
    }

    private static double open(String listener) {
        return h.registry.find("spendguard.connections.open").tag("listener", listener).gauge().value();
    }

    private static void assertNothingHeldOrForwarded() throws Exception {
        assertThat(h.mock.served()).as("forwarded").isZero();
        assertThat(h.budget("default").reservedMicros()).as("held µUSD").isZero();
        assertThat(h.counter("spendguard.decisions")).as("decisions").isEqualTo(decisions);
    }
}
