package io.spendguard.proxy.sidecar.client;

import static io.spendguard.proxy.sidecar.client.SidecarPeer.await;
import static io.spendguard.proxy.sidecar.client.SidecarPeer.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.ProxyHarness;
import io.spendguard.proxy.engine.Approvals;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.ledger.memory.MemoryLedger;
import io.spendguard.proxy.sidecar.server.SidecarServer;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A whole proxy in {@code gate.mode: sidecar} in front of the mock provider, budgets owned by our sidecar server. */
class SidecarModeProxyTest {
    private static final String BODY = "{\"model\":\"gpt-test\",\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";

    private SidecarPeer peer;
    private Engine engine;
    private SidecarServer sidecar;
    private ProxyHarness proxy;

    @BeforeEach
    void start() throws Exception {
        peer = new SidecarPeer();
        Clock clock = Clock.systemUTC();
        engine = new Engine(new MemoryLedger(clock), new Approvals(clock, Duration.ofHours(24)), clock, Duration.ofMinutes(15));
        await(engine.putBudget(new BudgetSpec("team", 1_000_000, "daily", "UTC", null, true)));
        sidecar = await(SidecarServer.start(peer.vertx, engine, new SidecarServer.Options(peer.socket, "t-1", "usd_micros",
                Duration.ofSeconds(5), clock, peer.metrics)));
        proxy = ProxyHarness.start(peer.proxyConfig(2000));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        await(sidecar.close());
        peer.close();
    }

    private BudgetState team() throws Exception {
        return await(engine.ledger().budget("team"));
    }

    @Test
    void aCallIsReservedInTheSidecarForwardedAndSettledThere() throws Exception {
        HttpResponse<String> r = proxy.chat(BODY);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-SpendGuard-Decision-Id")).isPresent();
        assertThat(r.headers().firstValue("X-SpendGuard-Budget-Remaining-Usd-Micros")).as("the protocol reports no budget").isEmpty();
        eventually("settled in the sidecar", () -> proxy.settlements() == 1);
        assertThat(team().reservedMicros()).isZero();
        assertThat(team().committedMicros()).isPositive();
        assertThat(proxy.counter("spendguard.decisions", "decision", "CONTINUE")).isEqualTo(1);
        assertThat(proxy.adminGet("/readyz").statusCode()).isEqualTo(200);
    }

    @Test
    void aBudgetTheSidecarSaysIsSpentIsA402() throws Exception {
        await(engine.putBudget(new BudgetSpec("team", 1, "daily", "UTC", null, true)));

        HttpResponse<String> r = proxy.chat(BODY);

        assertThat(r.statusCode()).isEqualTo(402);
        assertThat(ProxyHarness.json(r).getJsonObject("error").getString("code")).isEqualTo("BUDGET_EXHAUSTED");
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
    }

    @Test
    void anApprovalIsAskedForAndAResumedCallGoesThrough() throws Exception {
        await(engine.putBudget(new BudgetSpec("team", 1_000_000, "daily", "UTC", 1L, true)));

        HttpResponse<String> asked = proxy.chat(BODY);
        String approval = asked.headers().firstValue("X-SpendGuard-Approval-Id").orElseThrow();
        engine.approvals().resolve(approval, true, "ok");
        HttpResponse<String> resumed = proxy.chat(BODY, "X-SpendGuard-Approval-Id", approval);

        assertThat(asked.statusCode()).isEqualTo(409);
        assertThat(resumed.statusCode()).isEqualTo(200);
        eventually("settled in the sidecar", () -> proxy.settlements() == 1);
        assertThat(team().committedMicros()).isPositive();
    }

    @Test
    void aDrainingSidecarMakesTheProxyAnswer503AndNotReady() throws Exception {
        sidecar.drain();
        eventually("not ready", () -> {
            try {
                return proxy.adminGet("/readyz").statusCode() == 503;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        HttpResponse<String> r = proxy.chat(BODY);

        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
    }
}
