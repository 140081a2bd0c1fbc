package io.spendguard.proxy.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.ProxyHarness;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Connections that hold the proxy without sending a request are closed by the configured timeouts
 * (300 ms here) on the data and admin ports: a connection that sends nothing, half a head, or a head
 * and part of a body, or that stays idle after its call. A call in flight is never cut by them: a
 * stream whose events come further apart than the idle timeout, and a provider slower than it, are
 * relayed whole. Nothing is reserved or forwarded for a request that never completed.
 */
class ConnectionTimeoutsTest {
    private static final long TIMEOUT_MS = 300;
    /** Generous for a shared 2-core box; what matters is that the connection is closed at all. */
    private static final long CLOSED_WITHIN_MS = 5_000;
    private static final String KEY = "sk-client-secret-1234";
    private static final String CHAT = "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static ProxyHarness h;

    @BeforeAll
    static void start() throws Exception {
        h = ProxyHarness.start(ProxyHarness.config(1_000_000, "", "").replace("limits: { max_body_bytes: 65536 }",
                "limits: { max_body_bytes: 65536, idle_timeout_ms: %d, header_timeout_ms: %d, body_timeout_ms: %d }"
                        .formatted(TIMEOUT_MS, TIMEOUT_MS, TIMEOUT_MS)));
    }

    @AfterAll
    static void stop() throws Exception {
        h.close();
    }

    private static double decisions;

    @BeforeEach
    void clear() {
        h.mock.clear();
        decisions = h.counter("spendguard.decisions");
    }

    private double timeouts(String listener, String phase) {
        return h.counter("spendguard.connections.timeouts", "listener", listener, "phase", phase);
    }

    @Test
    void closesAConnectionThatNeverSendsARequest() throws Exception {
        double before = timeouts("data", "header");
        try (RawConnection c = new RawConnection(h.server.port())) {
            assertThat(c.awaitClosed(CLOSED_WITHIN_MS)).isGreaterThanOrEqualTo(TIMEOUT_MS - 50);
            assertThat(c.received()).isEmpty();
        }
        assertThat(timeouts("data", "header")).isEqualTo(before + 1);
    }

