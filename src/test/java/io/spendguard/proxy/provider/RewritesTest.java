package io.spendguard.proxy.provider;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.engine.Mutation;
import io.spendguard.proxy.provider.openai.OpenAiChat;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The rewrites a decision makes: DEGRADE mutations and the output cap, written to the shape's own fields. */
class RewritesTest {
    private final OpenAiChat chat = new OpenAiChat();

    @Test
    void degradeSwitchesTheModelAndKeepsEverythingElse() {
        JsonObject body = new JsonObject("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":900}");

        JsonObject out = Rewrites.degrade(chat, body, new Mutation("gpt-4o-mini", null, null));

        assertThat(out.getString("model")).isEqualTo("gpt-4o-mini");
        assertThat(out.getInteger("max_tokens")).isEqualTo(900);
        assertThat(out.getJsonArray("messages")).isEqualTo(body.getJsonArray("messages"));
        assertThat(body.getString("model")).as("the original is not changed").isEqualTo("gpt-4o");
    }

    @Test
    void degradeWritesTheOutputLimitToTheFieldTheRequestUses() {
        JsonObject legacy = new JsonObject("{\"model\":\"gpt-4o\",\"messages\":[],\"max_tokens\":900}");
        JsonObject current = new JsonObject("{\"model\":\"gpt-4o\",\"messages\":[],\"max_completion_tokens\":900}");
        JsonObject unset = new JsonObject("{\"model\":\"o3\",\"messages\":[]}");
        Mutation cap = new Mutation(null, 100, 0.5);

        assertThat(Rewrites.degrade(chat, legacy, cap).getInteger("max_tokens")).isEqualTo(100);
        assertThat(Rewrites.degrade(chat, current, cap).getInteger("max_completion_tokens")).isEqualTo(100);
        JsonObject out = Rewrites.degrade(chat, unset, cap);
        assertThat(out.getInteger("max_completion_tokens")).isEqualTo(100);
        assertThat(out.containsKey("max_tokens")).isFalse();
        assertThat(out.getDouble("temperature")).isEqualTo(0.5);
    }

    @Test
    void capOutputInsertsTheLimitAndLeavesEveryOtherByteAsSent() {
        String sent = " {\"model\":\"gpt-4o\",\n  \"messages\":[{\"role\":\"user\",\"content\":\"caf\\u00e9\"}]}";
        JsonObject body = new JsonObject(sent);

        Rewrites.Rewritten out = Rewrites.capOutput(chat, Buffer.buffer(sent), body, 4096);

        assertThat(out.body().toString()).isEqualTo(" {\"max_completion_tokens\":4096,\"model\":\"gpt-4o\",\n  \"messages\":[{\"role\":\"user\",\"content\":\"caf\\u00e9\"}]}");
        assertThat(new JsonObject(out.body())).isEqualTo(out.json());
        assertThat(out.json().getInteger("max_completion_tokens")).isEqualTo(4096);
    }

    @Test
    void capOutputLeavesARequestWithItsOwnLimitAlone() {
        String sent = "{\"model\":\"gpt-4o\",\"max_tokens\":10,\"messages\":[]}";

        assertThat(Rewrites.capOutput(chat, Buffer.buffer(sent), new JsonObject(sent), 4096)).isNull();
    }

    @Test
    void capOutputReplacesALimitSentAsNullRatherThanAddingASecondOne() {
        String sent = "{\"model\":\"gpt-4o\",\"messages\":[],\"max_tokens\":null}";

        Rewrites.Rewritten out = Rewrites.capOutput(chat, Buffer.buffer(sent), new JsonObject(sent), 512);

        JsonObject forwarded = RequestJson.parse(out.body());
        assertThat(forwarded.getInteger("max_tokens")).isEqualTo(512);
        assertThat(forwarded).isEqualTo(out.json());
    }
}
