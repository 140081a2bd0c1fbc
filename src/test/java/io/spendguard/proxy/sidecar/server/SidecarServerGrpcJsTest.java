package io.spendguard.proxy.sidecar.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.NodeScripts;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SDK interop: a grpc-js client (src/test/node/sidecar-client.mjs, the stack the SpendGuard JS SDK
 * uses) handshakes, gets a decision and settles it over the Unix socket, with protos loaded from
 * our .proto files at run time rather than from our generated classes.
 */
class SidecarServerGrpcJsTest {

    @TempDir
    Path dir;

    @Test
    void aGrpcJsClientHandshakesDecidesAndSettles() throws Exception {
        NodeScripts.install("@grpc/grpc-js", "@grpc/proto-loader");
        try (SidecarFixture f = SidecarFixture.start(dir)) {
            Map<String, JsonObject> steps = NodeScripts.run("sidecar-client.mjs", Map.of(
                    "SG_SOCKET", f.socket.toAbsolutePath().toString(),
                    "SG_TENANT", SidecarFixture.TENANT,
                    "SG_PROTO_DIR", Path.of("src/main/proto").toAbsolutePath().toString()), "step", "handshake", "decision", "settle");

            JsonObject handshake = steps.get("handshake");
            assertThat(handshake.getBoolean("ok")).as(handshake.encode()).isTrue();
            assertThat(handshake.getString("sidecar_version")).startsWith("spendguard-proxy/");
            assertThat(handshake.getInteger("protocol_version")).isEqualTo(1);

            JsonObject decision = steps.get("decision");
            assertThat(decision.getBoolean("ok")).as(decision.encode()).isTrue();
            assertThat(decision.getString("decision")).isEqualTo("CONTINUE");
            assertThat(decision.getString("decision_id")).isEqualTo("dec-js-1");
            String reservation = decision.getJsonArray("reservation_ids").getString(0);

            JsonObject settle = steps.get("settle");
            assertThat(settle.getBoolean("ok")).as(settle.encode()).isTrue();
            assertThat(settle.getJsonArray("acks").getJsonObject(0).getString("event_id")).isEqualTo(reservation);
            assertThat(settle.getJsonArray("acks").getJsonObject(0).getString("status")).isEqualTo("ACCEPTED");
            assertThat(f.budget("team").committedMicros()).isEqualTo(1_200);
            assertThat(f.budget("team").reservedMicros()).isZero();
        }
    }
}
