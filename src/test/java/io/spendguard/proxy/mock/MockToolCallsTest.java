package io.spendguard.proxy.mock;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The mock model's side of a tool loop, in each API's JSON and SSE shapes: a request that declares a
 * function tool gets a call of it (arguments filled from its schema) until a tool result comes back,
 * then text; {@code x-mock-tool-loop} gets the same call every time; usage is billed as for text.
 */
class MockToolCallsTest {
    private static final JsonObject SCHEMA = new JsonObject().put("type", "object")
            .put("properties", new JsonObject().put("city", new JsonObject().put("type", "string"))
                    .put("days", new JsonObject().put("type", "integer"))
                    .put("unit", new JsonObject().put("type", "string").put("enum", new JsonArray().add("celsius").add("fahrenheit")))
                    .put("when", new JsonObject().put("anyOf", new JsonArray().add(new JsonObject().put("type", "null"))
                            .add(new JsonObject().put("type", "boolean")))))
            .put("required", new JsonArray().add("city"));
    private static final JsonObject ARGUMENTS = new JsonObject().put("city", "mock").put("days", 1).put("unit", "celsius").put("when", true);

    private static Vertx vertx;
    private static MockProvider mock;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        mock = new MockProvider(vertx, MockProvider.Options.DEFAULT).listen("127.0.0.1", 0).await(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static String post(String path, JsonObject body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mock.port() + path))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode()));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    /** The JSON of each {@code data:} line of an SSE body ({@code [DONE]} left out). */
    private static List<JsonObject> events(String sse) {
        List<JsonObject> out = new ArrayList<>();
        for (String line : sse.split("\n")) {
            if (line.startsWith("data: {")) {
                out.add(new JsonObject(line.substring(6)));
            }
        }
        return out;
    }

    private static JsonObject chat(JsonArray messages) {
        return new JsonObject().put("model", "gpt-4o-mini").put("messages", messages).put("tools", new JsonArray().add(new JsonObject()
                .put("type", "function").put("function", new JsonObject().put("name", "get_weather").put("parameters", SCHEMA))));
    }

    private static JsonArray ask() {
        return new JsonArray().add(new JsonObject().put("role", "user").put("content", "Weather in Paris?"));
    }

    /** {@code ask()} then the assistant's call of the tool and its result. */
    private static JsonArray answered() {
        return ask().add(new JsonObject().put("role", "assistant").put("content", null).put("tool_calls", new JsonArray().add(
                        new JsonObject().put("id", "call_1").put("type", "function")
                                .put("function", new JsonObject().put("name", "get_weather").put("arguments", ARGUMENTS.encode())))))
                .add(new JsonObject().put("role", "tool").put("tool_call_id", "call_1").put("content", "Sunny"));
    }

    @Test
    void chatCallsTheToolThenAnswersWithTextOnceItsResultIsBack() throws Exception {
        JsonObject first = new JsonObject(post("/v1/chat/completions", chat(ask())));
        JsonObject choice = first.getJsonArray("choices").getJsonObject(0);
        assertThat(choice.getString("finish_reason")).isEqualTo("tool_calls");
        JsonObject call = choice.getJsonObject("message").getJsonArray("tool_calls").getJsonObject(0);
        assertThat(call.getString("id")).startsWith("call_");
        assertThat(call.getString("type")).isEqualTo("function");
        assertThat(call.getJsonObject("function").getString("name")).isEqualTo("get_weather");
        assertThat(new JsonObject(call.getJsonObject("function").getString("arguments"))).isEqualTo(ARGUMENTS);
        assertThat(choice.getJsonObject("message").getValue("content")).isNull();
        assertThat(first.getJsonObject("usage").getLong("completion_tokens")).isEqualTo(12);

        JsonObject second = new JsonObject(post("/v1/chat/completions", chat(answered())));
        assertThat(second.getJsonArray("choices").getJsonObject(0).getString("finish_reason")).isEqualTo("stop");
        assertThat(second.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content")).startsWith("mock mock");

        JsonObject none = new JsonObject(post("/v1/chat/completions", chat(ask()).put("tool_choice", "none")));
        assertThat(none.getJsonArray("choices").getJsonObject(0).getString("finish_reason")).isEqualTo("stop");
    }

    @Test
    void aStuckModelCallsTheSameToolWithTheSameArgumentsWhateverComesBack() throws Exception {
        JsonObject again = new JsonObject(post("/v1/chat/completions", chat(answered()), "x-mock-tool-loop", "1"));
        JsonObject function = again.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getJsonArray("tool_calls")
                .getJsonObject(0).getJsonObject("function");
        assertThat(function.getString("name")).isEqualTo("get_weather");
        assertThat(new JsonObject(function.getString("arguments"))).isEqualTo(ARGUMENTS);
    }

    @Test
    void chatStreamsTheCallAsToolCallDeltas() throws Exception {
        List<JsonObject> chunks = events(post("/v1/chat/completions", chat(ask()).put("stream", true)
                .put("stream_options", new JsonObject().put("include_usage", true))));
        JsonObject first = chunks.get(0).getJsonArray("choices").getJsonObject(0).getJsonObject("delta").getJsonArray("tool_calls")
                .getJsonObject(0);
        assertThat(first.getInteger("index")).isZero();
        assertThat(first.getString("id")).startsWith("call_");
        assertThat(first.getJsonObject("function").getString("name")).isEqualTo("get_weather");
        StringBuilder arguments = new StringBuilder();
        String finish = null;
        for (JsonObject chunk : chunks) {
            for (Object o : chunk.getJsonArray("choices")) {
                JsonObject choice = (JsonObject) o;
                if (choice.getJsonObject("delta").getValue("tool_calls") instanceof JsonArray calls) {
                    arguments.append(calls.getJsonObject(0).getJsonObject("function").getString("arguments"));
                }
                finish = choice.getString("finish_reason", finish);
            }
        }
        assertThat(chunks.size()).as("arguments in several pieces").isGreaterThan(4);
        assertThat(new JsonObject(arguments.toString())).isEqualTo(ARGUMENTS);
        assertThat(finish).isEqualTo("tool_calls");
        assertThat(chunks.get(chunks.size() - 1).getJsonObject("usage").getLong("completion_tokens")).isEqualTo(12);
    }

    private static JsonObject responses(JsonArray input) {
        return new JsonObject().put("model", "gpt-4o-mini").put("input", input).put("tools", new JsonArray().add(new JsonObject()
                .put("type", "function").put("name", "get_weather").put("parameters", SCHEMA).put("strict", true)));
    }

    private static JsonArray responsesAsk() {
        return new JsonArray().add(new JsonObject().put("role", "user").put("content", "Weather in Paris?"));
    }

    @Test
    void responsesAnswerWithAFunctionCallItemThenText() throws Exception {
        JsonObject first = new JsonObject(post("/v1/responses", responses(responsesAsk())));
        JsonObject item = first.getJsonArray("output").getJsonObject(0);
        assertThat(item.getString("type")).isEqualTo("function_call");
        assertThat(item.getString("id")).startsWith("fc_");
        assertThat(item.getString("call_id")).startsWith("call_");
        assertThat(item.getString("name")).isEqualTo("get_weather");
        assertThat(item.getString("status")).isEqualTo("completed");
        assertThat(new JsonObject(item.getString("arguments"))).isEqualTo(ARGUMENTS);
        assertThat(first.getJsonObject("usage").getLong("output_tokens")).isEqualTo(12);

        JsonArray answered = responsesAsk().add(item.copy())
                .add(new JsonObject().put("type", "function_call_output").put("call_id", item.getString("call_id")).put("output", "Sunny"));
        JsonObject second = new JsonObject(post("/v1/responses", responses(answered)));
        assertThat(second.getJsonArray("output").getJsonObject(0).getString("type")).isEqualTo("message");
        JsonObject stuck = new JsonObject(post("/v1/responses", responses(answered), "x-mock-tool-loop", "1"));
        assertThat(stuck.getJsonArray("output").getJsonObject(0).getString("arguments")).isEqualTo(item.getString("arguments"));
    }

    @Test
    void responsesStreamTheCallWithArgumentDeltas() throws Exception {
        List<JsonObject> events = events(post("/v1/responses", responses(responsesAsk()).put("stream", true)));
        List<String> types = events.stream().map(e -> e.getString("type")).distinct().toList();
        assertThat(types).containsExactly("response.created", "response.in_progress", "response.output_item.added",
                "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
                "response.completed");
        StringBuilder arguments = new StringBuilder();
        events.stream().filter(e -> e.getString("type").equals("response.function_call_arguments.delta"))
                .forEach(e -> arguments.append(e.getString("delta")));
        JsonObject done = events.stream().filter(e -> e.getString("type").equals("response.function_call_arguments.done")).findFirst()
                .orElseThrow();
        assertThat(done.getString("arguments")).isEqualTo(arguments.toString());
        assertThat(new JsonObject(arguments.toString())).isEqualTo(ARGUMENTS);
        JsonObject completed = events.get(events.size() - 1).getJsonObject("response");
        assertThat(completed.getJsonArray("output").getJsonObject(0).getString("type")).isEqualTo("function_call");
        assertThat(completed.getJsonObject("usage").getLong("output_tokens")).isEqualTo(12);
        for (int i = 0; i < events.size(); i++) {
            assertThat(events.get(i).getInteger("sequence_number")).isEqualTo(i);
        }
    }

    private static JsonObject messages(JsonArray messages) {
        return new JsonObject().put("model", "claude-test").put("max_tokens", 100).put("messages", messages)
                .put("tools", new JsonArray().add(new JsonObject().put("type", "web_search_20250305").put("name", "web_search"))
                        .add(new JsonObject().put("name", "get_weather").put("input_schema", SCHEMA)));
    }

    @Test
    void anthropicAnswersWithAToolUseBlockThenTextAfterTheToolResult() throws Exception {
        JsonObject first = new JsonObject(post("/v1/messages", messages(ask())));
        assertThat(first.getString("stop_reason")).isEqualTo("tool_use");
        JsonObject block = first.getJsonArray("content").getJsonObject(0);
        assertThat(block.getString("type")).isEqualTo("tool_use");
        assertThat(block.getString("id")).startsWith("toolu_");
        assertThat(block.getString("name")).as("the first client tool, not a server tool").isEqualTo("get_weather");
        assertThat(block.getJsonObject("input")).isEqualTo(ARGUMENTS);
        assertThat(first.getJsonObject("usage").getLong("output_tokens")).isEqualTo(12);

        JsonArray answered = ask().add(new JsonObject().put("role", "assistant").put("content", new JsonArray().add(block)))
                .add(new JsonObject().put("role", "user").put("content", new JsonArray().add(new JsonObject().put("type", "tool_result")
                        .put("tool_use_id", block.getString("id")).put("content", "Sunny"))));
        JsonObject second = new JsonObject(post("/v1/messages", messages(answered)));
        assertThat(second.getString("stop_reason")).isEqualTo("end_turn");
        assertThat(second.getJsonArray("content").getJsonObject(0).getString("type")).isEqualTo("text");
        JsonObject stuck = new JsonObject(post("/v1/messages", messages(answered), "x-mock-tool-loop", "1"));
        assertThat(stuck.getJsonArray("content").getJsonObject(0).getJsonObject("input")).isEqualTo(ARGUMENTS);
    }

    @Test
    void anthropicStreamsTheToolUseAsInputJsonDeltas() throws Exception {
        List<JsonObject> events = events(post("/v1/messages", messages(ask()).put("stream", true)));
        JsonObject start = events.stream().filter(e -> e.getString("type").equals("content_block_start")).findFirst().orElseThrow();
        assertThat(start.getJsonObject("content_block").getString("type")).isEqualTo("tool_use");
        assertThat(start.getJsonObject("content_block").getString("name")).isEqualTo("get_weather");
        assertThat(start.getJsonObject("content_block").getJsonObject("input")).isEmpty();
        StringBuilder json = new StringBuilder();
        events.stream().filter(e -> e.getString("type").equals("content_block_delta")).forEach(e -> {
            assertThat(e.getJsonObject("delta").getString("type")).isEqualTo("input_json_delta");
            json.append(e.getJsonObject("delta").getString("partial_json"));
        });
        assertThat(new JsonObject(json.toString())).isEqualTo(ARGUMENTS);
        assertThat(events.stream().map(e -> e.getString("type")).toList()).contains("content_block_stop").endsWith("message_delta",
                "message_stop");
        JsonObject delta = events.get(events.size() - 2);
        assertThat(delta.getJsonObject("delta").getString("stop_reason")).isEqualTo("tool_use");
        assertThat(delta.getJsonObject("usage").getLong("output_tokens")).isEqualTo(12);
    }

    @Test
    void aRequestWithoutToolsIsAnsweredWithTextAsBefore() throws Exception {
        JsonObject reply = new JsonObject(post("/v1/chat/completions", new JsonObject().put("model", "gpt-4o-mini").put("messages", ask()),
                "x-mock-tool-loop", "1"));
        assertThat(reply.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content"))
                .isEqualTo("mock mock mock mock mock mock mock mock mock mock mock mock");
    }
}
