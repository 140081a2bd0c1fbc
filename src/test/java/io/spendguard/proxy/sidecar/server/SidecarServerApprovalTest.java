package io.spendguard.proxy.sidecar.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proto.adapter.v1.DecisionResponse;
import io.spendguard.proto.adapter.v1.ResumeAfterApprovalRequest;
import io.spendguard.proto.adapter.v1.ResumeAfterApprovalResponse;
import io.spendguard.proto.adapter.v1.ResumeAfterApprovalResponse.OutcomeCase;
import io.spendguard.proxy.engine.BudgetSpec;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** REQUIRE_APPROVAL, then ResumeAfterApproval through each state of the approval. */
class SidecarServerApprovalTest {
    @TempDir
    Path dir;
    SidecarFixture f;
    String approvalId;

    @BeforeEach
    void start() throws Exception {
        f = SidecarFixture.start(dir);
        DecisionResponse r = f.decide("big", "team", "600000");
        assertThat(r.getDecision()).isEqualTo(DecisionResponse.Decision.REQUIRE_APPROVAL);
        approvalId = r.getApprovalRequestId();
    }

    @AfterEach
    void stop() throws Exception {
        f.close();
    }

    private ResumeAfterApprovalResponse resume(String id) throws Exception {
        return f.client.resumeAfterApproval(ResumeAfterApprovalRequest.newBuilder().setApprovalId(id).setDecisionId("dec-resumed")
                .setTenantId(SidecarFixture.TENANT).build()).await(10, TimeUnit.SECONDS);
    }

    @Test
    void pendingIsNotTerminal() throws Exception {
        ResumeAfterApprovalResponse r = resume(approvalId);

        assertThat(r.getOutcomeCase()).isEqualTo(OutcomeCase.ERROR);
        assertThat(r.getError().getMessage()).isEqualTo("[APPROVAL_NON_TERMINAL] approval " + approvalId + " is pending");
        assertThat(f.budget("team").reservedMicros()).isZero();
    }

    @Test
    void approvedReservesTheApprovedClaimOnce() throws Exception {
        f.engine.approvals().resolve(approvalId, true, "ok");

        ResumeAfterApprovalResponse r = resume(approvalId);
        ResumeAfterApprovalResponse again = resume(approvalId);

        assertThat(r.getOutcomeCase()).isEqualTo(OutcomeCase.DECISION);
        assertThat(r.getDecision().getDecision()).isEqualTo(DecisionResponse.Decision.CONTINUE);
        assertThat(r.getDecision().getDecisionId()).isEqualTo("dec-resumed");
        assertThat(r.getDecision().getReservationIdsList()).hasSize(1);
        assertThat(f.budget("team").reservedMicros()).isEqualTo(600_000);
        assertThat(again.getError().getMessage()).startsWith("[APPROVAL_CONSUMED]");
    }

    @Test
    void approvedButNoLongerFittingStops() throws Exception {
        f.engine.approvals().resolve(approvalId, true, "ok");
        f.engine.putBudget(new BudgetSpec("team", 100_000, "daily", "UTC", 500_000L, false)).await(5, TimeUnit.SECONDS);

        ResumeAfterApprovalResponse r = resume(approvalId);

        assertThat(r.getDecision().getDecision()).isEqualTo(DecisionResponse.Decision.STOP);
        assertThat(r.getDecision().getError().getDetailsMap()).containsEntry("remaining_usd_micros", "100000");
        assertThat(f.engine.approvals().get(approvalId)).get().satisfies(a -> assertThat(a.state().name()).isEqualTo("APPROVED"));
    }

    @Test
    void deniedCarriesTheApproversReason() throws Exception {
        f.engine.approvals().resolve(approvalId, false, "too expensive");

        ResumeAfterApprovalResponse r = resume(approvalId);

        assertThat(r.getOutcomeCase()).isEqualTo(OutcomeCase.DENIED);
        assertThat(r.getDenied().getApproverReason()).isEqualTo("too expensive");
        assertThat(f.budget("team").reservedMicros()).isZero();
    }

    @Test
    void unknownApprovalIsAnError() throws Exception {
        ResumeAfterApprovalResponse r = resume("apr_missing");

        assertThat(r.getError().getMessage()).startsWith("[APPROVAL_UNKNOWN]");
    }
}
