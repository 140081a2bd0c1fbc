package io.spendguard.proxy.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Built manifests as fabric8 Kubernetes model objects. The model keeps fields it does not know in
 * {@code additionalProperties} instead of failing, so every object in the tree is checked to have
 * none: a misspelt or misplaced field fails the load. Custom resources (ServiceMonitor) stay generic.
 */
final class Manifests {
    private static final KubernetesSerialization K8S = new KubernetesSerialization();

    private Manifests() { }

    static List<HasMetadata> load(List<ObjectNode> objects) {
        return objects.stream().map(Manifests::load).toList();
    }

    static HasMetadata load(ObjectNode object) {
        String where = object.path("kind").asText() + "/" + object.path("metadata").path("name").asText();
        HasMetadata resource = K8S.unmarshal(object.toString(), HasMetadata.class);
        assertThat(resource.getKind()).as(where).isEqualTo(object.path("kind").asText());
        if (!(resource instanceof GenericKubernetesResource)) {
            noUnknownFields(resource, where);
        }
        return resource;
    }

    /** Fails when any model object under {@code o} holds a field the Kubernetes schema does not have. */
    static void noUnknownFields(Object o, String path) {
        if (o == null) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object item : c) {
                noUnknownFields(item, path + "[" + i++ + "]");
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> noUnknownFields(v, path + "." + k));
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : o.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers()) || getter.getDeclaringClass() == Object.class
                    || !(getter.getName().startsWith("get") || getter.getName().startsWith("is"))) {
                continue;
            }
            Object value;
            try {
                value = getter.invoke(o);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue;
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                assertThat((Map<?, ?>) value).as(path + ": fields unknown to the Kubernetes schema").isNullOrEmpty();
            } else {
                noUnknownFields(value, path + "." + getter.getName().replaceFirst("^(get|is)", ""));
            }
        }
    }

    @SuppressWarnings("unchecked")
    static <T extends HasMetadata> T one(List<HasMetadata> resources, Class<T> type, String name) {
        List<HasMetadata> found = resources.stream().filter(r -> type.isInstance(r) && r.getMetadata().getName().equals(name)).toList();
        assertThat(found).as(type.getSimpleName() + "/" + name).hasSize(1);
        return (T) found.get(0);
    }

    @SuppressWarnings("unchecked")
    static <T extends HasMetadata> List<T> all(List<HasMetadata> resources, Class<T> type) {
        return resources.stream().filter(type::isInstance).map(r -> (T) r).toList();
    }
}
