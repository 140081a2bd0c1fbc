package io.spendguard.proxy.pipeline;

import io.spendguard.proxy.ledger.IdempotencyStore.Reply;
import io.spendguard.proxy.forward.Downstream;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

/**
 * The client of one call, as the pipeline sees it: a body to read and a reply to write. {@code http/}
 * implements it over the server's request and response, which no stage touches.
 */
public interface Client {

    /** Reads the request body within the configured limits; fails with the 4xx/503 that refuses it. */
    Future<Buffer> readBody();

    /** Where the provider's reply is relayed. */
    Downstream reply();

    /** Answers with a stored reply (an idempotent replay). */
    Future<Void> replay(Reply stored);

    /**
     * Answers {@code failure} in the provider's error shape (or cuts a reply already under way);
     * returns the metric outcome label.
     */
    String refuse(Throwable failure);

    /** The status code answered (for the access log). */
    int status();
}
