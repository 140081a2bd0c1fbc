package io.spendguard.proxy;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * A provider on 127.0.0.1 (port 0) whose every reply is generated on the fly by a test, chunk by
 * chunk with back-pressure, and never stored: a 64 MiB reply costs the test nothing to send. It keeps
 * the SHA-256 and length of what it sent, and whether the proxy hung up on it before it was done.
 */
final class ScriptedProvider implements AutoCloseable {
    /** One scripted reply: its status, content type, and the body chunks (generated as they are pulled). */
    record Script(int status, String contentType, Iterator<Buffer> chunks) { }

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    final AtomicInteger calls = new AtomicInteger();
    final AtomicLong sentBytes = new AtomicLong();
    final AtomicReference<String> sentSha256 = new AtomicReference<>();
    /** True once a reply's connection closed before its last chunk was written. */
    final AtomicReference<Boolean> hungUpOn = new AtomicReference<>(false);

    ScriptedProvider(Function<HttpServerRequest, Script> scripts) throws Exception {
        server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
            calls.incrementAndGet();
            Script s = scripts.apply(req);
            HttpServerResponse resp = req.response().setStatusCode(s.status()).putHeader("content-type", s.contentType()).setChunked(true);
            resp.closeHandler(v -> {
                if (!resp.ended()) {
                    hungUpOn.set(true);
                }
            });
            pump(resp, s.chunks(), sha256(), 0);
        })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    }

    private void pump(HttpServerResponse resp, Iterator<Buffer> chunks, MessageDigest digest, long sent) {
        long total = sent;
        while (chunks.hasNext()) {
            if (resp.closed()) {
                return;
            }
            Buffer chunk = chunks.next();
            digest.update(chunk.getBytes());
            total += chunk.length();
            resp.write(chunk);
            if (resp.writeQueueFull()) {
                long so = total;
                resp.drainHandler(v -> pump(resp, chunks, digest, so));
                return;
            }
        }
        sentBytes.set(total);
        sentSha256.set(HexFormat.of().formatHex(digest.digest()));
        resp.end();
    }

    String url() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    /** {@code yaml} from {@link ProxyHarness#config} with both providers pointed here instead of the mock. */
    String config(String yaml) {
        return yaml.replace("MOCK_URL", url());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code head}, then {@code count} generated pieces, then {@code tail}, each a chunk of its own. */
    static Iterator<Buffer> chunks(String head, long count, Function<Long, String> piece, String tail) {
        return new Iterator<>() {
            long i = -1;

            @Override
            public boolean hasNext() {
                return i <= count;
            }

            @Override
            public Buffer next() {
                long at = i++;
                if (at < 0) {
                    return Buffer.buffer(head);
                }
                return Buffer.buffer(at < count ? piece.apply(at) : tail);
            }
        };
    }

    @Override
    public void close() {
        try {
            server.close().await(5, TimeUnit.SECONDS);
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("scripted provider did not close", e);
        }
    }
}
