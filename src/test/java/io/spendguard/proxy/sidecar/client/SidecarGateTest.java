package io.spendguard.proxy.sidecar.client;

import static io.spendguard.proxy.sidecar.client.SidecarPeer.await;
import static io.spendguard.proxy.sidecar.client.SidecarPeer.eventually;
import static io.spendguard.proxy.sidecar.client.SidecarPeer.failure;
import static io.spendguard.proxy.sidecar.client.SidecarPeer.request;
import static io.spendguard.proxy.sidecar.client.SidecarPeer.resume;
import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proto.adapter.v1.DecisionResponse;
import io.spendguard.proto.adapter.v1.HandshakeRequest;
import io.spendguard.proto.adapter.v1.LlmCallPostPayload;
import io.spendguard.proto.adapter.v1.ResumeAfterApprovalDenied;
import io.spendguard.proto.adapter.v1.ResumeAfterApprovalResponse;
import io.spendguard.proto.common.v1.Error;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.Decision.Outcome;
import io.spendguard.proxy.engine.DecisionRequest;
import io.spendguard.proxy.engine.Mutation;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.vertx.core.Promise;
import io.vertx.grpc.common.GrpcStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link SidecarGate} decisions, resumes, drain and reconnects against a real gRPC peer on a real Unix socket. */
class SidecarGateTest {
    private SidecarPeer peer;
    private FakeSidecar fake;
    private SidecarGate gate;

    @BeforeEach
    void start() throws Exception {
        peer = new SidecarPeer();
    }

    @AfterEach
    void stop() throws Exception {
        if (gate != null) {
            await(gate.close());
        }
        peer.close();
    }

    private void connected() throws Exception {
        fake = peer.startFake();
        gate = peer.connect();
    }

    @Test
    void handshakeRetriesUntilTheSidecarAppears() throws Exception {
        Promise<FakeSidecar> late = Promise.promise();
        peer.vertx.setTimer(300, id -> FakeSidecar.start(peer.vertx, peer.socket).onComplete(late));

        gate = await(SidecarGate.connect(peer.vertx, peer.config(5_000), peer.metrics));
        fake = await(late.future());

        assertThat(gate.ready()).isTrue();
        assertThat(fake.handshakes).singleElement().satisfies(h -> {
            assertThat(h.getProtocolVersion()).isEqualTo(1);
            assertThat(h.getCapabilityLevel()).isEqualTo(HandshakeRequest.CapabilityLevel.L1_LLM_CALL);
            assertThat(h.getRuntimeKind()).isEqualTo("egress-proxy");
            assertThat(h.getTenantIdAssertion()).isEqualTo("t-1");
        });
    }

    @Test
    void startUpFailsNamingTheSocketWhenNoSidecarAnswersInTime() throws Exception {
        Throwable e = failure(SidecarGate.connect(peer.vertx, peer.config(300), peer.metrics));

        assertThat(e).hasMessageContaining(peer.socket.toString()).hasMessageContaining("handshake_timeout_ms");
    }

    @Test
    void everyRequestCarriesAnAuthorityOverTheUnixSocket() throws Exception {
        connected();
        await(gate.decide(request("d-1", 1_000)));

        // port 80 is the default for http, so the header reads just "localhost"
        assertThat(fake.authorities).isNotEmpty().allMatch("localhost"::equals);
    }

