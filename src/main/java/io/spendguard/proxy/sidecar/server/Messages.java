package io.spendguard.proxy.sidecar.server;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import io.spendguard.proto.adapter.v1.DecisionResponse;
import io.spendguard.proto.common.v1.Error;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.engine.RunSnapshot;
import io.spendguard.proxy.sidecar.Wire;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.StatusException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;

/**
 * Translation between the engine's types and the sidecar protocol's messages: decisions to
 * {@code DecisionResponse}, amounts from {@code amount_atomic} strings, timestamps, request
 * fingerprints, and the gRPC statuses the sidecar refuses with.
 */
final class Messages {
    /** The longest unsigned decimal that fits a {@code long}: 19 digits. */
    private static final int MAX_DIGITS = 19;

    private Messages() { }

    /** A failed call with {@code status}; the message reaches the client as {@code grpc-message}. */
    static StatusException status(GrpcStatus status, String message) {
        return new StatusException(status, message);
    }

    /**
     * Parses an unsigned decimal integer without sign, exponent or fraction ({@code amount_atomic});
     * anything else, or a value above {@link Long#MAX_VALUE}, is an {@link IllegalArgumentException}
     * naming {@code field}.
     */
    static long amount(String field, String value) {
        boolean digits = !value.isEmpty() && value.length() <= MAX_DIGITS && value.chars().allMatch(c -> c >= '0' && c <= '9');
        if (digits) {
            try {
                return Long.parseLong(value);
            } catch (NumberFormatException e) {
                // 19 digits above Long.MAX_VALUE: refused below
            }
        }
        throw new IllegalArgumentException(field + ": '" + value + "' (expected: an unsigned decimal integer up to " + Long.MAX_VALUE + ")");
    }

    static Timestamp timestamp(Instant at) {
        return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
    }

    /**
     * SHA-256 of the message's deterministic encoding (map entries sorted), so equal requests hash
     * equally whatever order their maps arrived in.
     */
    static byte[] fingerprint(Message message) {
        try {
            byte[] bytes = new byte[message.getSerializedSize()];
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            out.useDeterministicSerialization();
            message.writeTo(out);
            out.checkNoSpaceLeft();
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    static Error error(Error.Code code, String message) {
        return Error.newBuilder().setCode(code).setMessage(message).build();
    }

    /**
     * The protocol's view of an engine decision. An admitted call carries its reservation and when
     * the hold expires; REQUIRE_APPROVAL the approval, who may approve it and when it lapses ({@code approvalExpiresAt});
     * every decision the rules that matched ({@code matched_rule_ids});
     * STOP an {@code error} ({@code BUDGET_EXHAUSTED} when the budget is spent) whose details hold
     * what the proxy's 402 body shows: {@code budget_id} (the decision's budget: in a tree, the level that
     * refused), {@code claim_usd_micros}, {@code remaining_usd_micros} (that level's), for a windowed budget {@code retry_after_seconds}, and for a call
     * under a run (or a loop limit) the run: {@code run_id}, {@code run_steps}, {@code run_usd_micros}
     * and its limits {@code run_max_steps}, {@code run_max_usd_micros}, {@code run_max_repeated_tool_calls}.
     */
    static DecisionResponse response(Decision d, Instant holdExpiresAt, Instant approvalExpiresAt) {
        DecisionResponse.Builder b = DecisionResponse.newBuilder()
                .setDecisionId(d.decisionId())
                .setDecision(DecisionResponse.Decision.valueOf(d.outcome().name()))
                .addAllReasonCodes(d.reasonCodes())
                .addAllMatchedRuleIds(d.matchedRuleIds());
        if (d.outcome().admits()) {
            b.addReservationIds(d.reservationId()).setTtlExpiresAt(timestamp(holdExpiresAt));
            if (d.mutation() != null) {
                b.setMutationPatchJson(d.mutation().toPatch());
            }
        } else if (d.outcome() == Decision.Outcome.REQUIRE_APPROVAL) {
            b.setApprovalRequestId(d.approvalId());
            if (d.approverRole() != null) {
                b.setApproverRole(d.approverRole());
            }
            if (approvalExpiresAt != null) {
                b.setApprovalTtl(timestamp(approvalExpiresAt));
            }
        } else if (d.outcome() == Decision.Outcome.STOP) {
            b.setError(stopError(d));
        }
        return b.build();
    }

    private static Error stopError(Decision d) {
        boolean exhausted = d.reasonCodes().contains(Engine.BUDGET_EXHAUSTED);
        String runRefusal = d.reasonCodes().stream().filter(Engine.RUN_REFUSALS::contains).findFirst().orElse(null);
        String message;
        if (d.budgetId() == null) {
            message = "no budget named and no default budget";
        } else if (runRefusal != null) {
            RunSnapshot run = d.run();
            message = (run == null || run.id() == null ? "the call's run" : "run '" + run.id() + "'") + " refused this call: "
                    + runRefusal;
        } else {
            message = "budget '" + d.budgetId() + "' cannot cover this call: claim " + d.claimMicros()
                    + " usd_micros, remaining " + d.remainingMicros() + " usd_micros";
        }
        Error.Builder e = Error.newBuilder()
                .setCode(exhausted ? Error.Code.BUDGET_EXHAUSTED : Error.Code.CODE_UNSPECIFIED)
                .setMessage(message)
                .putDetails(Wire.DETAIL_CLAIM_USD_MICROS, Long.toString(d.claimMicros()))
                .putDetails(Wire.DETAIL_REMAINING_USD_MICROS, Long.toString(d.remainingMicros()));
        if (d.budgetId() != null) {
            e.putDetails(Wire.DETAIL_BUDGET_ID, d.budgetId());
        }
        if (d.retryAfterSeconds() != null) {
            e.putDetails(Wire.DETAIL_RETRY_AFTER_SECONDS, Long.toString(d.retryAfterSeconds()));
        }
        if (d.run() != null) {
            RunSnapshot run = d.run();
            if (run.id() != null) {
                e.putDetails(Wire.DETAIL_RUN_ID, run.id());
            }
            e.putDetails(Wire.DETAIL_RUN_STEPS, Long.toString(run.steps()))
                    .putDetails(Wire.DETAIL_RUN_USD_MICROS, Long.toString(run.usdMicros()))
                    .putDetails(Wire.DETAIL_RUN_MAX_STEPS, Long.toString(run.maxSteps()))
                    .putDetails(Wire.DETAIL_RUN_MAX_USD_MICROS, Long.toString(run.maxUsdMicros()))
                    .putDetails(Wire.DETAIL_RUN_MAX_REPEATED_TOOL_CALLS, Integer.toString(run.maxRepeatedToolCalls()));
        }
        return e.build();
    }
}
