package io.spendguard.proxy.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.ProxyHarness;
import io.spendguard.proxy.http.AccessLog;
import io.spendguard.proxy.mock.MockProvider;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The request target never chooses the host the provider key is sent to: targets in absolute or
 * authority form, with {@code @}, {@code \}, dot segments, {@code ;} or percent-encoded slashes are
 * refused with 400 before anything is read, reserved or forwarded, over HTTP/1.1 (HTTP/2 cleartext is
 * not served at all: ConnectionGuard turns it off, and the HTTP/2 case checks it stays off), on every
 * route, for both providers, in passthrough and virtual-key mode. A listener standing by on loopback
 * (the "thief") must never see a request.
 */
class UpstreamHostTest {
    static final String OPERATOR_KEY = "sk-operator-secret-0000111122223333";
    static final String VIRTUAL_KEY = "sg-target-0123456789abcdefghijklmnop";
    private static final String CHAT = "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String MESSAGES = "{\"model\":\"claude-test\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private static Vertx thiefVertx;
    private static HttpServer thief;
    private static final List<String> stolen = new CopyOnWriteArrayList<>();
    private static final List<JsonObject> access = new CopyOnWriteArrayList<>();
    private static final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            access.add(new JsonObject(r.getMessage()));
        }

        @Override
        public void flush() { }

