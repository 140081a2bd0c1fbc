package io.spendguard.proxy.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.spendguard.proxy.error.ProxyError;
import io.spendguard.proxy.error.ProxyException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class RequestJsonTest {

    private static ProxyException refused(String json) {
        ProxyException e = catchThrowableOfType(ProxyException.class, () -> RequestJson.parse(Buffer.buffer(json)));
        assertThat(e).as("expected a refusal of %s", json).isNotNull();
        assertThat(e.error()).isEqualTo(ProxyError.INVALID_REQUEST);
        return e;
    }

    @Test
    void readsAnObjectAsVertxDoes() {
        String json = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"n\":2,\"t\":0.5}";
        assertThat(RequestJson.parse(Buffer.buffer(json))).isEqualTo(new JsonObject(json));
    }

    @Test
    void refusesBytesThatAreNotWellFormedUtf8ButReadsRealUtf8() {
        byte[][] bad = {{(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xC3}, {(byte) 0xFF}};
        for (byte[] b : bad) {
            Buffer body = Buffer.buffer("{\"model\":\"gpt-4o\",\"x\":\"").appendBytes(b).appendString("\"}");
            ProxyException e = catchThrowableOfType(ProxyException.class, () -> RequestJson.parse(body));
            assertThat(e).isNotNull();
            assertThat(e.getMessage()).contains("UTF-8");
        }
        assertThat(RequestJson.parse(Buffer.buffer("{\"x\":\"h\u00e9llo \u4f60\u597d \ud83d\ude00\"}")).getString("x"))
                .isEqualTo("h\u00e9llo \u4f60\u597d \ud83d\ude00");
    }

    @Test
    void refusesATopLevelKeySentTwiceNamingIt() {
        ProxyException e = refused("{\"model\":\"gpt-4o-mini\",\"messages\":[],\"model\":\"gpt-5-pro\"}");
        assertThat(e.param()).isEqualTo("model");
        assertThat(e.getMessage()).contains("'model'").contains("more than once");
    }

    @Test
    void refusesARepeatedKeyAtAnyDepthNamingItsPath() {
        ProxyException e = refused("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"x\",\"text\":\"y\"}]}]}");
        assertThat(e.param()).isEqualTo("messages[1].content[0].text");
        assertThat(e.getMessage()).contains("'text'").contains("messages[1].content[0].text");

        assertThat(refused("{\"a\":[[{\"b\":{\"c\":1,\"d\":2,\"e\":3,\"f\":4,\"c\":5}}]]}").param()).isEqualTo("a[0][0].b.c");
    }

    @Test
    void seesThroughEscapesInKeyNames() {
        assertThat(refused("{\"max_tokens\":10,\"max_tok\\u0065ns\":100000}").param()).isEqualTo("max_tokens");
    }

    @Test
    void theSameKeyInDifferentObjectsIsFine() {
        JsonObject o = RequestJson.parse(Buffer.buffer("{\"a\":{\"x\":1},\"b\":{\"x\":2},\"c\":[{\"x\":3},{\"x\":4}]}"));
        assertThat(o.getJsonObject("b").getInteger("x")).isEqualTo(2);
    }

    @Test
    void showsOnlyTheStartOfAHugeRepeatedKey() {
        String key = "k".repeat(10_000);
        ProxyException e = refused("{\"" + key + "\":1,\"" + key + "\":2}");
        assertThat(e.getMessage().length()).isLessThan(300);
        assertThat(e.param()).hasSize(RequestJson.SHOWN_KEY_CHARS + 1).endsWith("…");
    }

    @Test
    void refusesWhatIsNotAJsonObject() {
        for (String bad : new String[] {"", "[1]", "\"x\"", "42", "{\"a\":", "{\"a\":1} {}", "{\"a\":1}x", "\u0000{"}) {
            ProxyException e = refused(bad);
            assertThat(e.getMessage()).isEqualTo("The request body is not a valid JSON object.");
            assertThat(e.param()).isNull();
        }
    }

    @Test
    void acceptsCommentsAsVertxsCodecDid() {
        assertThat(RequestJson.parse(Buffer.buffer("{/* note */\"a\":1 // end\n}")).getInteger("a")).isEqualTo(1);
    }

    @Test
    void theUtf8CheckAgreesWithAStrictDecoderWhereverTheFirstNonAsciiByteFalls() {
        java.util.Random random = new java.util.Random(3);
        byte[][] tails = {{(byte) 0xc3, (byte) 0xa9}, {(byte) 0xc3}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, {(byte) 0xc0, (byte) 0xaf},
            {(byte) 0xf0, (byte) 0x9f, (byte) 0x98, (byte) 0x80}, {(byte) 0xff}};
        for (int length = 0; length < 40; length++) {
            for (byte[] tail : tails) {
                byte[] bytes = new byte[length + tail.length + random.nextInt(3)];
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = (byte) ('a' + random.nextInt(26));
                }
                System.arraycopy(tail, 0, bytes, length, tail.length);
                boolean strict;
                try {
                    java.nio.charset.StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes));
                    strict = true;
                } catch (java.nio.charset.CharacterCodingException e) {
                    strict = false;
                }
                assertThat(RequestJson.wellFormedUtf8(bytes)).as("%d bytes, tail at %d", bytes.length, length).isEqualTo(strict);
            }
        }
    }
}
