package io.spendguard.proxy.http;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpMessage;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Vert.x's HTTP/1.x request decoder, except that a request framed by both {@code Transfer-Encoding:
 * chunked} and {@code Content-Length} is marked rather than quietly stripped of its Content-Length
 * (Netty's default), so that {@link ConnectionGuard} can refuse it with 400 and close the connection:
 * two framings are how requests are smuggled past a front proxy that reads the other one (RFC 9112
 * §6.3). Vert.x offers no public hook for this; it is the proxy's one use of Vert.x internals, and
 * when they change the decoder is left as it is (the conflict is then handled by Transfer-Encoding
 * and the connection still closed after the reply). Covered by {@code AdmissionBeforeBodyTest}.
 */
final class FramingDecoder extends VertxHttpRequestDecoder {
    /** Set on a request that came with both framings (a client sending it only refuses itself). */
    static final String CONFLICT = "x-spendguard-framing-conflict";
    private static final String NAME = "httpDecoder";

    private FramingDecoder(HttpServerOptions options) {
        super(options);
    }

    /** Puts this decoder in place of Vert.x's on a new HTTP/1.x connection, before any byte is decoded. */
    static void install(HttpConnection conn, HttpServerOptions options) {
        if (conn instanceof ConnectionBase base) {
            ChannelPipeline pipeline = base.channel().pipeline();
            if (pipeline.get(NAME) instanceof VertxHttpRequestDecoder) {
                pipeline.replace(NAME, NAME, new FramingDecoder(options));
            }
        }
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        super.handleTransferEncodingChunkedWithContentLength(message);
        message.headers().set(CONFLICT, "1");
    }
}
