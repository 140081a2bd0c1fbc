package io.spendguard.proxy.sidecar.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.spendguard.proto.adapter.v1.DecisionRequest;
import io.spendguard.proto.adapter.v1.DecisionResponse;
import io.spendguard.proto.adapter.v1.LlmCallPostPayload.Outcome;
import io.spendguard.proto.adapter.v1.SidecarAdapterGrpcClient;
import io.spendguard.proto.adapter.v1.TraceEventAck;
import io.spendguard.proto.common.v1.BudgetClaim;
import io.spendguard.proto.common.v1.Error;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.sidecar.Wire;
import io.spendguard.proxy.sidecar.server.SidecarFixture.Reply;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Budget trees over the socket (SPEC §11): a request names the call's budget alone, or it and every
 * ancestor as one claim each; either way the call is held once on every level, and a refusal names the
 * level that could not cover it. The tree: {@code org} (1 000 000 µUSD) → {@code squad} (3 000) →
 * {@code bot} (10 000) and {@code tiny} (500); {@code team}, the fixture's, is a root outside it.
 */
class SidecarServerBudgetTreeTest {
    private static final List<String> PATH = List.of("bot", "squad", "org");

    @TempDir
    Path dir;
    SidecarFixture f;

    @BeforeEach
    void start() throws Exception {
        f = SidecarFixture.start(dir);
        put(new BudgetSpec("org", 1_000_000, "none", "UTC", null, false));
        put(new BudgetSpec("squad", 3_000, "none", "UTC", null, false).withParent("org"));
        put(new BudgetSpec("bot", 10_000, "none", "UTC", null, false).withParent("squad"));
        put(new BudgetSpec("tiny", 500, "none", "UTC", null, false).withParent("squad"));
    }

    @AfterEach
    void stop() throws Exception {
        f.close();
    }

    private void put(BudgetSpec spec) throws Exception {
        f.engine.putBudget(spec).await(5, TimeUnit.SECONDS);
    }

    /** A decision request whose claims name {@code budgets}, each claiming {@code amount}. */
    private static DecisionRequest claims(String key, String amount, List<String> budgets) {
        DecisionRequest.Builder b = SidecarFixture.decision(key, budgets.get(0), amount).toBuilder();
        for (String budget : budgets.subList(1, budgets.size())) {
            b.getInputsBuilder().addProjectedClaims(b.getInputs().getProjectedClaims(0).toBuilder().setBudgetId(budget));
        }
        return b.build();
    }

    private Reply<DecisionResponse> call(DecisionRequest request) throws Exception {
        return f.call(SidecarAdapterGrpcClient.RequestDecision, request);
    }

    private DecisionResponse decide(DecisionRequest request) throws Exception {
        return f.client.requestDecision(request).await(10, TimeUnit.SECONDS);
    }

    private Map<String, Long> reserved(String... ids) throws Exception {
        Map<String, Long> out = new TreeMap<>();
        for (String id : ids) {
            out.put(id, f.budget(id).reservedMicros());
        }
        return out;
    }

    private Map<String, Long> committed(String... ids) throws Exception {
        Map<String, Long> out = new TreeMap<>();
        for (String id : ids) {
            out.put(id, f.budget(id).committedMicros());
        }
        return out;
    }

    @Test
    void acceptsThePathAsOneClaimPerLevelLeafFirstAncestorsInAnyOrder() throws Exception {
        DecisionResponse up = decide(claims("k-up", "100", PATH));
        DecisionResponse mixed = decide(claims("k-mixed", "100", List.of("bot", "org", "squad")));

        assertThat(up.getDecision()).isEqualTo(DecisionResponse.Decision.CONTINUE);
        assertThat(up.getReservationIdsList()).as("one reservation holds every level").hasSize(1);
        assertThat(mixed.getDecision()).isEqualTo(DecisionResponse.Decision.CONTINUE);
        assertThat(f.budget("bot").reservedMicros()).isEqualTo(200);
    }

    @Test
    void holdsThePathSentAsThreeClaimsOnceOnEveryLevelAndSettlesEveryLevelOnce() throws Exception {
        DecisionRequest request = claims("k-path", "1000", PATH);

        DecisionResponse r = decide(request);
        DecisionResponse replay = decide(request.toBuilder().setSessionId("ses-after-reconnect").build());

        assertThat(r.getDecision()).isEqualTo(DecisionResponse.Decision.CONTINUE);
        assertThat(replay).isEqualTo(r);
        assertThat(reserved("bot", "squad", "org")).as("1 000 µUSD on each level, not once per claim")
                .isEqualTo(Map.of("bot", 1_000L, "squad", 1_000L, "org", 1_000L));
        assertThat(f.budget("team").reservedMicros()).isZero();

        TraceEventAck ack = f.new TraceStream().send(SidecarFixture.post(r.getReservationIds(0), Outcome.SUCCESS, "800"));

        assertThat(ack.getStatus()).isEqualTo(TraceEventAck.Status.ACCEPTED);
        assertThat(reserved("bot", "squad", "org")).isEqualTo(Map.of("bot", 0L, "squad", 0L, "org", 0L));
        assertThat(committed("bot", "squad", "org")).isEqualTo(Map.of("bot", 800L, "squad", 800L, "org", 800L));
    }

