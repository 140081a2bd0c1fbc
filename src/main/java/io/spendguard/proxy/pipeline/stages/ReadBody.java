package io.spendguard.proxy.pipeline.stages;

import io.spendguard.proxy.pipeline.Exchange;
import io.spendguard.proxy.pipeline.Stage;
import io.vertx.core.Future;

/** Reads the request body through the client ({@code http/}'s bounded reader) into the exchange. */
public final class ReadBody implements Stage {
    @Override
    public Future<Void> apply(Exchange x) {
        return x.client().readBody().map(body -> {
            x.body(body);
            return null;
        });
    }
}