    @Test
    void aRetriedCallSendsTheSameBytesEvenAfterAReconnect() throws Exception {
        connected();
        DecisionRequest r = request("d-1", 1_000);
        await(gate.decide(r));
        await(gate.decide(r));
        await(fake.stop());
        FakeSidecar back = peer.startFake();
        eventually("reconnected", gate::ready);
        await(gate.decide(r));

        assertThat(fake.decisionBytes).hasSize(2);
        byte[] first = fake.decisionBytes.get(0).getBytes();
        assertThat(first).isNotEmpty();
        assertThat(fake.decisionBytes.get(1).getBytes()).isEqualTo(first);
        assertThat(back.decisionBytes).singleElement().satisfies(b -> assertThat(b.getBytes()).isEqualTo(first));
        assertThat(peer.count("spendguard.sidecar.reconnects")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void continueAdmitsUnderTheSidecarsReservation() throws Exception {
        connected();
        Decision d = await(gate.decide(request("d-1", 1_500)));

        assertThat(d.outcome()).isEqualTo(Outcome.CONTINUE);
        assertThat(d.reservationId()).isEqualTo("res-d-1");
        assertThat(d.reservedMicros()).isEqualTo(1_500);
        assertThat(d.decisionId()).isEqualTo("d-1");
    }

    @Test
    void stopCarriesRemainingAndRetryAfterFromTheErrorDetails() throws Exception {
        connected();
        fake.decide = r -> DecisionResponse.newBuilder().setDecision(DecisionResponse.Decision.STOP)
                .setError(Error.newBuilder().setCode(Error.Code.BUDGET_EXHAUSTED)
                        .putDetails("remaining_usd_micros", "250").putDetails("retry_after_seconds", "3600"))
                .build();

        Decision d = await(gate.decide(request("d-1", 1_500)));

        assertThat(d.outcome()).isEqualTo(Outcome.STOP);
        assertThat(d.reasonCodes()).containsExactly("BUDGET_EXHAUSTED");
        assertThat(d.remainingMicros()).isEqualTo(250);
        assertThat(d.retryAfterSeconds()).isEqualTo(3600);
        assertThat(d.reservationId()).isNull();
    }

    @Test
    void requireApprovalCarriesTheApprovalId() throws Exception {
        connected();
        fake.decide = r -> DecisionResponse.newBuilder().setDecision(DecisionResponse.Decision.REQUIRE_APPROVAL)
                .setApprovalRequestId("apr-1").build();

        Decision d = await(gate.decide(request("d-1", 1_500)));

        assertThat(d.outcome()).isEqualTo(Outcome.REQUIRE_APPROVAL);
        assertThat(d.approvalId()).isEqualTo("apr-1");
    }

    private DecisionRequest awaitingApproval() throws Exception {
        fake.decide = r -> DecisionResponse.newBuilder().setDecision(DecisionResponse.Decision.REQUIRE_APPROVAL)
                .setApprovalRequestId("apr-1").build();
        DecisionRequest original = request("d-1", 1_500);
        await(gate.decide(original));
        return original;
    }

    @Test
    void resumeOfAnApprovedCallAdmitsItAgainstTheOriginalDecision() throws Exception {
        connected();
        DecisionRequest original = awaitingApproval();
        fake.resume = r -> ResumeAfterApprovalResponse.newBuilder().setDecision(DecisionResponse.newBuilder()
                .setDecision(DecisionResponse.Decision.CONTINUE).addReservationIds("res-approved")).build();

        Decision d = await(gate.decide(resume(original, "d-2", "apr-1", original.requestHash())));

        assertThat(d.outcome()).isEqualTo(Outcome.CONTINUE);
        assertThat(d.reservationId()).isEqualTo("res-approved");
        assertThat(d.approvalId()).isEqualTo("apr-1");
        assertThat(fake.resumes).singleElement().satisfies(r -> {
            assertThat(r.getApprovalId()).isEqualTo("apr-1");
            assertThat(r.getDecisionId()).isEqualTo("d-1");
            assertThat(r.getTenantId()).isEqualTo("t-1");
            assertThat(r.getSessionId()).isEqualTo("session-1");
        });
    }

    @Test
    void resumeOfAPendingApprovalStillRequiresApproval() throws Exception {
        connected();
        DecisionRequest original = awaitingApproval();
        fake.resume = r -> ResumeAfterApprovalResponse.newBuilder()
                .setError(Error.newBuilder().setMessage("[APPROVAL_NON_TERMINAL] approval apr-1 is pending")).build();

        Decision d = await(gate.decide(resume(original, "d-2", "apr-1", original.requestHash())));

        assertThat(d.outcome()).isEqualTo(Outcome.REQUIRE_APPROVAL);
        assertThat(d.approvalId()).isEqualTo("apr-1");
    }

    @Test
    void resumeWithAnotherRequestBodyIsAMismatchAndNeverReachesTheSidecar() throws Exception {
        connected();
        DecisionRequest original = awaitingApproval();

        Throwable e = failure(gate.decide(resume(original, "d-2", "apr-1", "another-body")));

        assertThat(e).isInstanceOf(ProxyException.class);
        assertThat(((ProxyException) e).error()).isEqualTo(ProxyError.APPROVAL_MISMATCH);
        assertThat(fake.resumes).isEmpty();
    }

    @Test
    void resumeOutcomesThatAreNotDecisionsMapToTheirErrors() throws Exception {
        connected();
        DecisionRequest original = awaitingApproval();
        assertThat(resumeError(original, ResumeAfterApprovalResponse.newBuilder()
                .setDenied(ResumeAfterApprovalDenied.newBuilder().setApproverReason("too much")).build()))
                .isEqualTo(ProxyError.APPROVAL_DENIED);
        assertThat(resumeError(original, errorResponse("[APPROVAL_EXPIRED] gone"))).isEqualTo(ProxyError.APPROVAL_EXPIRED);
        assertThat(resumeError(original, errorResponse("[APPROVAL_CONSUMED] used"))).isEqualTo(ProxyError.APPROVAL_CONSUMED);
        assertThat(resumeError(original, errorResponse("[APPROVAL_UNKNOWN] who"))).isEqualTo(ProxyError.UNKNOWN_APPROVAL);
        assertThat(resumeError(original, errorResponse("something else"))).isEqualTo(ProxyError.GATE_UNAVAILABLE);
    }

    private static ResumeAfterApprovalResponse errorResponse(String message) {
        return ResumeAfterApprovalResponse.newBuilder().setError(Error.newBuilder().setMessage(message)).build();
    }

    private ProxyError resumeError(DecisionRequest original, ResumeAfterApprovalResponse answer) throws Exception {
        fake.resume = r -> answer;
        Throwable e = failure(gate.decide(resume(original, "d-2", "apr-1", original.requestHash())));
        assertThat(e).isInstanceOf(ProxyException.class);
        return ((ProxyException) e).error();
    }

    @Test
    void degradeCarriesTheMutationFromThePatch() throws Exception {
        connected();
        fake.decide = r -> DecisionResponse.newBuilder().setDecision(DecisionResponse.Decision.DEGRADE)
                .addReservationIds("res-" + r.getIds().getDecisionId())
                .setMutationPatchJson("[{\"op\":\"replace\",\"path\":\"/model\",\"value\":\"gpt-4o-mini\"},"
                        + "{\"op\":\"add\",\"path\":\"/max_output_tokens\",\"value\":256}]")
                .build();

        Decision d = await(gate.decide(request("d-1", 1_500)));

        assertThat(d.outcome()).isEqualTo(Outcome.DEGRADE);
        assertThat(d.reservationId()).isEqualTo("res-d-1");
        assertThat(d.isProposal()).isFalse();
        assertThat(d.mutation()).isEqualTo(new Mutation("gpt-4o-mini", 256, null));
    }

    @Test
    void aDegradeWhosePatchCannotBeAppliedIsA503AndItsHoldIsReleased() throws Exception {
        connected();
        fake.decide = r -> DecisionResponse.newBuilder().setDecision(DecisionResponse.Decision.DEGRADE)
                .addReservationIds("res-" + r.getIds().getDecisionId())
                .setMutationPatchJson("[{\"op\":\"remove\",\"path\":\"/messages\"}]")
                .build();

        Throwable e = failure(gate.decide(request("d-1", 1_500)));

        assertThat(((ProxyException) e).error()).isEqualTo(ProxyError.GATE_UNAVAILABLE);
        assertThat(peer.count("spendguard.sidecar.failures", "reason", "unusable_degrade")).isEqualTo(1);
        eventually("the hold released", () -> fake.events.stream().anyMatch(ev -> ev.getLlmCallPost().getReservationId().equals("res-d-1")
                && ev.getLlmCallPost().getOutcome() != LlmCallPostPayload.Outcome.SUCCESS));
    }

    @Test
    void unspecifiedDecisionIsA503WhateverTheFailModeAndCounted() throws Exception {
        connected();
        fake.decide = r -> DecisionResponse.getDefaultInstance();

        Throwable e = failure(gate.decide(request("d-1", 1_000)));

        assertThat(e).isInstanceOf(ProxyException.class);
        assertThat(((ProxyException) e).error()).isEqualTo(ProxyError.GATE_UNAVAILABLE);
        assertThat(peer.count("spendguard.sidecar.failures", "reason", "decision_unspecified")).isEqualTo(1);
    }

    @Test
    void nonTransientStatusIsA503AndUnavailableIsLeftToTheFailMode() throws Exception {
        connected();
        fake.decisionStatus = GrpcStatus.INTERNAL;
        Throwable internal = failure(gate.decide(request("d-1", 1_000)));
        fake.decisionStatus = GrpcStatus.UNAVAILABLE;
        Throwable unavailable = failure(gate.decide(request("d-2", 1_000)));

        assertThat(internal).isInstanceOf(ProxyException.class);
        assertThat(unavailable).isInstanceOf(SidecarException.class).isNotInstanceOf(ProxyException.class);
        assertThat(peer.count("spendguard.sidecar.failures", "reason", "status_internal")).isEqualTo(1);
        assertThat(peer.count("spendguard.sidecar.failures", "reason", "unavailable")).isEqualTo(1);
    }

    @Test
    void idempotencyConflictFromTheSidecarIsA409() throws Exception {
        connected();
        fake.decisionStatus = GrpcStatus.FAILED_PRECONDITION;
        fake.decisionStatusMessage = "IDEMPOTENCY_CONFLICT: the key was used for another request";

        Throwable e = failure(gate.decide(request("d-1", 1_000)));

        assertThat(((ProxyException) e).error()).isEqualTo(ProxyError.IDEMPOTENCY_CONFLICT);
    }

    @Test
    void drainingRefusesNewCallsWhileAdmittedOnesStillSettle() throws Exception {
        connected();
        Decision admitted = await(gate.decide(request("d-1", 1_000)));

        fake.drain();
        eventually("not ready while draining", () -> !gate.ready());
        Throwable e = failure(gate.decide(request("d-2", 1_000)));
        await(gate.commit(admitted, 800));

        assertThat(e).isInstanceOf(ProxyException.class);
        assertThat(((ProxyException) e).error()).isEqualTo(ProxyError.GATE_UNAVAILABLE);
        assertThat(((ProxyException) e).headers()).containsEntry("Retry-After", "1");
        assertThat(fake.events).singleElement().satisfies(ev -> assertThat(ev.getLlmCallPost().getReservationId()).isEqualTo("res-d-1"));
        assertThat(fake.decisionBytes).hasSize(1);
    }

    @Test
    void aDrainedSidecarStaysUnreadyAcrossReconnectsUntilAServingOneReplacesIt() throws Exception {
        connected();
        fake.drain();
        eventually("not ready while draining", () -> !gate.ready());

        fake.drainComplete();
        eventually("handshaking again and again while drained", () -> {
            assertThat(gate.ready()).as("ready while the sidecar is drained").isFalse();
            return fake.handshakes.size() >= 3;
        });
        await(fake.stop());
        FakeSidecar replacement = peer.startFake();
        eventually("ready with the replacement", gate::ready);

        assertThat(await(gate.decide(request("d-1", 1_000))).outcome()).isEqualTo(Outcome.CONTINUE);
        assertThat(replacement.decisionBytes).hasSize(1);
    }

    @Test
    void aSidecarWithoutDrainSignalsIsServedWithoutReconnecting() throws Exception {
        fake = peer.startFake();
        fake.noDrainSignal = true;
        gate = peer.connect();

        Decision d = await(gate.decide(request("d-1", 1_000)));
        await(gate.commit(d, 900));

        assertThat(gate.ready()).isTrue();
        assertThat(fake.handshakes).hasSize(1);
        assertThat(peer.count("spendguard.sidecar.reconnects")).isZero();
    }

    @Test
    void aKilledSidecarFailsCallsAndABackOneServesThemAfterANewHandshake() throws Exception {
        connected();
        await(gate.decide(request("d-1", 1_000)));

        await(fake.stop());
        Throwable e = failure(gate.decide(request("d-2", 1_000)));
        eventually("not ready without a sidecar", () -> !gate.ready());
        FakeSidecar back = peer.startFake();
        eventually("reconnected", gate::ready);
        Decision d = await(gate.decide(request("d-3", 1_000)));

        assertThat(e).isInstanceOf(SidecarException.class);
        assertThat(d.reservationId()).isEqualTo("res-d-3");
        assertThat(back.handshakes).hasSize(1);
    }
}
