package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.engine.MutableClock;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real proxy on the SQLite ledger: concurrency, budget windows crossed on an injected clock, limits changed live. */
class SqliteLedgerProxyTest extends HarnessTest {
    private static final String BODY = ChatCompletionsTest.BODY;

    @TempDir
    Path dir;

    private String config(long limitMicros) {
        return ProxyHarness.config(limitMicros, "", "").replace("ledger: { kind: memory }",
                "ledger: { kind: sqlite, path: \"" + dir.resolve("ledger.db") + "\" }");
    }

    @Test
    void twoHundredConcurrentCallsLetExactlyTheOnesThatFitThrough() throws Exception {
        long claim = ChatCompletionsTest.claim(BODY);
        h = start(config(claim * 20 + claim / 2));
        assertThat(h.concurrentChats(200, BODY)).isEqualTo(java.util.Map.of(200, 20L, 402, 180L));
        assertThat(h.mock.served()).isEqualTo(20);
        h.assertSettled(20, "default");
        assertThat(h.budget("default").committedMicros()).isEqualTo(claim * 20);
    }

    @Test
    void spendResetsAtTheWindowBoundaryAndTheRefusalSaysWhen() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-03-15T23:59:30Z"));
        long claim = ChatCompletionsTest.claim(BODY);
        h = ProxyHarness.start(config(claim), clock);
        assertThat(h.chat(BODY, "x-mock-output-tokens", "50").statusCode()).isEqualTo(200);

        HttpResponse<String> refused = h.chat(BODY);
        assertThat(refused.statusCode()).isEqualTo(402);
        assertThat(refused.headers().firstValue("Retry-After")).as("seconds to midnight UTC").hasValue("30");

        clock.advance(Duration.ofSeconds(30));
        JsonObject window = ProxyHarness.json(h.adminGet("/v1/budgets/default"));
        assertThat(window.getString("window_start")).isEqualTo("2026-03-16T00:00:00Z");
        assertThat(window.getString("window_end")).isEqualTo("2026-03-17T00:00:00Z");
        assertThat(window.getLong("committed_usd_micros")).isZero();
        assertThat(h.chat(BODY).statusCode()).as("a new day, a new budget, without a restart").isEqualTo(200);
    }

    @Test
    void raisingTheLimitAppliesToTheNextCall() throws Exception {
        long claim = ChatCompletionsTest.claim(BODY);
        h = start(config(claim - 1));
        assertThat(h.chat(BODY).statusCode()).isEqualTo(402);

        HttpResponse<String> patched = h.http.send(HttpRequest.newBuilder(h.admin("/v1/budgets/default"))
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"limit_usd_micros\":" + claim + "}")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(patched.statusCode()).isEqualTo(200);
        assertThat(h.chat(BODY).statusCode()).isEqualTo(200);
    }
}
