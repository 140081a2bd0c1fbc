package io.spendguard.proxy.sidecar.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proto.common.v1.TraceContext;
import io.spendguard.proxy.engine.DecisionRequest;
import org.junit.jupiter.api.Test;

/** The client's W3C {@code traceparent} becomes {@code DecisionRequest.trace} on the sidecar wire. */
class TraceContextTest {
    static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private static DecisionRequest call(String traceparent, String tracestate) {
        return new DecisionRequest("d-1", "team", 2_500, "gpt-4o", "hash", null, null, "chat:key-1", 1_200, 4_096, "prices-1", false,
                false, null, null, traceparent, tracestate, null);
    }

    @Test
    void carriesTheClientsTraceIntoTheDecision() {
        TraceContext trace = ProtoMapper.decisionRequest(call(TRACEPARENT, "vendor=abc"), ProtoMapper.unit("usd_micros")).getTrace();
        assertThat(trace.getTraceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(trace.getParentSpanId()).isEqualTo("00f067aa0ba902b7");
        assertThat(trace.getSpanId()).matches("[0-9a-f]{16}").isNotEqualTo(trace.getParentSpanId());
        assertThat(trace.getTraceState()).isEqualTo("vendor=abc");
    }

    @Test
    void aRetriedCallAsksTheSameQuestion() {
        byte[] once = ProtoMapper.decisionRequest(call(TRACEPARENT, null), ProtoMapper.unit("usd_micros")).toByteArray();
        byte[] again = ProtoMapper.decisionRequest(call(TRACEPARENT, null), ProtoMapper.unit("usd_micros")).toByteArray();
        assertThat(again).isEqualTo(once);
    }

    @Test
    void ignoresAMissingOrMalformedHeader() {
        for (String bad : new String[] {null, "", "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"}) {
            assertThat(ProtoMapper.decisionRequest(call(bad, null), ProtoMapper.unit("usd_micros")).hasTrace()).as(bad).isFalse();
        }
    }
}
