package io.spendguard.proxy.pipeline;

import io.vertx.core.Future;

/**
 * One step of a call in the {@link Pipeline}. A stage reads and fills the {@link Exchange}, moves it
 * through its transitions, and fails with a {@link io.spendguard.proxy.error.ProxyException} to
 * refuse the call; it never touches the HTTP request or response.
 */
@FunctionalInterface
public interface Stage {
    Future<Void> apply(Exchange x);
}
