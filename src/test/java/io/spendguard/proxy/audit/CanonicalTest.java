package io.spendguard.proxy.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The canonical form: sorted keys at every level, no whitespace, nulls in objects left out. */
class CanonicalTest {
    /** The form as Jackson's own key ordering writes it, from a deep sorted copy without nulls. */
    private static String reference(Object value) throws Exception {
        return JsonMapper.builder().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build().writeValueAsString(plain(value));
    }

    private static Object plain(Object v) {
        if (v instanceof JsonObject o) {
            return plain(o.getMap());
        }
        if (v instanceof JsonArray a) {
            return plain(a.getList());
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new TreeMap<>();
            m.forEach((k, x) -> {
                if (x != null) {
                    out.put(String.valueOf(k), plain(x));
                }
            });
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(x -> out.add(plain(x)));
            return out;
        }
        return v;
    }

    @Test
    void sortsEveryLevelDropsNullMembersAndKeepsValuesExact() throws Exception {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("zeta", 1);
        inner.put("Alpha", "é \"quoted\" \\ \n tab\t \u0001 \u2028 😀");
        inner.put("gone", null);
        inner.put("list", Arrays.asList(3L, null, "x", new JsonObject().put("b", 2).put("a", true)));
        Map<String, Object> value = new HashMap<>();
        value.put("seq", 42L);
        value.put("data", inner);
        value.put("spec", new JsonObject().put("limit_usd", 12.5).put("window", "day").putNull("tz")
                .put("rules", new JsonArray().add(new JsonObject().put("when", "x > 1").put("id", "r1"))));
        value.put("flag", false);
        value.put("max", Long.MAX_VALUE);
        value.put("empty", Map.of());
        value.put("", "empty key");
        value.put("b", List.of());

        String json = Canonical.json(value);
        assertThat(json).isEqualTo(reference(value));
        assertThat(json).startsWith("{\"\":\"empty key\",\"b\":[],\"data\":{\"Alpha\":")
                .doesNotContain("gone").doesNotContain("tz").doesNotContain(" :").contains("[3,null,\"x\",{\"a\":true,\"b\":2}]");
        assertThat(Canonical.json(Map.of("k", "v"))).isEqualTo("{\"k\":\"v\"}");
        // an event's facts are kept in key order and written as they are: the same bytes
        Map<String, Object> facts = new HashMap<>(inner);
        facts.put("spec", value.get("spec"));
        AuditEvent event = new AuditEvent(AuditEvent.COMMIT, "b", facts);
        assertThat(Canonical.json(event.data())).isEqualTo(reference(facts));
    }

    @Test
    void theHashIsTheSha256OfTheUtf8BytesOfTheText() throws Exception {
        Map<String, Object> value = Map.of("model", "gpt-ü-模型-\uD83D\uDE00", "n", 7L, "q", "a\"b\\c\n\u0001");
        Canonical.Hashed hashed = Canonical.hashed(value);
        assertThat(hashed.json()).isEqualTo(reference(value));
        assertThat(hashed.sha256Hex()).isEqualTo(Canonical.sha256Hex(hashed.json()));
        byte[] utf8 = hashed.json().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(hashed.sha256Hex()).isEqualTo(Canonical.sha256Hex(utf8, 0, utf8.length));
    }

    @Test
    void aLoneSurrogateFromAClientStillGivesARecord() {
        Map<String, Object> value = Map.of("run_id", "x\uD800y");
        Canonical.Hashed hashed = Canonical.hashed(value);
        assertThat(hashed.sha256Hex()).isEqualTo(Canonical.sha256Hex(hashed.json()));
    }
}
