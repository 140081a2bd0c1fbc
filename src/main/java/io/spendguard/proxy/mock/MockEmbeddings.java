package io.spendguard.proxy.mock;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

/**
 * OpenAI embeddings: {@code prompt_tokens} = {@code total_tokens} = {@link MockCall#promptTokens} of
 * the {@code input}. One vector per input of {@code dimensions} floats (8 when unset, to keep replies
 * small), sent as numbers or, with {@code encoding_format: base64} (what the official SDKs ask for),
 * as base64 of little-endian float32 values. Always JSON: the API does not stream.
 */
final class MockEmbeddings implements MockApi {
    private static final int DEFAULT_DIMENSIONS = 8;

    @Override
    public void reply(MockCall call) {
        JsonObject body = call.body();
        Object input = body.getValue("input");
        int inputs = input instanceof JsonArray list && !list.isEmpty() && !(list.getValue(0) instanceof Number) ? list.size() : 1;
        int dimensions = body.getValue("dimensions") instanceof Number n ? n.intValue() : DEFAULT_DIMENSIONS;
        boolean base64 = "base64".equals(body.getValue("encoding_format"));
        JsonArray data = new JsonArray();
        for (int i = 0; i < inputs; i++) {
            float[] vector = vector(call.sequence() + i, dimensions);
            data.add(new JsonObject().put("object", "embedding").put("index", i).put("embedding", base64 ? base64(vector) : numbers(vector)));
        }
        long tokens = call.promptTokens(input);
        JsonObject reply = new JsonObject().put("object", "list").put("data", data).put("model", body.getString("model", "text-embedding-3-small"));
        if (call.reportsUsage()) {
            reply.put("usage", new JsonObject().put("prompt_tokens", tokens).put("total_tokens", tokens));
        }
        call.openAiHeaders("emb-mock" + call.sequence());
        call.json(reply);
    }

    /** A unit-length vector that differs per seed. */
    private static float[] vector(long seed, int dimensions) {
        float[] v = new float[dimensions];
        double norm = 0;
        for (int j = 0; j < dimensions; j++) {
            v[j] = (float) Math.sin(seed * 31 + j + 1);
            norm += v[j] * v[j];
        }
        for (int j = 0; j < dimensions; j++) {
            v[j] = (float) (v[j] / Math.sqrt(norm));
        }
        return v;
    }

    private static JsonArray numbers(float[] vector) {
        JsonArray out = new JsonArray();
        for (float f : vector) {
            out.add(f);
        }
        return out;
    }

    private static String base64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : vector) {
            bytes.putFloat(f);
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}