        @Override
        public void close() { }
    };
    private static ProxyHarness passthrough;
    private static ProxyHarness virtual;

    @BeforeAll
    static void start() throws Exception {
        thiefVertx = Vertx.vertx();
        thief = thiefVertx.createHttpServer().requestHandler(req -> {
            stolen.add(req.method() + " " + req.uri() + " " + req.headers().get("authorization") + req.headers().get("x-api-key"));
            req.response().putHeader("content-type", "application/json")
                    .end("{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}");
        }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        passthrough = ProxyHarness.start(ProxyHarness.config(1_000_000, "", "")
                .replace("api_key: \"\"", "api_key: \"" + OPERATOR_KEY + "\""));
        virtual = ProxyHarness.start(ProxyHarness.config(1_000_000, "", """
                auth:
                  mode: virtual_keys
                  keys:
                    - { id: key-t, key: "%s", tenant: acme, budget_id: default }
                """.formatted(VIRTUAL_KEY)).replace("api_key: \"\"", "api_key: \"" + OPERATOR_KEY + "\""));
        AccessLog.logger().addHandler(capture);
    }

    @AfterAll
    static void stop() throws Exception {
        AccessLog.logger().removeHandler(capture);
        passthrough.close();
        virtual.close();
        thiefVertx.close().await(10, TimeUnit.SECONDS);
    }

    @BeforeEach
    void clear() {
        stolen.clear();
        passthrough.mock.clear();
        virtual.mock.clear();
        access.clear();
    }

    /** Request targets that today reach a host of the client's choosing, or a provider path it should not. */
    static Stream<String> hostileTargets() {
        int p = thief.actualPort();
        List<String> targets = new ArrayList<>();
        for (String route : List.of("/v1/chat/completions", "/v1/messages", "/v1/responses", "/v1/completions", "/v1/embeddings",
                "/v1/models")) {
            targets.add("@127.0.0.1:" + p + "/steal?://x" + route);
            targets.add("x.attacker.example://a" + route);
            targets.add("http://127.0.0.1:" + p + route);
            targets.add("//127.0.0.1:" + p + route);
            targets.add(route + "@127.0.0.1:" + p);
            targets.add(route + "?x=@127.0.0.1:" + p);
            targets.add(route + "\\@127.0.0.1:" + p);
            targets.add(route + ";@127.0.0.1:" + p);
            targets.add(route + "/..");
            targets.add("/v1/./" + route.substring(4));
            targets.add("/v1/x/.." + route.substring(3));
            targets.add(route.replaceFirst("/v1/", "/v1%2F"));
            targets.add(route + "#@127.0.0.1:" + p);
        }
        targets.add("/v1/models/../files");
        targets.add("/v1/models/..%2Ffiles%2Ffile-abc%2Fcontent");
        targets.add("/v1/models/gpt-4o-mini/../../files");
        targets.add("*");
        return targets.stream();
    }

    static Stream<Arguments> hostileTargetsBothModes() {
        return hostileTargets().flatMap(t -> Stream.of(Arguments.of(t, false), Arguments.of(t, true)));
    }

    @ParameterizedTest(name = "HTTP/1.1 {0} virtual={1}")
    @MethodSource("hostileTargetsBothModes")
    void aHostileTargetIsRefusedOverHttp1AndReachesNoHost(String target, boolean virtualKeys) throws Exception {
        ProxyHarness h = virtualKeys ? virtual : passthrough;
        long committed = h.budget("default").committedMicros();
        boolean get = target.contains("/v1/models") || target.equals("*");
        boolean anthropic = target.contains("/v1/messages");
        String reply = RawHttp.send(h.server.port(), get ? "GET" : "POST", target, credential(virtualKeys, anthropic),
                get ? "" : anthropic ? MESSAGES : CHAT);

        int status = Integer.parseInt(reply.substring(9, 12));
        assertThat(status).as(reply).isIn(400, 404);
        assertNothingLeft(h, committed);
    }

    @ParameterizedTest(name = "HTTP/2 {0}")
    @MethodSource("hostileTargets")
    void noTargetGetsInOverHttp2PriorKnowledge(String target) throws Exception {
        for (ProxyHarness h : List.of(passthrough, virtual)) {
            long committed = h.budget("default").committedMicros();
            boolean get = target.contains("/v1/models") || target.equals("*");
            boolean anthropic = target.contains("/v1/messages");
            HttpClient client = h.vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                    .setHttp2ClearTextUpgrade(false));
            try {
                String[] credential = credential(h == virtual, anthropic).split(": ");
                int status = client.request(new RequestOptions().setMethod(get ? HttpMethod.GET : HttpMethod.POST)
                                .setHost("127.0.0.1").setPort(h.server.port()).setURI(target)
                                .putHeader(credential[0], credential[1]).putHeader("content-type", "application/json"))
                        .compose(req -> req.send(get ? Buffer.buffer() : Buffer.buffer(anthropic ? MESSAGES : CHAT)))
                        .map(HttpClientResponse::statusCode)
                        .otherwise(-1)
                        .await(10, TimeUnit.SECONDS);
                // -1: the listener does not speak HTTP/2 cleartext, so no request of any target gets in that way.
                assertThat(status).as(target).isEqualTo(-1);
                assertNothingLeft(h, committed);
            } finally {
                client.close().await(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void anAbsoluteFormTargetHoldsNothingAndIsLogged() throws Exception {
        long committed = passthrough.budget("default").committedMicros();
        double refused = passthrough.counter("spendguard.requests", "route", "invalid", "outcome", "invalid_target");
        for (int i = 0; i < 5; i++) {
            String reply = RawHttp.send(passthrough.server.port(), "POST", "http://127.0.0.1:" + thief.actualPort() + "/v1/chat/completions",
                    "Authorization: Bearer sk-client-1", CHAT);
            assertThat(reply).startsWith("HTTP/1.1 400").contains("invalid_request_target").doesNotContain(OPERATOR_KEY);
        }
        assertNothingLeft(passthrough, committed);
        ProxyHarness.await("five access-log lines", () -> access.stream()
                .filter(l -> "refused".equals(l.getString("event")) && l.getInteger("status") == 400).count() == 5);
        assertThat(passthrough.counter("spendguard.requests", "route", "invalid", "outcome", "invalid_target")).isEqualTo(refused + 5);
    }

    @Test
    void aModelIdIsForwardedAsOneCheckedSegment() throws Exception {
        String reply = RawHttp.send(passthrough.server.port(), "GET", "/v1/models/gpt-4o-mini", "Authorization: Bearer sk-client-1", "");
        assertThat(reply).startsWith("HTTP/1.1 200");
        String deeper = RawHttp.send(passthrough.server.port(), "GET", "/v1/models/gpt-4o-mini/files", "Authorization: Bearer sk-client-1", "");
        assertThat(deeper).startsWith("HTTP/1.1 404");
        assertThat(passthrough.mock.received()).extracting(MockProvider.Received::path).containsExactly("/v1/models/gpt-4o-mini");
        assertThat(stolen).isEmpty();
    }

    @Test
    void theQueryGoesUpstreamReencodedAndThePathIsTheRoutesOwn() throws Exception {
        String reply = RawHttp.send(passthrough.server.port(), "POST", "/v1/chat/completions/?api-version=2024%2D10%2D21&flag",
                "Authorization: Bearer sk-client-1", CHAT);

        assertThat(reply).startsWith("HTTP/1.1 200");
        MockProvider.Received r = passthrough.mock.received().get(0);
        assertThat(r.path()).isEqualTo("/v1/chat/completions");
        assertThat(r.query()).isEqualTo("api-version=2024-10-21&flag=");
        assertThat(stolen).isEmpty();
    }

    @Test
    void anOrdinaryCallStillReachesTheConfiguredProviderWithTheOperatorKey() throws Exception {
        String reply = RawHttp.send(virtual.server.port(), "POST", "/v1/chat/completions", "Authorization: Bearer " + VIRTUAL_KEY, CHAT);

        assertThat(reply).startsWith("HTTP/1.1 200");
        assertThat(virtual.mock.received()).hasSize(1);
        assertThat(virtual.mock.received().get(0).headers().get("authorization")).isEqualTo("Bearer " + OPERATOR_KEY);
        assertThat(stolen).isEmpty();
    }

    private static String credential(boolean virtualKeys, boolean anthropic) {
        if (virtualKeys) {
            return "Authorization: Bearer " + VIRTUAL_KEY;
        }
        // No client key: the proxy would inject the operator's, which is what an attacker is after.
        return anthropic ? "anthropic-version: 2023-06-01" : "X-Nothing: 1";
    }

    private static void assertNothingLeft(ProxyHarness h, long committedBefore) throws Exception {
        assertThat(stolen).as("requests that reached the thief").isEmpty();
        assertThat(h.mock.received()).as("requests forwarded to the provider").isEmpty();
        assertThat(h.budget("default").reservedMicros()).isZero();
        assertThat(h.budget("default").committedMicros()).isEqualTo(committedBefore);
        assertThat(h.counter("spendguard.requests", "outcome", "internal")).isZero();
    }
}
