package io.spendguard.proxy;

import io.spendguard.proxy.ledger.postgres.TestPostgres;
import io.spendguard.proxy.mock.MockProvider;
import java.net.http.HttpRequest;
import java.time.Duration;

/** Configs and requests for proxies in their own processes sharing one PostgreSQL ledger. */
final class PostgresProxies {
    /** The audit signing key every proxy of a test shares, as replicas of one ledger must. */
    private static final java.nio.file.Path AUDIT_KEY = auditKey();

    private PostgresProxies() {
    }

    private static java.nio.file.Path auditKey() {
        try {
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("spendguard-audit-");
            dir.toFile().deleteOnExit();
            return dir.resolve("signing.key");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * A {@code serve} config: one default budget of {@code limitMicros} on the {@code db} schema, the
     * test price table, both providers at {@code mock} with the given timeout.
     */
    static String config(TestPostgres db, MockProvider mock, long limitMicros, long reservationTtlMs, long providerTimeoutMs) {
        String ledger = "{ kind: postgres, url: \"%s\", pool_size: 4, reservation_ttl_ms: %d, sweep_interval_ms: 200 }"
                .formatted(db.url(), reservationTtlMs);
        return ProxyHarness.withLedger(ProxyHarness.config(limitMicros, "", "pricing: \"" + ProxyHarness.pricingFile() + "\"\n"
                        + "audit: { signing_key: \"" + AUDIT_KEY + "\" }"), ledger)
                .replace("api_key: \"\", timeout_ms: 2000 }", "api_key: \"\", timeout_ms: " + providerTimeoutMs + " }")
                // a busy machine must not turn a slow decision into a 503: these tests count outcomes exactly
                .replace("gate: { timeout_ms: 2000 }", "gate: { timeout_ms: 15000 }")
                .replace("MOCK_URL", "http://127.0.0.1:" + mock.port());
    }

    /** A chat completion to {@code proxy} that the mock answers after {@code latencyMs}, billing its whole claim. */
    static HttpRequest chat(ProxyProcess proxy, long latencyMs) {
        return HttpRequest.newBuilder(proxy.uri("/v1/chat/completions")).timeout(Duration.ofSeconds(60))
                .header("content-type", "application/json").header("authorization", "Bearer sk-client-secret-1234")
                .header("x-mock-latency-ms", Long.toString(latencyMs)).header("x-mock-output-tokens", "50")
                .POST(HttpRequest.BodyPublishers.ofString(ChatCompletionsTest.BODY)).build();
    }
}
