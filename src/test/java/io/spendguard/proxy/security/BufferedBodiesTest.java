package io.spendguard.proxy.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import io.spendguard.proxy.ProxyHarness;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The bytes of all request bodies held at once are capped ({@code limits.max_buffered_body_bytes}):
 * past it a body is refused with 503 {@code overloaded} and {@code Retry-After}, nothing is reserved or
 * forwarded, and the bytes come back as calls end, so the next body is taken again.
 */
class BufferedBodiesTest {
    private static final String AUTH = "Authorization: Bearer sk-client-buffered-1";
    private ProxyHarness h;

    @AfterEach
    void stop() throws Exception {
        h.close();
    }

    @Test
    void aBodyPastTheSharedLimitIs503UntilTheHeldOnesAreDone() throws Exception {
        h = ProxyHarness.start(ProxyHarness.config(1_000_000, "", "").replace("limits: { max_body_bytes: 65536 }",
                "limits: { max_body_bytes: 65536, max_buffered_body_bytes: 100000 }"));
        byte[] slow = body(65_000);
        try (Socket held = new Socket("127.0.0.1", h.server.port())) {
            held.setSoTimeout(10_000);
            OutputStream out = held.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + AUTH
                    + "\r\nContent-Length: " + slow.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(slow, 0, 60_000);
            out.flush();
            ProxyHarness.await("60,000 body bytes held", () -> buffered() >= 60_000);

            String refused = RawHttp.send(h.server.port(), "POST", "/v1/chat/completions", AUTH, body(60_000));
            assertThat(refused).startsWith("HTTP/1.1 503").contains("\"code\":\"overloaded\"").containsIgnoringCase("retry-after: 1");
            assertThat(h.mock.served()).isZero();
            assertThat(h.budget("default").reservedMicros()).isZero();

            out.write(slow, 60_000, slow.length - 60_000);
            out.flush();
            InputStream in = held.getInputStream();
            byte[] head = in.readNBytes(12);
            assertThat(new String(head, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
        }
        ProxyHarness.await("every body handed back", () -> buffered() == 0);
        assertThat(RawHttp.send(h.server.port(), "POST", "/v1/chat/completions", AUTH, body(60_000))).startsWith("HTTP/1.1 200");
        ProxyHarness.await("handed back again", () -> buffered() == 0);
    }

    private double buffered() {
        return h.registry.find("spendguard.request.body.buffered.bytes").gauges().stream().mapToDouble(Gauge::value).sum();
    }

    /** A valid chat body of exactly {@code size} bytes. */
    private static byte[] body(int size) {
        String head = "{\"model\":\"gpt-test\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"pad\":\"";
        String tail = "\"}";
        return (head + "x".repeat(size - head.length() - tail.length()) + tail).getBytes(StandardCharsets.UTF_8);
    }
}
