package io.spendguard.proxy.pipeline.stages;

import io.spendguard.proxy.auth.Credentials;
import io.spendguard.proxy.config.Sha256;
import io.spendguard.proxy.estimate.CallSpec;
import io.spendguard.proxy.estimate.Estimator;
import io.spendguard.proxy.pipeline.Exchange;
import io.spendguard.proxy.pipeline.Stage;
import io.spendguard.proxy.provider.RequestJson;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Parses the body (strict JSON, then the route's shape → {@link CallSpec}), picks the budget, estimates
 * the claim and fingerprints the request (route + body, for idempotency and the sidecar), on a worker
 * when the body is large. A body that does not parse is a 400; nothing has been reserved.
 */
public final class Parse implements Stage {

    private final Vertx vertx;
    private final Estimator estimator;
    private final Credentials credentials;

    public Parse(Vertx vertx, Estimator estimator, Credentials credentials) {
        this.vertx = vertx;
        this.estimator = estimator;
        this.credentials = credentials;
    }

    @Override
    public Future<Void> apply(Exchange x) {
        return OffLoop.run(vertx, x.body(), () -> {
            byte[] body = x.body().getBytes(); // one copy, parsed and hashed
            JsonObject json = RequestJson.parse(body);
            CallSpec spec = x.shape().parse(json);
            String budgetId = credentials.budgetId(x.key(), x.headers().get("X-SpendGuard-Budget-Id"));
            x.parsed(json, spec, estimator.estimate(spec), budgetId, sha256(x.shape().route(), body));
        });
    }

    static String sha256(String route, byte[] body) {
        MessageDigest digest = Sha256.digest();
        digest.update(route.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
        digest.update(body);
        return Sha256.hex(digest.digest());
    }
}
