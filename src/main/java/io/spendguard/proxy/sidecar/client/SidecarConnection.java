package io.spendguard.proxy.sidecar.client;

import io.spendguard.proxy.config.ProxyConfig.SidecarConfig;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.spendguard.proxy.sidecar.Loop;
import io.spendguard.proxy.sidecar.client.SidecarSession.Session;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * One connection to the sidecar, opened on the event loop that uses it: a gRPC client of its own (so
 * an HTTP/2 connection of its own, made from that loop), its session (handshake, reconnects, drain
 * signal) and its settlement stream, all run on that loop. A call made on the loop — decision,
 * settlement, ack, confirmation — never leaves it; the sidecar serves each connection on one of its
 * own loops.
 */
final class SidecarConnection {
    final SidecarRpc rpc;
    final SidecarSession session;
    final SettlementStream settlements;

    /** A connection for the caller's event loop; nothing is sent before {@link #start}. */
    SidecarConnection(Vertx vertx, SidecarConfig config, ProxyMetrics metrics) {
        Loop loop = Loop.current();
        this.rpc = SidecarRpc.create(vertx, config.socket());
        this.settlements = new SettlementStream(vertx, loop, rpc, metrics, this::lost);
        this.session = new SidecarSession(vertx, loop, rpc, config.tenantId(), metrics, settlements::open);
    }

    /** The first handshake, retried until {@code timeoutMs} has passed; then the settlement stream opens. */
    Future<Session> start(long timeoutMs) {
        return session.start(timeoutMs);
    }

    /** Drops session {@code s} (if still live) and handshakes again in the background. */
    void lost(Session s, Throwable cause) {
        session.lost(s, cause);
    }

    /** Handshake done, connected, and the sidecar is not draining. */
    boolean ready() {
        return session.current() != null && !session.draining();
    }

    /** Stops reconnecting, fails settlements still waiting for a stream, and closes the connection. */
    Future<Void> close() {
        session.close();
        return settlements.close().eventually(rpc::close);
    }
}