    @Test
    void closesAConnectionThatSendsHalfAHead() throws Exception {
        double before = timeouts("data", "header");
        try (RawConnection c = new RawConnection(h.server.port())) {
            c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + KEY + "\r\nX-Slow: ");
            c.awaitClosed(CLOSED_WITHIN_MS);
        }
        assertThat(timeouts("data", "header")).isEqualTo(before + 1);
        assertNothingHeldOrForwarded();
    }

    @Test
    void answers408AndClosesWhenTheBodyIsTooSlow() throws Exception {
        double before = timeouts("data", "body");
        try (RawConnection c = new RawConnection(h.server.port())) {
            c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer "
                    + KEY + "\r\nContent-Length: " + CHAT.length() + "\r\n\r\n" + CHAT.substring(0, 10));
            c.awaitClosed(CLOSED_WITHIN_MS);
            assertThat(c.received()).startsWith("HTTP/1.1 408").contains("\"code\":\"request_timeout\"");
        }
        assertThat(timeouts("data", "body")).isEqualTo(before + 1);
        assertNothingHeldOrForwarded();
    }

    @Test
    void closesAKeptAliveConnectionThatStaysIdleAfterItsCall() throws Exception {
        double before = timeouts("data", "idle");
        try (RawConnection c = new RawConnection(h.server.port())) {
            c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer "
                    + KEY + "\r\nContent-Length: " + CHAT.length() + "\r\n\r\n" + CHAT);
            assertThat(c.readUntil("\"usage\"", CLOSED_WITHIN_MS)).startsWith("HTTP/1.1 200");
            c.awaitClosed(CLOSED_WITHIN_MS);
        }
        assertThat(timeouts("data", "idle")).isEqualTo(before + 1);
        assertThat(h.mock.served()).isEqualTo(1);
    }

    @Test
    void keepsABusyKeptAliveConnectionOpenLongPastTheIdleTimeoutThenClosesItWhenIdle() throws Exception {
        double before = timeouts("data", "idle");
        String call = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer "
                + KEY + "\r\nContent-Length: " + CHAT.length() + "\r\n\r\n" + CHAT;
        try (RawConnection c = new RawConnection(h.server.port())) {
            long busyUntil = System.nanoTime() + 4 * TIMEOUT_MS * 1_000_000;
            int calls = 0;
            while (System.nanoTime() < busyUntil) { // each call pushes the idle deadline back; the timer set once fires and is set again
                c.send(call);
                calls++;
                c.readUntil("\"usage\"", calls, CLOSED_WITHIN_MS);
                Thread.sleep(20);
            }
            // every reply came on this one socket: it was never closed while busy
            assertThat(c.awaitClosed(CLOSED_WITHIN_MS)).isGreaterThan(4 * TIMEOUT_MS);
            assertThat(h.mock.served()).isEqualTo(calls);
        }
        assertThat(timeouts("data", "idle")).isGreaterThanOrEqualTo(before + 1);
    }

    @Test
    void relaysAStreamWhoseEventsComeFurtherApartThanTheIdleTimeout() throws Exception {
        long started = System.nanoTime();
        HttpResponse<String> r = h.chat(CHAT.replace("{\"model\"", "{\"stream\":true,\"model\""),
                "x-mock-chunk-delay-ms", Long.toString(TIMEOUT_MS + 150), "x-mock-output-tokens", "2");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"finish_reason\":\"stop\"").endsWith("data: [DONE]\n\n");
        assertThat((System.nanoTime() - started) / 1_000_000).isGreaterThan(3 * TIMEOUT_MS);
    }

    @Test
    void waitsForAProviderSlowerThanEveryTimeout() throws Exception {
        HttpResponse<String> r = h.chat(CHAT, "x-mock-latency-ms", Long.toString(3 * TIMEOUT_MS));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"usage\"");
    }

    @Test
    void closesIdleAndHalfHeadConnectionsOnTheAdminPort() throws Exception {
        double header = timeouts("admin", "header");
        double idle = timeouts("admin", "idle");
        try (RawConnection silent = new RawConnection(h.server.adminPort());
             RawConnection half = new RawConnection(h.server.adminPort());
             RawConnection kept = new RawConnection(h.server.adminPort())) {
            half.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            kept.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            silent.awaitClosed(CLOSED_WITHIN_MS);
            half.awaitClosed(CLOSED_WITHIN_MS);
            kept.awaitClosed(CLOSED_WITHIN_MS);
            assertThat(kept.received()).startsWith("HTTP/1.1 200");
        }
        assertThat(timeouts("admin", "header")).isEqualTo(header + 2);
        assertThat(timeouts("admin", "idle")).isEqualTo(idle + 1);
    }

    @Test
    void theSidecarsAdminPortClosesASilentConnectionToo() throws Exception {
        try (ProxyHarness sidecar = ProxyHarness.startWithSidecar(ProxyHarness.config(1_000_000, "", "").replace(
                "limits: { max_body_bytes: 65536 }", "limits: { max_body_bytes: 65536, header_timeout_ms: %d }".formatted(TIMEOUT_MS)));
             RawConnection silent = new RawConnection(sidecar.admin("/").getPort())) {
            assertThat(silent.awaitClosed(CLOSED_WITHIN_MS)).isGreaterThanOrEqualTo(TIMEOUT_MS - 50);
            assertThat(silent.received()).isEmpty();
        }
    }

    @Test
    void keepsServingAfterTheTimeouts() throws Exception {
        assertThat(h.chat(CHAT).statusCode()).isEqualTo(200);
        ProxyHarness.await("connections closed", () -> h.registry.find("spendguard.connections.open")
                .tag("listener", "data").gauge().value() <= 1);
    }

    private static void assertNothingHeldOrForwarded() throws Exception {
        assertThat(h.mock.served()).as("forwarded").isZero();
        assertThat(h.budget("default").reservedMicros()).as("held µUSD").isZero();
        assertThat(h.counter("spendguard.decisions")).as("decisions").isEqualTo(decisions);
    }
}
