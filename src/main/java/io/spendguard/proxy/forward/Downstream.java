package io.spendguard.proxy.forward;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * The client's side of a call as the {@link Relay} writes it: a status line and headers, then the body
 * with back-pressure. {@code http/} implements it over the server response, so the relay never holds
 * the server's request or response itself.
 */
public interface Downstream {

    /** Sets the reply's status and adds {@code headers}; nothing is sent until the first write or end. */
    void head(int status, String message, MultiMap headers);

    /** The reply's headers, while they can still change. */
    MultiMap headers();

    /** Frames the body with {@code contentLength}, or chunked when it is null. */
    void framing(String contentLength);

    Future<Void> write(Buffer chunk);

    /** True while the connection's write queue is full: the relay pauses the provider until {@link #drainHandler} runs. */
    boolean writeQueueFull();

    void drainHandler(Handler<Void> handler);

    Future<Void> end();

    Future<Void> end(Buffer last);

    /** Cuts the reply: the client sees a stream or body broken off, never one that ended. */
    void reset();

    /** True once the reply has ended. */
    boolean ended();
}
