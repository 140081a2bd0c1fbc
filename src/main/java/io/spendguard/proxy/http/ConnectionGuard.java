package io.spendguard.proxy.http;

import io.spendguard.proxy.config.ProxyConfig.LimitsConfig;
import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds what a client can hold on one listener, before it has proven anything:
 * <ul>
 * <li>at most {@code maxConnections} open connections; one more is closed as soon as it is accepted,
 * and counted;</li>
 * <li>a new connection must deliver a whole request head within {@code limits.header_timeout_ms};</li>
 * <li>a request body must have arrived {@code limits.body_timeout_ms} after its head (else 408 and,
 * on HTTP/1.x, the connection is closed);</li>
 * <li>a kept-alive connection with no request in flight is closed after {@code limits.idle_timeout_ms}
 * without a new one (which also bounds a slow head on a kept-alive connection).</li>
 * </ul>
 * While a request is in flight and its body is in, no timer runs: a call waiting on a slow provider or
 * relaying a long stream is bounded by the provider timeout, not cut here. (Vert.x's own idle timeout
 * counts reads and writes on the socket alike, so it would cut a call whose provider is slow to answer.)
 * Each connection's timers run on its own event loop.
 */
public final class ConnectionGuard {
    private final String listener;
    private final int maxConnections;
    private final LimitsConfig limits;
    private final ProxyMetrics metrics;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<HttpConnection, Watch> watches = new ConcurrentHashMap<>();

    private ConnectionGuard(String listener, int maxConnections, LimitsConfig limits, ProxyMetrics metrics) {
        this.listener = listener;
        this.maxConnections = maxConnections;
        this.limits = limits;
        this.metrics = metrics;
        metrics.connectionsOpen(listener, open);
    }

    /** The data port's guard: {@code limits.max_connections}; one guard for all the port's listeners. */
    public static ConnectionGuard data(LimitsConfig limits, ProxyMetrics metrics) {
        return new ConnectionGuard("data", limits.maxConnections(), limits, metrics);
    }

    /** The admin port's guard: the same timeouts, {@code limits.admin_max_connections}. */
    public static ConnectionGuard admin(LimitsConfig limits, ProxyMetrics metrics) {
        return new ConnectionGuard("admin", limits.adminMaxConnections(), limits, metrics);
    }

    /**
     * The options a guarded listener needs: HTTP/1.x only. With HTTP/2 cleartext (h2c) on, Vert.x holds
     * each new connection in protocol detection and an HTTP/1.x one in its h2c-upgrade check until its
     * first whole request head, and only then shows it to a connection handler: a connection that sends
     * nothing, or a head byte by byte, would escape both the header timeout and the cap. (h2c upgrade is
     * also a known way to smuggle requests past a front proxy's rules.)
     */
    public static HttpServerOptions options(HttpServerOptions options) {
        return options.setHttp2ClearTextEnabled(false);
    }

    /**
     * Sets {@code server}'s connection handler and its request handler: {@code requests}, behind this
     * guard. The server must have been made with {@code options}, from {@link #options}.
     */
    public HttpServer install(HttpServer server, HttpServerOptions options, Handler<HttpServerRequest> requests) {
        return server.connectionHandler(conn -> {
            FramingDecoder.install(conn, options);
            connected(conn);
        }).requestHandler(request -> {
            if (admitted(request)) {
                requests.handle(request);
            }
        });
    }

    /** Connections open now. */
    public int open() {
        return open.get();
    }

    private void connected(HttpConnection conn) {
        Watch watch = new Watch(conn, Vertx.currentContext().owner());
        watches.put(conn, watch);
        if (open.incrementAndGet() > maxConnections) {
            open.decrementAndGet();
            watch.refused = true;
            conn.closeHandler(v -> watches.remove(conn));
            metrics.connectionRefused(listener);
            conn.close();
            return;
        }
        conn.closeHandler(v -> {
            watch.closed = true;
            watch.cancel();
            watches.remove(conn);
            open.decrementAndGet();
        });
        watch.arm(limits.headerTimeoutMs(), "header", null);
    }

