package io.spendguard.proxy.sidecar.client;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The gRPC client for one sidecar socket: HTTP/2 with prior knowledge (no h2c upgrade) over a Unix
 * domain socket, every request carrying {@code :authority localhost:80} ({@link AuthorityHttpClient}).
 * Unary calls get a deadline we own: the {@code grpc-timeout} header tells the sidecar, and a timer
 * cancels the stream and fails the call with DEADLINE_EXCEEDED when it is not answered in time.
 */
final class SidecarRpc {
    private final Vertx vertx;
    private final HttpClient http;
    private final GrpcClient client;
    private final SocketAddress address;
    private final String socket;

    private SidecarRpc(Vertx vertx, HttpClient http, GrpcClient client, String socket) {
        this.vertx = vertx;
        this.http = http;
        this.client = client;
        this.socket = socket;
        this.address = SocketAddress.domainSocketAddress(socket);
    }

    static SidecarRpc create(Vertx vertx, String socket) {
        HttpClient http = vertx.createHttpClient(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false)
                // the drain and settlement streams stay open; an idle-eviction would only force a reconnect
                .setHttp2KeepAliveTimeout(0));
        return new SidecarRpc(vertx, http, GrpcClient.client(vertx, new AuthorityHttpClient(http)), socket);
    }

    /** The socket path, for messages. */
    String socket() {
        return socket;
    }

    /** One request, one response, answered within {@code deadlineMs} or failed with a {@link SidecarException}. */
    <Req, Resp> Future<Resp> unary(ServiceMethod<Resp, Req> method, Req request, long deadlineMs) {
        Promise<Resp> result = Promise.promise();
        AtomicReference<GrpcClientRequest<Req, Resp>> open = new AtomicReference<>();
        long timer = vertx.setTimer(deadlineMs, id -> {
            if (result.tryFail(SidecarException.status(GrpcStatus.DEADLINE_EXCEEDED,
                    method.methodName() + " not answered within " + deadlineMs + " ms"))) {
                GrpcClientRequest<Req, Resp> req = open.get();
                if (req != null) {
                    req.cancel();
                }
            }
        });
        client.request(address, method).onComplete(ar -> {
            if (ar.failed()) {
                result.tryFail(SidecarException.of(ar.cause()));
                return;
            }
            GrpcClientRequest<Req, Resp> req = ar.result();
            open.set(req);
            if (result.future().isComplete()) {
                return;
            }
            req.timeout(deadlineMs, TimeUnit.MILLISECONDS);
            req.send(request).compose(SidecarRpc::last).onComplete(r -> {
                if (r.succeeded()) {
                    result.tryComplete(r.result());
                } else {
                    result.tryFail(SidecarException.of(r.cause()));
                }
            });
        });
        return result.future().andThen(ar -> vertx.cancelTimer(timer));
    }

    private static <Req, Resp> Future<Resp> last(GrpcClientResponse<Req, Resp> response) {
        return response.last().recover(e -> Future.failedFuture(
                response.status() != null && response.status() != GrpcStatus.OK
                        ? SidecarException.status(response.status(), response.statusMessage())
                        : e));
    }

    /** Opens a stream (server-streaming or bidi); the caller attaches handlers in the futures' callbacks. */
    <Req, Resp> Future<GrpcClientRequest<Req, Resp>> stream(ServiceMethod<Resp, Req> method) {
        return client.request(address, method);
    }

    Future<Void> close() {
        return client.close().eventually(http::close);
    }
}
