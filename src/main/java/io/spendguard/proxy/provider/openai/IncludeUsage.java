package io.spendguard.proxy.provider.openai;

import io.spendguard.proxy.provider.Fields;
import io.spendguard.proxy.provider.Rewrites;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * The {@code stream_options.include_usage} option of OpenAI chat and legacy completions: without it a
 * stream reports no usage, so the proxy asks for it on the client's behalf (the one rewrite it makes
 * on its own) and the shape's scanner drops the usage chunk again.
 */
final class IncludeUsage {
    private static final byte[] OPTION = "\"stream_options\":{\"include_usage\":true},".getBytes(StandardCharsets.UTF_8);

    private IncludeUsage() { }

    /** Checks the types of {@code stream_options} and its {@code include_usage}. */
    static void validate(JsonObject body) {
        JsonObject options = Fields.optionalObject(body, "stream_options", "stream_options");
        if (options != null) {
            Fields.optionalBool(options, "include_usage", "stream_options.include_usage", false);
        }
    }

    /** The body to send so the stream reports usage, or null when the client already asked for it. */
    static Buffer request(Buffer original, JsonObject body) {
        if (!body.containsKey("stream_options")) {
            return Rewrites.insertAfterOpeningBrace(original, OPTION);
        }
        JsonObject options = body.getJsonObject("stream_options");
        if (options != null && Boolean.TRUE.equals(options.getValue("include_usage"))) {
            return null;
        }
        JsonObject copy = body.copy();
        copy.put("stream_options", (options == null ? new JsonObject() : options.copy()).put("include_usage", true));
        return copy.toBuffer();
    }
}