    @Test
    void holdsOneClaimOnTheLeafOnEveryLevelToo() throws Exception {
        DecisionResponse r = f.decide("k-leaf", "bot", "1000");

        assertThat(r.getDecision()).isEqualTo(DecisionResponse.Decision.CONTINUE);
        assertThat(reserved("bot", "squad", "org")).isEqualTo(Map.of("bot", 1_000L, "squad", 1_000L, "org", 1_000L));
    }

    @Test
    void refusesAClaimSetThatIsNotThePathNamingTheField() throws Exception {
        Map<List<String>, String> wrong = Map.of(
                List.of("bot", "org"), "inputs.projected_claims: 2 levels, but 'bot' has 3 from itself to its root",
                List.of("bot", "squad", "team"), "inputs.projected_claims[2].budget_id: 'team' is not an ancestor of 'bot'",
                List.of("squad", "bot", "org"), "inputs.projected_claims[1].budget_id: 'bot' is not an ancestor of 'squad'",
                List.of("bot", "tiny", "squad", "org"), "inputs.projected_claims[1].budget_id: 'tiny' is not an ancestor of 'bot'",
                List.of("bot", "squad", "squad", "org"), "inputs.projected_claims[2].budget_id: 'squad' is claimed twice",
                List.of("bot", "", "org"), "inputs.projected_claims[1].budget_id: empty");

        for (Map.Entry<List<String>, String> claims : wrong.entrySet()) {
            Reply<DecisionResponse> r = call(claims("k-" + String.join("-", claims.getKey()), "100", claims.getKey()));

            assertThat(r.status()).as(claims.getKey().toString()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
            assertThat(r.message()).as(claims.getKey().toString()).startsWith(claims.getValue());
        }
        assertThat(reserved("bot", "squad", "org", "tiny", "team")).as("nothing held anywhere")
                .isEqualTo(Map.of("bot", 0L, "squad", 0L, "org", 0L, "tiny", 0L, "team", 0L));
    }

    @Test
    void refusesClaimsOfDifferentAmountsUnitsOrDirections() throws Exception {
        DecisionRequest.Builder amounts = claims("k-amounts", "100", PATH).toBuilder();
        amounts.getInputsBuilder().getProjectedClaimsBuilder(2).setAmountAtomic("101");
        DecisionRequest.Builder units = claims("k-units", "100", PATH).toBuilder();
        units.getInputsBuilder().getProjectedClaimsBuilder(1).setUnit(SidecarFixture.USD.toBuilder().setUnitId("tokens"));
        DecisionRequest.Builder credit = claims("k-credit", "100", PATH).toBuilder();
        credit.getInputsBuilder().getProjectedClaimsBuilder(1).setDirection(BudgetClaim.Direction.CREDIT);
        DecisionRequest.Builder malformed = claims("k-malformed", "100", PATH).toBuilder();
        malformed.getInputsBuilder().getProjectedClaimsBuilder(2).setAmountAtomic("1e2");

        Reply<DecisionResponse> a = call(amounts.build());
        Reply<DecisionResponse> u = call(units.build());
        Reply<DecisionResponse> c = call(credit.build());
        Reply<DecisionResponse> m = call(malformed.build());

        assertThat(a.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        assertThat(a.message()).startsWith("inputs.projected_claims[2].amount_atomic: '101' (expected: 100");
        assertThat(u.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        assertThat(u.message()).startsWith("inputs.projected_claims[1].unit.unit_id: 'tokens' (expected: 'usd_micros'");
        assertThat(c.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        assertThat(c.message()).isEqualTo("inputs.projected_claims[1].direction: CREDIT (expected: DEBIT)");
        assertThat(m.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        assertThat(m.message()).startsWith("inputs.projected_claims[2].amount_atomic: '1e2'");
        assertThat(reserved("bot", "squad", "org")).isEqualTo(Map.of("bot", 0L, "squad", 0L, "org", 0L));
    }

    @Test
    void refusesMoreClaimsThanATreeHasLevels() throws Exception {
        List<String> nine = new ArrayList<>();
        for (int i = 0; i <= BudgetSpec.MAX_DEPTH; i++) {
            nine.add("level-" + i);
        }

        Reply<DecisionResponse> r = call(claims("k-nine", "1", nine));

        assertThat(r.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        assertThat(r.message()).isEqualTo("inputs.projected_claims: 9 claims (expected: 1 to 8: the call's budget, then each of its ancestors)");
    }

    @Test
    void answersNotFoundForAnUnknownLeafAndForbiddenForAnotherTenantsLeaf() throws Exception {
        put(new BudgetSpec("theirs", 10_000, "none", "UTC", null, false, null, "globex", "org"));
        DecisionRequest.Builder forbidden = claims("k-theirs", "100", List.of("theirs", "org")).toBuilder();
        forbidden.getInputsBuilder().setRuntimeMetadata(Struct.newBuilder()
                .putFields(Wire.META_KEY_ID, Value.newBuilder().setStringValue("vk_acme").build())
                .putFields(Wire.META_TENANT, Value.newBuilder().setStringValue("acme").build()));

        Reply<DecisionResponse> unknown = call(claims("k-ghost", "100", List.of("ghost", "org")));
        Reply<DecisionResponse> other = call(forbidden.build());

        assertThat(unknown.status()).isEqualTo(GrpcStatus.NOT_FOUND);
        assertThat(unknown.message()).isEqualTo("unknown budget ghost");
        assertThat(other.status()).isEqualTo(GrpcStatus.PERMISSION_DENIED);
        assertThat(other.message()).startsWith(Wire.BUDGET_FORBIDDEN);
    }

    @Test
    void aLeafThatCannotCoverTheCallIsNamedInTheStop() throws Exception {
        DecisionResponse r = decide(claims("k-tiny", "600", List.of("tiny", "squad", "org")));

        assertThat(r.getDecision()).isEqualTo(DecisionResponse.Decision.STOP);
        assertThat(r.getError().getCode()).isEqualTo(Error.Code.BUDGET_EXHAUSTED);
        assertThat(r.getError().getDetailsMap()).containsEntry(Wire.DETAIL_BUDGET_ID, "tiny")
                .containsEntry(Wire.DETAIL_REMAINING_USD_MICROS, "500");
    }

    @Test
    void anAncestorThatCannotCoverTheCallIsNamedInTheStopAndNothingIsHeld() throws Exception {
        assertThat(decide(claims("k-first", "2000", PATH)).getDecision()).isEqualTo(DecisionResponse.Decision.CONTINUE);

        DecisionResponse three = decide(claims("k-second", "2000", PATH));
        DecisionResponse one = f.decide("k-third", "bot", "2000");

        for (DecisionResponse r : List.of(three, one)) {
            assertThat(r.getDecision()).isEqualTo(DecisionResponse.Decision.STOP);
            assertThat(r.getError().getCode()).isEqualTo(Error.Code.BUDGET_EXHAUSTED);
            assertThat(r.getError().getMessage()).contains("'squad'");
            assertThat(r.getError().getDetailsMap()).containsEntry(Wire.DETAIL_BUDGET_ID, "squad")
                    .containsEntry(Wire.DETAIL_CLAIM_USD_MICROS, "2000")
                    .containsEntry(Wire.DETAIL_REMAINING_USD_MICROS, "1000");
        }
        assertThat(reserved("bot", "squad", "org")).as("only the first call is held")
                .isEqualTo(Map.of("bot", 2_000L, "squad", 2_000L, "org", 2_000L));
    }

    @Test
    void admitsExactlyWhatTheParentFitsUnderConcurrentCallsOnSiblingLeaves() throws Exception {
        put(new BudgetSpec("pool", 30 * 100 + 50, "none", "UTC", null, false).withParent("org"));
        for (int k = 0; k < 4; k++) {
            put(new BudgetSpec("leaf" + k, 20 * 100 + 50, "none", "UTC", null, false).withParent("pool"));
        }
        List<Future<DecisionResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String leaf = "leaf" + (i % 4);
            calls.add(f.client.requestDecision(i % 2 == 0 ? claims("burst-" + i, "100", List.of(leaf, "pool", "org"))
                    : SidecarFixture.decision("burst-" + i, leaf, "100")));
        }
        Future.all(calls).await(30, TimeUnit.SECONDS);

        long admitted = calls.stream().filter(c -> c.result().getDecision() == DecisionResponse.Decision.CONTINUE).count();
        assertThat(admitted).isEqualTo(30);
        assertThat(f.budget("pool").reservedMicros()).isEqualTo(3_000);
        assertThat(f.budget("org").reservedMicros()).isEqualTo(3_000);
        long leaves = 0;
        for (int k = 0; k < 4; k++) {
            long held = f.budget("leaf" + k).reservedMicros();
            assertThat(held).as("leaf" + k).isLessThanOrEqualTo(2_000);
            leaves += held;
        }
        assertThat(leaves).isEqualTo(3_000);
        for (Future<DecisionResponse> c : calls) {
            if (c.result().getDecision() == DecisionResponse.Decision.STOP) {
                String refusedBy = c.result().getError().getDetailsOrThrow(Wire.DETAIL_BUDGET_ID);
                assertThat(refusedBy.equals("pool") || f.budget(refusedBy).reservedMicros() == 2_000)
                        .as("refused by " + refusedBy).isTrue();
            }
        }
    }
}
