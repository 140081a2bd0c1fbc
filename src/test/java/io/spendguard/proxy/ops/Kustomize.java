package io.spendguard.proxy.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The part of kustomize the {@code k8s/} tree uses, and nothing more: {@code resources} (files and
 * directories), {@code namespace}, and strategic-merge {@code patches} by {@code path}. Lists merge by
 * the Kubernetes merge keys of the fields we patch (containers and volumes by name, mounts by path,
 * ports by port); a custom resource's lists are replaced, as kustomize does. Anything else in a
 * kustomization fails the build, so the overlays cannot drift into features this does not check.
 */
final class Kustomize {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> KEYS = Set.of("apiVersion", "kind", "namespace", "resources", "patches");
    private static final Map<String, String> MERGE_KEYS = Map.of(
            "containers", "name", "initContainers", "name", "volumes", "name", "env", "name", "volumeMounts", "mountPath");
    private static final Set<String> BUILT_IN = Set.of("v1", "apps/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1");
    private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace");

    private Kustomize() { }

    /** The objects {@code kubectl kustomize dir} would print, in order. */
    static List<ObjectNode> build(Path dir) throws IOException {
        JsonNode k = YAML.readTree(dir.resolve("kustomization.yaml").toFile());
        k.fieldNames().forEachRemaining(f -> {
            if (!KEYS.contains(f)) {
                throw new AssertionError(dir + "/kustomization.yaml: " + f + " is not supported by this build");
            }
        });
        List<ObjectNode> out = new ArrayList<>();
        for (JsonNode r : k.path("resources")) {
            Path p = dir.resolve(r.asText()).normalize();
            out.addAll(Files.isDirectory(p) ? build(p) : read(p));
        }
        for (JsonNode patch : k.path("patches")) {
            if (patch.size() != 1 || !patch.has("path")) {
                throw new AssertionError(dir + ": patches other than {path: FILE} are not supported: " + patch);
            }
            for (ObjectNode p : read(dir.resolve(patch.get("path").asText()))) {
                ObjectNode target = find(out, p.path("kind").asText(), p.path("metadata").path("name").asText());
                merge(target, p, BUILT_IN.contains(p.path("apiVersion").asText()));
            }
        }
        if (k.has("namespace")) {
            out.stream().filter(o -> !CLUSTER_SCOPED.contains(o.path("kind").asText()))
                    .forEach(o -> ((ObjectNode) o.get("metadata")).put("namespace", k.get("namespace").asText()));
        }
        return out;
    }

    /** Every document of a (multi-document) YAML file. */
    static List<ObjectNode> read(Path file) throws IOException {
        List<ObjectNode> docs = new ArrayList<>();
        try (YAMLParser parser = new YAMLFactory().createParser(file.toFile())) {
            YAML.readValues(parser, JsonNode.class).forEachRemaining(d -> {
                if (d instanceof ObjectNode o) {
                    docs.add(o);
                }
            });
        }
        return docs;
    }

    static ObjectNode find(List<ObjectNode> objects, String kind, String name) {
        List<ObjectNode> found = objects.stream()
                .filter(o -> o.path("kind").asText().equals(kind) && o.path("metadata").path("name").asText().equals(name)).toList();
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " objects " + kind + "/" + name + " (expected: exactly 1)");
        }
        return found.get(0);
    }

    private static void merge(ObjectNode target, JsonNode patch, boolean strategic) {
        patch.fields().forEachRemaining(e -> {
            String field = e.getKey();
            JsonNode value = e.getValue();
            JsonNode current = target.get(field);
            if (value.isNull()) {
                target.remove(field);
            } else if (value.isObject() && current instanceof ObjectNode c) {
                merge(c, value, strategic);
            } else if (strategic && value.isArray() && current instanceof ArrayNode c && mergeKey(field, value) != null) {
                mergeList(c, (ArrayNode) value, mergeKey(field, value), strategic);
            } else {
                target.set(field, value.deepCopy());
            }
        });
    }

    private static String mergeKey(String field, JsonNode items) {
        if (field.equals("ports")) {
            return items.path(0).has("containerPort") ? "containerPort" : "port";
        }
        return MERGE_KEYS.get(field);
    }

    private static void mergeList(ArrayNode target, ArrayNode patch, String key, boolean strategic) {
        for (JsonNode item : patch) {
            ObjectNode match = null;
            for (JsonNode t : target) {
                if (t.path(key).equals(item.path(key))) {
                    match = (ObjectNode) t;
                }
            }
            if (match == null) {
                target.add(item.deepCopy());
            } else {
                merge(match, item, strategic);
            }
        }
    }
}
