package io.spendguard.proxy.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SDK interop: a grpc-js client (src/test/node/sidecar-client.mjs, the stack the SpendGuard JS SDK
 * uses) handshakes, gets a decision and settles it over the Unix socket, with protos loaded from
 * our .proto files at run time rather than from our generated classes.
 */
class SidecarServerGrpcJsTest {
    private static final Path NODE_DIR = Path.of("src/test/node");

    @TempDir
    Path dir;

    @Test
    void aGrpcJsClientHandshakesDecidesAndSettles() throws Exception {
        installGrpcJs();
        try (SidecarFixture f = SidecarFixture.start(dir)) {
            Map<String, JsonObject> steps = runScript(Map.of(
                    "SG_SOCKET", f.server.socketPath().toAbsolutePath().toString(),
                    "SG_TENANT", SidecarFixture.TENANT,
                    "SG_PROTO_DIR", Path.of("src/main/proto").toAbsolutePath().toString()));

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

    private static void installGrpcJs() throws Exception {
        if (Files.isDirectory(NODE_DIR.resolve("node_modules/@grpc/grpc-js"))
                && Files.isDirectory(NODE_DIR.resolve("node_modules/@grpc/proto-loader"))) {
            return;
        }
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
                .directory(NODE_DIR.toFile()).redirectErrorStream(true).start();
        String out = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(npm.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(npm.exitValue()).as("npm ci in src/test/node: " + out).isZero();
    }

    private static Map<String, JsonObject> runScript(Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("node", "sidecar-client.mjs").directory(NODE_DIR.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(env);
        Process node = pb.start();
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Map<String, JsonObject> steps = new HashMap<>();
        for (String line : List.of(out.split("\n"))) {
            if (line.startsWith("{")) {
                JsonObject o = new JsonObject(line);
                steps.put(o.getString("step"), o);
            }
        }
        assertThat(steps).as("script output: " + out).containsKeys("handshake", "decision", "settle");
        return steps;
    }
}
