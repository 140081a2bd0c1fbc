package io.spendguard.proxy.pipeline.stages;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

/** Parsing and tokenising work: inline for a small body, on a worker thread for a large one, never long on an event loop. */
final class OffLoop {
    /** Bodies above this are parsed and tokenised on a worker thread. */
    static final int WORKER_PARSE_BYTES = 128 * 1024;

    private OffLoop() { }

    static Future<Void> run(Vertx vertx, Buffer body, Runnable work) {
        if (body.length() > WORKER_PARSE_BYTES) {
            return vertx.executeBlocking(() -> {
                work.run();
                return null;
            }, false);
        }
        work.run();
        return Future.succeededFuture();
    }
}
