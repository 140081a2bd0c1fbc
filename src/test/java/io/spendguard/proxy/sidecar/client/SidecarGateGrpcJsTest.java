package io.spendguard.proxy.sidecar.client;

import static io.spendguard.proxy.sidecar.client.SidecarPeer.await;
import static io.spendguard.proxy.sidecar.client.SidecarPeer.eventually;
import static io.spendguard.proxy.sidecar.client.SidecarPeer.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.ledger.Ledger.Settled;
import io.spendguard.proxy.NodeScripts;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gate against a non-Vert.x peer: a grpc-js server (nghttp2 underneath, the strict HTTP/2 stack
 * that resets streams without {@code :authority}) on the Unix socket, serving our .proto files.
 */
class SidecarGateGrpcJsTest {
    private static final String SERVER = """
            const grpc = require('@grpc/grpc-js');
            const protoLoader = require('@grpc/proto-loader');
            const definition = protoLoader.loadSync('spendguard/sidecar_adapter/v1/adapter.proto', {
              includeDirs: [process.env.SG_PROTO_DIR], keepCase: true, longs: String, enums: String, defaults: true });
            const { SidecarAdapter } = grpc.loadPackageDefinition(definition).spendguard.sidecar_adapter.v1;
            const log = (o) => console.log(JSON.stringify(o));
            const server = new grpc.Server();
            server.addService(SidecarAdapter.service, {
              Handshake: (call, cb) => {
                log({ rpc: 'Handshake', tenant: call.request.tenant_id_assertion });
                cb(null, { sidecar_version: 'grpc-js-peer/1', protocol_version: 1, session_id: 'js-1' });
              },
              RequestDecision: (call, cb) => {
                const id = call.request.ids.decision_id;
                log({ rpc: 'RequestDecision', decision_id: id, amount: call.request.inputs.projected_claims[0].amount_atomic });
                cb(null, { decision_id: id, decision: 'CONTINUE', reservation_ids: ['res-' + id] });
              },
              EmitTraceEvents: (call) => {
                call.on('data', (e) => {
                  log({ rpc: 'EmitTraceEvents', reservation_id: e.llm_call_post.reservation_id,
                        amount: e.llm_call_post.estimated_amount_atomic, outcome: e.llm_call_post.outcome });
                  call.write({ event_id: e.llm_call_post.reservation_id, status: 'ACCEPTED' });
                });
                call.on('end', () => call.end());
              },
              ConfirmPublishOutcome: (call, cb) => {
                log({ rpc: 'ConfirmPublishOutcome', outcome: call.request.outcome });
                cb(null, {});
              },
              StreamDrainSignal: (call) => call.sendMetadata(new grpc.Metadata()),
            });
            server.bindAsync('unix://' + process.env.SG_SOCKET, grpc.ServerCredentials.createInsecure(), (err) => {
              if (err) { console.error(String(err)); process.exit(1); }
              log({ ready: true });
            });
            """;

    private SidecarPeer peer;
    private Process node;
    private final BlockingQueue<JsonObject> lines = new LinkedBlockingQueue<>();
    private final List<JsonObject> seen = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        NodeScripts.install("@grpc/grpc-js", "@grpc/proto-loader");
        peer = new SidecarPeer();
        ProcessBuilder pb = new ProcessBuilder("node", "-e", SERVER).directory(NodeScripts.DIR.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("SG_SOCKET", peer.socket.toString());
        pb.environment().put("SG_PROTO_DIR", Path.of("src/main/proto").toAbsolutePath().toString());
        node = pb.start();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.startsWith("{")) {
                        JsonObject o = new JsonObject(line);
                        seen.add(o);
                        lines.add(o);
                    }
                }
            } catch (java.io.IOException e) {
                // the process ended
            }
        }, "grpc-js-peer-output");
        reader.setDaemon(true);
        reader.start();
        JsonObject ready = lines.poll(60, TimeUnit.SECONDS);
        assertThat(ready).as("the grpc-js peer is listening").isNotNull();
        assertThat(ready.getBoolean("ready")).isTrue();
    }

    @AfterEach
    void stop() throws Exception {
        node.destroy();
        node.waitFor(10, TimeUnit.SECONDS);
        peer.close();
    }

    private List<JsonObject> rpc(String name) {
        return seen.stream().filter(o -> name.equals(o.getString("rpc"))).toList();
    }

    @Test
    void handshakesDecidesAndSettlesAgainstAGrpcJsServer() throws Exception {
        SidecarGate gate = peer.connect();
        try {
            Decision d = await(gate.decide(request("d-1", 1_000)));
            Settled s = await(gate.commit(d, 1_400));
            eventually("the settlement confirmed", () -> !rpc("ConfirmPublishOutcome").isEmpty());

            assertThat(rpc("Handshake")).singleElement().satisfies(h -> assertThat(h.getString("tenant")).isEqualTo("t-1"));
            assertThat(d.reservationId()).isEqualTo("res-d-1");
            assertThat(rpc("RequestDecision")).singleElement().satisfies(r -> assertThat(r.getString("amount")).isEqualTo("1000"));
            // not our own sidecar: the commit is capped at the hold and the rest is overrun
            assertThat(rpc("EmitTraceEvents")).singleElement().satisfies(e -> {
                assertThat(e.getString("reservation_id")).isEqualTo("res-d-1");
                assertThat(e.getString("amount")).isEqualTo("1000");
                assertThat(e.getString("outcome")).isEqualTo("SUCCESS");
            });
            assertThat(s.overrunMicros()).isEqualTo(400);
            assertThat(rpc("ConfirmPublishOutcome").get(0).getString("outcome")).isEqualTo("APPLIED");
            assertThat(gate.ready()).isTrue();
        } finally {
            await(gate.close());
        }
    }
}
