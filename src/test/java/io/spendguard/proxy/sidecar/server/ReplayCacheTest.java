package io.spendguard.proxy.sidecar.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.StatusException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Idempotent replay: the first answer, kept encoded once answered; a failed first attempt is forgotten. */
class ReplayCacheTest {
    private final ReplayCache<String> cache = new ReplayCache<>(Duration.ofMinutes(1), 100,
            s -> s.getBytes(StandardCharsets.UTF_8), b -> new String(b, StandardCharsets.UTF_8));
    private final byte[] fingerprint = {1, 2, 3};
    private final AtomicInteger runs = new AtomicInteger();

    private Future<String> once(String key, byte[] print, Future<String> answer) {
        return cache.once(key, print, () -> {
            runs.incrementAndGet();
            return answer;
        });
    }

    @Test
    void aRepeatWhileInFlightWaitsForTheFirstAndARepeatAfterGetsTheKeptAnswer() {
        Promise<String> first = Promise.promise();
        Future<String> a = once("k", fingerprint, first.future());
        Future<String> waiting = once("k", fingerprint.clone(), Future.succeededFuture("not me"));
        assertThat(waiting.isComplete()).isFalse();

        String answer = new String("decision for k");
        first.complete(answer);
        assertThat(a.result()).isSameAs(answer);
        assertThat(waiting.result()).isSameAs(answer);

        String replayed = once("k", fingerprint.clone(), Future.succeededFuture("not me")).result();
        assertThat(replayed).as("rebuilt from the kept encoding").isEqualTo(answer).isNotSameAs(answer);
        assertThat(runs).hasValue(1);
    }

    @Test
    void anotherRequestUnderTheKeyIsAConflictAndAFailedFirstIsForgotten() {
        once("k", fingerprint, Future.succeededFuture("yes"));
        Future<String> other = once("k", new byte[] {9}, Future.succeededFuture("no"));
        StatusException conflict = (StatusException) other.cause();
        assertThat(conflict.status()).isEqualTo(GrpcStatus.FAILED_PRECONDITION);
        assertThat(conflict.message()).startsWith("IDEMPOTENCY_CONFLICT");

        assertThat(once("f", fingerprint, Future.failedFuture("down")).failed()).isTrue();
        assertThat(once("f", fingerprint, Future.succeededFuture("retried")).result()).isEqualTo("retried");
        assertThat(runs).hasValue(3);
    }
}