    /** Starts a request's body timer and stops the connection's; false for a connection refused at the cap. */
    private boolean admitted(HttpServerRequest request) {
        Watch watch = watches.get(request.connection());
        if (watch == null) {
            // Not seen by connected() (an h2c upgrade replaces the connection object): served, without timers.
            return true;
        }
        if (watch.refused) {
            request.connection().close();
            return false;
        }
        if (request.headers().contains(FramingDecoder.CONFLICT)
                || (request.headers().contains("transfer-encoding") && request.headers().contains("content-length"))) {
            // Answered without reading the body; ErrorWriter closes the connection (Transfer-Encoding: body pending).
            ErrorWriter.write(request, request.path().startsWith("/v1/messages"), ProxyError.INVALID_REQUEST.exception(
                    "A request must not carry both Transfer-Encoding and Content-Length."));
            return false;
        }
        watch.inFlight++;
        if (request.isEnded()) {
            watch.disarm();
        } else {
            watch.arm(limits.bodyTimeoutMs(), "body", request);
        }
        request.response().endHandler(v -> {
            if (--watch.inFlight == 0 && !watch.closed) {
                watch.arm(limits.idleTimeoutMs(), "idle", null);
            } else if (watch.request == request) {
                watch.disarm();
            }
        });
        return true;
    }

    private void bodyTimedOut(HttpServerRequest request) {
        if (request.isEnded() || request.response().ended() || request.response().closed()) {
            return;
        }
        metrics.connectionTimeout(listener, "body");
        // 408, then the HTTP/1.x connection is closed (ErrorWriter); on HTTP/2 only this stream ends.
        ErrorWriter.write(request, request.path().startsWith("/v1/messages"), ProxyError.REQUEST_TIMEOUT.exception(
                "The request body did not arrive within " + limits.bodyTimeoutMs() + " ms of its headers."));
    }

    /**
     * One connection's state, touched only on its event loop. It has one deadline at a time (the head,
     * a body, or idleness) and one timer behind it that is not moved with the deadline: when it fires
     * before a deadline that was pushed back it is set again for the rest. So a busy kept-alive
     * connection sets a timer about once per timeout, not two per request.
     */
    private final class Watch {
        final HttpConnection conn;
        final Vertx vertx;
        int inFlight;
        boolean closed;
        boolean refused;
        /** What the deadline is for ("header", "body", "idle"); the request whose body is awaited, for "body". */
        String phase;
        HttpServerRequest request;
        /** {@link System#nanoTime} when the phase times out; 0: none. */
        long deadline;
        long timer = -1;
        long timerDue;

        Watch(HttpConnection conn, Vertx vertx) {
            this.conn = conn;
            this.vertx = vertx;
        }

        /** Times {@code phase} out after {@code ms} unless another phase replaces it first. */
        void arm(long ms, String phase, HttpServerRequest request) {
            this.phase = phase;
            this.request = request;
            deadline = Math.max(1, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms));
            if (timer >= 0 && timerDue - deadline > 0) {
                cancel();
            }
            if (timer < 0) {
                schedule(ms);
            }
        }

        /** No deadline (the timer left behind finds none when it fires). */
        void disarm() {
            deadline = 0;
            request = null;
        }

        void cancel() {
            disarm();
            if (timer >= 0) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
        }

        private void schedule(long ms) {
            timerDue = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
            timer = vertx.setTimer(Math.max(1, ms), id -> fired());
        }

        private void fired() {
            timer = -1;
            if (deadline == 0 || closed) {
                return;
            }
            long left = deadline - System.nanoTime();
            if (left > 0) {
                schedule(TimeUnit.NANOSECONDS.toMillis(left) + 1);
                return;
            }
            HttpServerRequest waitingFor = request;
            String timedOut = phase;
            disarm();
            if (waitingFor != null) {
                bodyTimedOut(waitingFor);
            } else if (inFlight == 0) {
                metrics.connectionTimeout(listener, timedOut);
                conn.close();
            }
        }
    }
}
