package io.spendguard.proxy.sidecar.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spendguard.proto.adapter.v1.DecisionResponse;
import io.spendguard.proto.adapter.v1.ReleaseReservationRequest;
import io.spendguard.proto.adapter.v1.SidecarAdapterGrpcClient;
import io.spendguard.proxy.ProxyServer;
import io.spendguard.proxy.cli.SidecarCommand;
import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.config.ProxyConfig;
import io.spendguard.proxy.metrics.ProxyMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code sidecar} command's wiring: the config's budgets on the socket, the admin API beside it, and its stop. */
class SidecarCommandTest {
    @TempDir
    Path dir;

    @Test
    void servesTheConfiguredBudgetsOnTheSocketAndTheAdminApi() throws Exception {
        ProxyConfig config = ConfigLoader.parse("""
                admin: { host: 127.0.0.1, port: 0 }
                ledger: { kind: memory }
                gate: { mode: embedded, sidecar: { tenant_id: acme } }
                budgets:
                  - { id: team, limit_usd: 1.00, window: daily, default: true }
                """, name -> null, "test");
        PrometheusMeterRegistry registry = ProxyServer.newRegistry();
        Vertx vertx = ProxyServer.newVertx(registry);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try {
            SidecarServer.Options options = new SidecarServer.Options(dir.resolve("adapter.sock"), config.gate().sidecar().tenantId(),
                    config.gate().sidecar().unitId(), Duration.ofSeconds(5), Clock.systemUTC(), new ProxyMetrics(registry));
            SidecarCommand.Running running = SidecarCommand.start(vertx, config, options, registry).await(10, TimeUnit.SECONDS);
            String admin = "http://127.0.0.1:" + running.admin().actualPort();
            SidecarAdapterGrpcClient client = SidecarAdapterGrpcClient.create(GrpcClient.client(vertx),
                    SocketAddress.domainSocketAddress(options.socket().toString()));

            client.handshake(SidecarFixture.handshake("acme", 1)).await(10, TimeUnit.SECONDS);
            DecisionResponse r = client.requestDecision(SidecarFixture.decision("cmd", "", "250000")).await(10, TimeUnit.SECONDS);

            assertThat(r.getDecision()).isEqualTo(DecisionResponse.Decision.CONTINUE);
            JsonObject team = new JsonObject(get(http, admin + "/v1/budgets/team").body());
            assertThat(team.getLong("reserved_usd_micros")).isEqualTo(250_000);
            assertThat(get(http, admin + "/readyz").statusCode()).isEqualTo(200);
            assertThat(get(http, admin + "/metrics").body()).contains("spendguard_decisions_total{decision=\"CONTINUE\"}");

            Future<Void> drained = running.sidecar().drain();
            assertThat(get(http, admin + "/readyz").statusCode()).isEqualTo(503);
            client.releaseReservation(ReleaseReservationRequest.newBuilder().setReservationId(r.getReservationIds(0)).build())
                    .await(10, TimeUnit.SECONDS);
            drained.await(10, TimeUnit.SECONDS);
            running.stop().await(10, TimeUnit.SECONDS);
            assertThat(options.socket()).doesNotExist();
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void evaluatesTheConfiguredContractsWithTheTenantTheClientNames() throws Exception {
        Path rules = java.nio.file.Files.writeString(dir.resolve("contract.yaml"), "rules:\n"
                + "  - {id: no-o-series-for-interns, condition: 'tenant == \"interns\" && request.stream', "
                + "then: {decision: STOP, reason_code: MODEL_FAMILY_BLOCKED}}\n");
        ProxyConfig config = ConfigLoader.parse("admin: { host: 127.0.0.1, port: 0 }\nledger: { kind: memory }\ngate: { sidecar: { tenant_id: acme } }\n"
                + "budgets:\n  - { id: team, limit_usd: 1.00, default: true }\ncontracts: \"" + rules + "\"\n", name -> null, "test");
        PrometheusMeterRegistry registry = ProxyServer.newRegistry();
        Vertx vertx = ProxyServer.newVertx(registry);
        try {
            SidecarServer.Options options = new SidecarServer.Options(dir.resolve("c.sock"), "acme", "usd_micros", Duration.ofSeconds(1),
                    Clock.systemUTC(), new ProxyMetrics(registry));
            SidecarCommand.Running running = SidecarCommand.start(vertx, config, options, registry).await(10, TimeUnit.SECONDS);
            SidecarAdapterGrpcClient client = SidecarAdapterGrpcClient.create(GrpcClient.client(vertx),
                    SocketAddress.domainSocketAddress(options.socket().toString()));
            client.handshake(SidecarFixture.handshake("acme", 1)).await(10, TimeUnit.SECONDS);

            DecisionResponse blocked = client.requestDecision(withMetadata(SidecarFixture.decision("k1", "", "100"), "interns", true))
                    .await(10, TimeUnit.SECONDS);
            DecisionResponse notStreamed = client.requestDecision(withMetadata(SidecarFixture.decision("k2", "", "100"), "interns", false))
                    .await(10, TimeUnit.SECONDS);
            DecisionResponse ownTenant = client.requestDecision(SidecarFixture.decision("k3", "", "100")).await(10, TimeUnit.SECONDS);

            assertThat(blocked.getDecision()).isEqualTo(DecisionResponse.Decision.STOP);
            assertThat(blocked.getReasonCodesList()).containsExactly("MODEL_FAMILY_BLOCKED");
            assertThat(blocked.getMatchedRuleIdsList()).containsExactly("no-o-series-for-interns");
            assertThat(notStreamed.getDecision()).isEqualTo(DecisionResponse.Decision.CONTINUE);
            assertThat(ownTenant.getDecision()).as("without a tenant in the metadata, the sidecar's own (acme)")
                    .isEqualTo(DecisionResponse.Decision.CONTINUE);
            running.stop().await(10, TimeUnit.SECONDS);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private static io.spendguard.proto.adapter.v1.DecisionRequest withMetadata(io.spendguard.proto.adapter.v1.DecisionRequest r,
                                                                                 String tenant, boolean stream) {
        com.google.protobuf.Struct meta = com.google.protobuf.Struct.newBuilder()
                .putFields("tenant", com.google.protobuf.Value.newBuilder().setStringValue(tenant).build())
                .putFields("stream", com.google.protobuf.Value.newBuilder().setBoolValue(stream).build()).build();
        return r.toBuilder().setInputs(r.getInputs().toBuilder().setRuntimeMetadata(meta)).build();
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
