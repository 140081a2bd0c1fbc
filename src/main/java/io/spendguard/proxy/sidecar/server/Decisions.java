package io.spendguard.proxy.sidecar.server;

import com.google.protobuf.InvalidProtocolBufferException;
import io.spendguard.proto.adapter.v1.DecisionRequest;
import io.spendguard.proto.adapter.v1.DecisionResponse;
import io.spendguard.proto.adapter.v1.HandshakeRequest;
import io.spendguard.proto.adapter.v1.HandshakeResponse;
import io.spendguard.proto.common.v1.Error;
import io.spendguard.proxy.engine.Approval;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import com.google.protobuf.Value;
import io.spendguard.proxy.sidecar.Wire;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * {@code Handshake} and {@code RequestDecision}: checks the protocol version and tenant, validates
 * the claims ({@link Claims}: the call's budget alone, or it and every ancestor as one DEBIT claim
 * each), replays a repeated idempotency key, and asks the engine about the call on its budget, which
 * holds the claim on that budget and every ancestor of it in one step (the answer names one
 * reservation, which settles every level; a STOP's {@code budget_id} detail is the level that could
 * not cover it). Contract rules see
 * the stream flag, output limit and tenant the client put in {@code inputs.runtime_metadata}
 * ({@code stream}, {@code max_output_tokens}, {@code tenant}); without a tenant there, this sidecar's
 * own ({@code gate.sidecar.tenant_id}). The run is {@code ids.run_id} (none when it is the id the
 * client derives for a call of no run), and the run's loop limit reads {@code repeated_tool_calls}
 * there. An approval asked here belongs to the {@code caller} named
 * there (its id carries the caller's tag, which the proxy checks on resume). Refusals:
 * <ul>
 *   <li>INVALID_ARGUMENT — no claim or more than a tree has levels, a claim not DEBIT, an {@code amount_atomic}
 *       not an unsigned decimal, or several claims that differ in unit or amount, name a level twice, or
 *       are not the path from {@code projected_claims[0]}'s budget to its root;</li>
 *   <li>a response with {@code error.code = UNIT_NORMALIZATION_REQUIRED} and DECISION_UNSPECIFIED — a claim
 *       in another unit than the configured one (the caller must convert, then ask again);</li>
 *   <li>NOT_FOUND {@code "unknown budget <id>"} — the (first) claim names a budget that does not exist (a status,
 *       not a decision: nothing was decided, and the caller's configuration is at fault);</li>
 *   <li>PERMISSION_DENIED {@code "BUDGET_FORBIDDEN …"} — the virtual key named in {@code runtime_metadata}
 *       ({@code key_id}, {@code tenant}) may not charge that budget: it belongs to another tenant;</li>
 *   <li>FAILED_PRECONDITION {@code IDEMPOTENCY_CONFLICT…} — a known key with a different request;</li>
 *   <li>UNAVAILABLE {@code "draining"} — a new decision while the sidecar drains (replays still answer).</li>
 * </ul>
 */
final class Decisions {
    /** What the handshake reports: the client reads its {@link Wire#OWN_SIDECAR_PREFIX} as "accepts commits above the hold". */
    static final String SIDECAR_VERSION = Wire.OWN_SIDECAR_PREFIX + version();

    private final Engine engine;
    private final SidecarServer.Options options;
    private final Holds holds;
    private final DrainSignals drains;
    private final ReplayCache<DecisionResponse> replays = new ReplayCache<>(Duration.ofMinutes(10), 100_000,
            DecisionResponse::toByteArray, Decisions::parseDecision);

    Decisions(Engine engine, SidecarServer.Options options, Holds holds, DrainSignals drains) {
        this.engine = engine;
        this.options = options;
        this.holds = holds;
        this.drains = drains;
    }

    Future<HandshakeResponse> handshake(HandshakeRequest request) {
        if (request.getProtocolVersion() != Wire.PROTOCOL_VERSION) {
            throw Messages.status(GrpcStatus.FAILED_PRECONDITION, "protocol_version: " + request.getProtocolVersion()
                    + " (expected: " + Wire.PROTOCOL_VERSION + ")");
        }
        if (!options.tenantId().isEmpty() && !options.tenantId().equals(request.getTenantIdAssertion())) {
            throw Messages.status(GrpcStatus.PERMISSION_DENIED, "tenant_id_assertion: '" + request.getTenantIdAssertion()
                    + "' is not this sidecar's tenant");
        }
        return Future.succeededFuture(HandshakeResponse.newBuilder()
                .setSidecarVersion(SIDECAR_VERSION)
                .setProtocolVersion(Wire.PROTOCOL_VERSION)
                .setSessionId("ses_" + UUID.randomUUID())
                .setCapabilityRequired(HandshakeRequest.CapabilityLevel.L1_LLM_CALL)
                .build());
    }

    Future<DecisionResponse> decide(DecisionRequest request) {
        Claims claims = Claims.of(request.getInputs());
        if (!options.unitId().equals(claims.unitId())) {
            return Future.succeededFuture(DecisionResponse.newBuilder()
                    .setDecisionId(request.getIds().getDecisionId())
                    .setDecision(DecisionResponse.Decision.DECISION_UNSPECIFIED)
                    .setError(Messages.error(Error.Code.UNIT_NORMALIZATION_REQUIRED, "inputs.projected_claims[0].unit.unit_id: '"
                            + claims.unitId() + "' (expected: '" + options.unitId() + "')"))
                    .build());
        }
        // a retry after a reconnect carries a new session: the session is not part of the request
        byte[] fingerprint = Messages.fingerprint(request.getSessionId().isEmpty() ? request : request.toBuilder().clearSessionId().build());
        String key = request.getIdempotency().getKey();
        if (key.isEmpty()) {
            return decideNew(request, claims, fingerprint);
        }
        return replays.once(key, fingerprint, () -> decideNew(request, claims, fingerprint));
    }

    /** The agent run the call names: none when the client sent none, or the one it derives from the decision id. */
    private static String runId(DecisionRequest request, String decisionId) {
        String run = request.getIds().getRunId();
        return run.isEmpty() || run.equals(Wire.derived("run", decisionId)) ? null : run;
    }

    private Future<DecisionResponse> decideNew(DecisionRequest request, Claims claims, byte[] fingerprint) {
        if (drains.draining()) {
            return Future.failedFuture(Messages.status(GrpcStatus.UNAVAILABLE, "draining"));
        }
        var call = call(request, claims, fingerprint);
        String budgetId = claims.leaf() == null ? "" : claims.leaf();
        // the engine holds the claim on the leaf and every ancestor: the claims are checked, then the leaf decided once
        return claims.checkPath(engine.ledger(), call.keyId(), call.tenant())
                .compose(v -> engine.decide(call))
                .compose(d -> d.isProposal() ? reserveDegraded(call, d) : Future.succeededFuture(d))
                .recover(e -> unknownBudget(e, budgetId))
                .map(this::respond);
    }

    /** The engine's question for the call on the claims' budget (the leaf). */
    private io.spendguard.proxy.engine.DecisionRequest call(DecisionRequest request, Claims claims, byte[] fingerprint) {
        String decisionId = request.getIds().getDecisionId().isEmpty() ? "dec_" + UUID.randomUUID() : request.getIds().getDecisionId();
        String key = request.getIdempotency().getKey();
        String model = request.getInputs().getClaimEstimate().getModel();
        Map<String, Value> meta = request.getInputs().getRuntimeMetadata().getFieldsMap();
        Value max = meta.get(Wire.META_MAX_OUTPUT_TOKENS);
        Value tenant = meta.get(Wire.META_TENANT);
        Value keyId = meta.get(Wire.META_KEY_ID);
        Value caller = meta.get(Wire.META_CALLER);
        Value repeated = meta.get(Wire.META_REPEATED_TOOL_CALLS);
        return new io.spendguard.proxy.engine.DecisionRequest(decisionId,
                claims.leaf(), claims.amountMicros(), model.isEmpty() ? null : model,
                HexFormat.of().formatHex(fingerprint), runId(request, decisionId), null, key.isEmpty() ? null : key,
                request.getInputs().getClaimEstimate().getInputTokens(),
                request.getInputs().getClaimEstimate().getPredictedATokens(), "", false,
                meta.containsKey(Wire.META_STREAM) && meta.get(Wire.META_STREAM).getBoolValue(),
                max != null && max.hasNumberValue() && max.getNumberValue() >= 1 ? (int) Math.min(Integer.MAX_VALUE, max.getNumberValue()) : null,
                tenant != null && !tenant.getStringValue().isEmpty() ? tenant.getStringValue()
                        : options.tenantId().isEmpty() ? null : options.tenantId(), null, null,
                keyId != null && !keyId.getStringValue().isEmpty() ? keyId.getStringValue() : null,
                caller != null && !caller.getStringValue().isEmpty() ? caller.getStringValue() : null,
                repeated != null && repeated.hasNumberValue() && repeated.getNumberValue() >= 1
                        ? (int) Math.min(Integer.MAX_VALUE, repeated.getNumberValue()) : 0);
    }

    /**
     * A DEGRADE proposal, in protocol terms: the caller cannot re-estimate here (the request body stays
     * with the proxy), so the original claim is held and the answer is DEGRADE with the mutation as
     * {@code mutation_patch_json}.
     */
    private Future<Decision> reserveDegraded(io.spendguard.proxy.engine.DecisionRequest call, Decision proposal) {
        return engine.decide(call.mutated(proposal.mutation(), call.claimMicros(), call.inputTokens(), call.outputTokens()))
                .map(d -> d.outcome().admits() ? d.degradedBy(proposal) : d);
    }

    /** Records a decision (the hold, metrics) and answers it in the protocol's terms. */
    DecisionResponse respond(Decision d) {
        options.metrics().decision(d.outcome().name());
        if (d.outcome().admits()) {
            holds.held(d.decisionId(), d.reservationId());
            options.metrics().reserved(d.reservedMicros());
        }
        return Messages.response(d, options.clock().instant().plus(engine.reservationTtl()),
                d.approvalId() == null ? null : engine.approvals().get(d.approvalId()).map(Approval::expiresAt).orElse(null));
    }

    /**
     * The engine's unknown-budget refusal as gRPC NOT_FOUND {@code "unknown budget <id>"}, another
     * tenant's budget as PERMISSION_DENIED {@code "BUDGET_FORBIDDEN …"}; anything else passes through.
     */
    static <T> Future<T> unknownBudget(Throwable e, String budgetId) {
        if (e instanceof ProxyException pe && pe.error() == ProxyError.UNKNOWN_BUDGET) {
            return Future.failedFuture(Messages.status(GrpcStatus.NOT_FOUND, "unknown budget " + budgetId));
        }
        if (e instanceof ProxyException pe && pe.error() == ProxyError.BUDGET_FORBIDDEN) {
            return Future.failedFuture(Messages.status(GrpcStatus.PERMISSION_DENIED, Wire.BUDGET_FORBIDDEN + " " + pe.getMessage()));
        }
        return Future.failedFuture(e);
    }

    /** The project version the jar was built from (Maven's pom.properties), else {@code dev}. */
    private static String version() {
        try (InputStream in = Decisions.class.getResourceAsStream("/META-INF/maven/io.spendguard/spendguard-proxy/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "dev");
            }
        } catch (IOException e) {
            // fall through: the version is informational
        }
        return "dev";
    }

    /** A response this sidecar encoded itself, for a replay. */
    private static DecisionResponse parseDecision(byte[] bytes) {
        try {
            return DecisionResponse.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a kept decision does not parse", e);
        }
    }
}
