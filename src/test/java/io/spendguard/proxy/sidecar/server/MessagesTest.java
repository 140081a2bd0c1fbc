package io.spendguard.proxy.sidecar.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.spendguard.proto.adapter.v1.DecisionRequest;
import io.spendguard.proto.adapter.v1.DecisionResponse;
import io.spendguard.proto.common.v1.Error;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.Decision.Outcome;
import io.spendguard.proxy.engine.RunSnapshot;
import io.spendguard.proxy.sidecar.Wire;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How an engine decision reads on the wire (a STOP's details, with and without a run), and a request's fingerprint. */
class MessagesTest {
    private static final Instant HOLD = Instant.parse("2030-01-01T00:00:00Z");

    private static Decision stop(List<String> reasons, RunSnapshot run) {
        return new Decision(Outcome.STOP, "dec-1", "team", null, 700, 0, 5_000, reasons, null, null, null).withRun(run);
    }

    @Test
    void aRunRefusalCarriesTheRunAndItsLimitsInTheDetails() {
        DecisionResponse r = Messages.response(stop(List.of("RUN_BUDGET_EXCEEDED"),
                new RunSnapshot("agent-1", 4, 1_900, 10, 2_000, 0)), HOLD, null);

        assertThat(r.getError().getCode()).isEqualTo(Error.Code.CODE_UNSPECIFIED);
        assertThat(r.getError().getMessage()).isEqualTo("run 'agent-1' refused this call: RUN_BUDGET_EXCEEDED");
        assertThat(r.getError().getDetailsMap()).containsOnly(
                java.util.Map.entry(Wire.DETAIL_BUDGET_ID, "team"),
                java.util.Map.entry(Wire.DETAIL_CLAIM_USD_MICROS, "700"),
                java.util.Map.entry(Wire.DETAIL_REMAINING_USD_MICROS, "5000"),
                java.util.Map.entry(Wire.DETAIL_RUN_ID, "agent-1"),
                java.util.Map.entry(Wire.DETAIL_RUN_STEPS, "4"),
                java.util.Map.entry(Wire.DETAIL_RUN_USD_MICROS, "1900"),
                java.util.Map.entry(Wire.DETAIL_RUN_MAX_STEPS, "10"),
                java.util.Map.entry(Wire.DETAIL_RUN_MAX_USD_MICROS, "2000"),
                java.util.Map.entry(Wire.DETAIL_RUN_MAX_REPEATED_TOOL_CALLS, "0"));
    }

    @Test
    void aLoopOfNoRunLeavesTheRunIdOut() {
        DecisionResponse r = Messages.response(stop(List.of("RUN_LOOP_DETECTED"), new RunSnapshot(null, 0, 0, 0, 0, 3)), HOLD, null);

        assertThat(r.getError().getMessage()).startsWith("the call's run refused this call");
        assertThat(r.getError().getDetailsMap()).doesNotContainKey(Wire.DETAIL_RUN_ID)
                .containsEntry(Wire.DETAIL_RUN_STEPS, "0").containsEntry(Wire.DETAIL_RUN_MAX_REPEATED_TOOL_CALLS, "3");
    }

    @Test
    void aFingerprintIsTheSha256OfTheEncodingWhateverOrderAMapsEntriesArrivedIn() throws Exception {
        DecisionRequest base = SidecarFixture.decision("k-1", "team", "1000");
        DecisionRequest ab = base.toBuilder().setInputs(base.getInputs().toBuilder().setRuntimeMetadata(Struct.newBuilder()
                .putFields("a", Value.newBuilder().setStringValue("1").build())
                .putFields("b", Value.newBuilder().setStringValue("2").build()))).build();
        DecisionRequest ba = base.toBuilder().setInputs(base.getInputs().toBuilder().setRuntimeMetadata(Struct.newBuilder()
                .putFields("b", Value.newBuilder().setStringValue("2").build())
                .putFields("a", Value.newBuilder().setStringValue("1").build()))).build();

        assertThat(Messages.fingerprint(ab)).isEqualTo(Messages.fingerprint(ba)).hasSize(32);
        assertThat(Messages.fingerprint(base)).isEqualTo(MessageDigest.getInstance("SHA-256").digest(base.toByteArray()))
                .isNotEqualTo(Messages.fingerprint(ab));
    }

    @Test
    void aStopOfNoRunHasNoRunKeys() {
        DecisionResponse r = Messages.response(stop(List.of("BUDGET_EXHAUSTED"), null), HOLD, null);

        assertThat(r.getError().getCode()).isEqualTo(Error.Code.BUDGET_EXHAUSTED);
        assertThat(r.getError().getMessage()).startsWith("budget 'team' cannot cover this call");
        assertThat(r.getError().getDetailsMap().keySet()).noneMatch(k -> k.startsWith("run_"));
    }
}
