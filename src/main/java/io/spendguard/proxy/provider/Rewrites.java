package io.spendguard.proxy.provider;

import io.spendguard.proxy.engine.Mutation;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * The request rewrites the proxy makes on a decision's behalf, each written to the fields the API
 * shape names: a DEGRADE mutation, and the output cap of {@code cap_output_to_reservation}.
 */
public final class Rewrites {
    private Rewrites() { }

    /** A copy of {@code body} with {@code m} applied (the output limit goes to the shape's own field). */
    public static JsonObject degrade(ApiShape shape, JsonObject body, Mutation m) {
        JsonObject out = body.copy();
        if (m.model() != null) {
            out.put("model", m.model());
        }
        String limitField = shape.outputLimitField(body);
        if (m.maxOutputTokens() != null && limitField != null) {
            out.put(limitField, m.maxOutputTokens());
        }
        if (m.temperature() != null) {
            out.put("temperature", m.temperature());
        }
        return out;
    }

    /** A rewritten request: the bytes to send and the same request as JSON. */
    public record Rewritten(Buffer body, JsonObject json) { }

    /**
     * For a request that sets no output limit, {@code original} with the limit field set to
     * {@code tokens} (inserted as the first member; every other byte as sent), so the provider cannot
     * produce more than the hold covers. Null when the request sets a limit or the API has none. A
     * field sent as {@code null} is replaced in a re-encoded body: inserting a second member of that
     * name would leave the provider reading the last one, the {@code null}.
     */
    public static Rewritten capOutput(ApiShape shape, Buffer original, JsonObject body, long tokens) {
        String field = shape.outputLimitField(body);
        if (field == null || body.getValue(field) != null) {
            return null;
        }
        long cap = Math.max(1, tokens);
        if (body.containsKey(field)) {
            JsonObject capped = body.copy().put(field, cap);
            return new Rewritten(capped.toBuffer(), capped);
        }
        byte[] member = ("\"" + field + "\":" + cap + ",").getBytes(StandardCharsets.UTF_8);
        return new Rewritten(insertAfterOpeningBrace(original, member), body.copy().put(field, cap));
    }

    /**
     * Inserts {@code member} right after the body's opening brace, leaving every other byte as sent.
     * The body is a parsed JSON object, so its first {@code {} byte is that brace (after any BOM or whitespace).
     * Public for the shapes' own rewrites of that kind (OpenAI's {@code stream_options.include_usage}).
     */
    public static Buffer insertAfterOpeningBrace(Buffer original, byte[] member) {
        int i = 0;
        while (i < original.length() && original.getByte(i) != '{') {
            i++;
        }
        Buffer out = Buffer.buffer(original.length() + member.length);
        out.appendBuffer(original, 0, i + 1).appendBytes(member).appendBuffer(original, i + 1, original.length() - i - 1);
        return out;
    }
}
