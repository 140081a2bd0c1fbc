package io.spendguard.proxy.sidecar.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.spendguard.proto.adapter.v1.DecisionRequest;
import io.spendguard.proto.adapter.v1.DecisionResponse;
import io.spendguard.proto.common.v1.Error;
import io.spendguard.proxy.config.RunsConfig;
import io.spendguard.proxy.sidecar.Wire;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agent runs over the socket, as an SDK asks: the run is {@code ids.run_id}, the history's repeated
 * tool calls are {@code runtime_metadata.repeated_tool_calls}, and a run's STOP carries the run and
 * its limits in {@code error.details}. Limits: 2 steps, a loop at 3 repeats.
 */
class SidecarServerRunsTest {
    @TempDir
    Path dir;
    SidecarFixture f;

    @BeforeEach
    void start() throws Exception {
        f = SidecarFixture.start(dir, new RunsConfig(2, 0, 3, true, Duration.ofHours(1)));
    }

    @AfterEach
    void stop() throws Exception {
        f.close();
    }

    private static DecisionRequest inRun(String key, String runId, int repeated) {
        DecisionRequest.Builder r = SidecarFixture.decision(key, "team", "1000").toBuilder();
        r.getIdsBuilder().setRunId(runId);
        if (repeated > 0) {
            r.getInputsBuilder().setRuntimeMetadata(Struct.newBuilder().putFields(Wire.META_REPEATED_TOOL_CALLS,
                    Value.newBuilder().setNumberValue(repeated).build()));
        }
        return r.build();
    }

    private DecisionResponse decide(DecisionRequest r) throws Exception {
        return f.client.requestDecision(r).await(10, TimeUnit.SECONDS);
    }

    @Test
    void theStepAfterARunsLastIsAStopWhoseDetailsNameTheRunAndItsLimits() throws Exception {
        assertThat(decide(inRun("k1", "agent-1", 0)).getDecision()).isEqualTo(DecisionResponse.Decision.CONTINUE);
        assertThat(decide(inRun("k2", "agent-1", 0)).getDecision()).isEqualTo(DecisionResponse.Decision.CONTINUE);

        DecisionResponse r = decide(inRun("k3", "agent-1", 0));

        assertThat(r.getDecision()).isEqualTo(DecisionResponse.Decision.STOP);
        assertThat(r.getReasonCodesList()).containsExactly("RUN_STEP_LIMIT");
        assertThat(r.getError().getCode()).as("the budget is not exhausted").isEqualTo(Error.Code.CODE_UNSPECIFIED);
        assertThat(r.getError().getMessage()).contains("run 'agent-1'").contains("RUN_STEP_LIMIT");
        assertThat(r.getError().getDetailsMap())
                .containsEntry(Wire.DETAIL_BUDGET_ID, "team")
                .containsEntry(Wire.DETAIL_RUN_ID, "agent-1")
                .containsEntry(Wire.DETAIL_RUN_STEPS, "2")
                .containsEntry(Wire.DETAIL_RUN_USD_MICROS, "2000")
                .containsEntry(Wire.DETAIL_RUN_MAX_STEPS, "2")
                .containsEntry(Wire.DETAIL_RUN_MAX_USD_MICROS, "0")
                .containsEntry(Wire.DETAIL_RUN_MAX_REPEATED_TOOL_CALLS, "3");
        assertThat(f.budget("team").reservedMicros()).as("nothing held for the refused step").isEqualTo(2000);
    }

    @Test
    void repeatedToolCallsInTheRuntimeMetadataReachTheLoopLimit() throws Exception {
        assertThat(decide(inRun("k1", "agent-2", 2)).getDecision()).as("below the limit").isEqualTo(DecisionResponse.Decision.CONTINUE);

        DecisionResponse r = decide(inRun("k2", "agent-2", 3));

        assertThat(r.getDecision()).isEqualTo(DecisionResponse.Decision.STOP);
        assertThat(r.getReasonCodesList()).containsExactly("RUN_LOOP_DETECTED");
        assertThat(r.getError().getDetailsMap()).containsEntry(Wire.DETAIL_RUN_ID, "agent-2").containsEntry(Wire.DETAIL_RUN_STEPS, "1");
    }

    @Test
    void aLoopInACallOfNoRunNamesNoRunId() throws Exception {
        DecisionRequest derived = inRun("k1", Wire.derived("run", "dec-k1"), 5);

        DecisionResponse r = decide(derived);

        assertThat(r.getReasonCodesList()).containsExactly("RUN_LOOP_DETECTED");
        assertThat(r.getError().getDetailsMap()).doesNotContainKey(Wire.DETAIL_RUN_ID)
                .containsEntry(Wire.DETAIL_RUN_STEPS, "0").containsEntry(Wire.DETAIL_RUN_USD_MICROS, "0");
        assertThat(f.engine.ledger().runs(null, null, 10).await(5, TimeUnit.SECONDS)).as("the derived id makes no run").isEmpty();
    }

    @Test
    void aNegativeOrNonNumericCountIsNoRepeat() throws Exception {
        DecisionRequest.Builder text = inRun("k1", "agent-3", 0).toBuilder();
        text.getInputsBuilder().setRuntimeMetadata(Struct.newBuilder().putFields(Wire.META_REPEATED_TOOL_CALLS,
                Value.newBuilder().setStringValue("9").build()));
        DecisionRequest.Builder negative = inRun("k2", "agent-4", 0).toBuilder();
        negative.getInputsBuilder().setRuntimeMetadata(Struct.newBuilder().putFields(Wire.META_REPEATED_TOOL_CALLS,
                Value.newBuilder().setNumberValue(-4).build()));

        assertThat(decide(text.build()).getDecision()).isEqualTo(DecisionResponse.Decision.CONTINUE);
        assertThat(decide(negative.build()).getDecision()).isEqualTo(DecisionResponse.Decision.CONTINUE);
    }
}
