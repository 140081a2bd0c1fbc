package io.spendguard.proxy.sidecar.client;

import static io.spendguard.proxy.sidecar.client.SidecarPeer.await;
import static io.spendguard.proxy.sidecar.client.SidecarPeer.eventually;
import static io.spendguard.proxy.sidecar.client.SidecarPeer.failure;
import static io.spendguard.proxy.sidecar.client.SidecarPeer.request;
import static io.spendguard.proxy.sidecar.client.SidecarPeer.resume;
import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.engine.Approval;
import io.spendguard.proxy.engine.Approvals;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.BudgetState;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.Decision.Outcome;
import io.spendguard.proxy.engine.DecisionRequest;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.ledger.Ledger.Settled;
import io.spendguard.proxy.ledger.memory.MemoryLedger;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.spendguard.proxy.sidecar.server.SidecarServer;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The proxy's sidecar gate against our own {@code sidecar} server: both ends of the protocol, over a real socket. */
class SidecarGateAgainstSidecarServerTest {
    private SidecarPeer peer;
    private Engine engine;
    private SidecarServer server;
    private SidecarGate gate;

    @BeforeEach
    void start() throws Exception {
        peer = new SidecarPeer();
        Clock clock = Clock.systemUTC();
        engine = new Engine(new MemoryLedger(clock), new Approvals(clock, Duration.ofHours(24)), clock, Duration.ofMinutes(15));
        await(engine.putBudget(new BudgetSpec("team", 1_000_000, "daily", "UTC", 500_000L, true)));
        server = await(SidecarServer.start(peer.vertx, engine, new SidecarServer.Options(peer.socket, "t-1", "usd_micros",
                Duration.ofSeconds(5), clock, peer.metrics)));
        gate = peer.connect();
    }

    @AfterEach
    void stop() throws Exception {
        await(gate.close());
        await(server.close());
        peer.close();
    }

    private BudgetState team() throws Exception {
        return await(engine.ledger().budget("team"));
    }

    @Test
    void decidesAndCommitsIncludingAnOverrun() throws Exception {
        Decision d = await(gate.decide(request("d-1", 100_000)));
        assertThat(d.outcome()).isEqualTo(Outcome.CONTINUE);
        assertThat(team().reservedMicros()).isEqualTo(100_000);

        Settled s = await(gate.commit(d, 150_000));

        assertThat(s.committedMicros()).isEqualTo(150_000);
        assertThat(s.overrunMicros()).isEqualTo(50_000);
        assertThat(team().reservedMicros()).isZero();
        assertThat(team().committedMicros()).isEqualTo(150_000);
    }

    @Test
    void releaseGivesTheHoldBack() throws Exception {
        Decision d = await(gate.decide(request("d-1", 100_000)));

        await(gate.release(d, "provider_500"));

        assertThat(team().reservedMicros()).isZero();
        assertThat(team().committedMicros()).isZero();
    }

    @Test
    void stopsWhenTheBudgetCannotCoverTheClaim() throws Exception {
        Decision d = await(gate.decide(request("d-1", 2_000_000)));

        assertThat(d.outcome()).isEqualTo(Outcome.STOP);
        assertThat(d.remainingMicros()).isEqualTo(1_000_000);
        assertThat(d.retryAfterSeconds()).isNotNull().isPositive();
    }

    @Test
    void approvalRoundTripPendingThenApprovedThenSettled() throws Exception {
        DecisionRequest big = request("d-1", 600_000);
        Decision asked = await(gate.decide(big));
        assertThat(asked.outcome()).isEqualTo(Outcome.REQUIRE_APPROVAL);

        Decision pending = await(gate.decide(resume(big, "d-2", asked.approvalId(), big.requestHash())));
        engine.approvals().resolve(asked.approvalId(), true, "ok");
        Decision approved = await(gate.decide(resume(big, "d-3", asked.approvalId(), big.requestHash())));
        await(gate.commit(approved, 550_000));

        assertThat(pending.outcome()).isEqualTo(Outcome.REQUIRE_APPROVAL);
        assertThat(approved.outcome()).isEqualTo(Outcome.CONTINUE);
        assertThat(approved.reservationId()).isNotEmpty();
        assertThat(team().committedMicros()).isEqualTo(550_000);
    }

    @Test
    void aConsumedApprovalIsRefused() throws Exception {
        DecisionRequest big = request("d-1", 600_000);
        Decision asked = await(gate.decide(big));
        engine.approvals().resolve(asked.approvalId(), true, "ok");
        await(gate.decide(resume(big, "d-2", asked.approvalId(), big.requestHash())));

        Throwable e = failure(gate.decide(resume(big, "d-3", asked.approvalId(), big.requestHash())));

        assertThat(e).isInstanceOf(ProxyException.class);
        assertThat(((ProxyException) e).error()).isEqualTo(ProxyError.APPROVAL_CONSUMED);
    }

    @Test
    void onlyTheCallerThatAskedMayResumeAnApprovalEvenThroughAnotherReplica() throws Exception {
        DecisionRequest big = byCaller(request("d-1", 600_000), "key:a");
        Decision asked = await(gate.decide(big));
        engine.approvals().resolve(asked.approvalId(), true, "ok");
        SidecarGate replica = peer.connect();
        try {
            for (SidecarGate g : new SidecarGate[] {gate, replica}) {
                Throwable e = failure(g.decide(byCaller(resume(big, "d-2", asked.approvalId(), big.requestHash()), "key:b")));
                assertThat(e).isInstanceOf(ProxyException.class);
                assertThat(((ProxyException) e).error()).isEqualTo(ProxyError.APPROVAL_FORBIDDEN);
            }
            assertThat(engine.approvals().get(asked.approvalId()).orElseThrow().state()).isEqualTo(Approval.State.APPROVED);

            Decision resumed = await(replica.decide(byCaller(resume(big, "d-3", asked.approvalId(), big.requestHash()), "key:a")));
            assertThat(resumed.outcome()).isEqualTo(Outcome.CONTINUE);
            await(replica.commit(resumed, 550_000));
        } finally {
            await(replica.close());
        }
        assertThat(team().committedMicros()).isEqualTo(550_000);
    }

    private static DecisionRequest byCaller(DecisionRequest r, String caller) {
        return new DecisionRequest(r.decisionId(), r.budgetId(), r.claimMicros(), r.model(), r.requestHash(), r.runId(), r.approvalId(),
                r.idempotencyKey(), r.inputTokens(), r.outputTokens(), r.pricingVersion(), r.mutated(), r.stream(), r.maxOutputTokens(),
                r.tenant(), r.traceparent(), r.tracestate(), r.keyId(), caller);
    }

    @Test
    void aDrainingSidecarStopsNewCallsAndLetsAdmittedOnesSettle() throws Exception {
        Decision d = await(gate.decide(request("d-1", 100_000)));

        server.drain();
        eventually("not ready while draining", () -> !gate.ready());
        Throwable e = failure(gate.decide(request("d-2", 100_000)));
        await(gate.commit(d, 90_000));

        assertThat(((ProxyException) e).error()).isEqualTo(ProxyError.GATE_UNAVAILABLE);
        assertThat(team().committedMicros()).isEqualTo(90_000);
    }
}
