package io.spendguard.proxy.ops;

import static io.spendguard.proxy.ops.Manifests.all;
import static io.spendguard.proxy.ops.Manifests.one;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.spendguard.proxy.ProxyHarness;
import io.spendguard.proxy.config.GateMode;
import io.spendguard.proxy.config.ProxyConfig;
import java.io.File;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code k8s/}: every overlay builds, every object loads into the Kubernetes model with no unknown
 * field, and the manifests agree with the code: container ports are the ports the config listens on,
 * probes hit admin routes a real proxy serves, the proxy and the sidecar share one socket directory
 * and one uid, secrets come from Secrets, and the network policies leave the proxy as the only way out.
 */
class K8sManifestsTest {
    static final Path K8S = Path.of("k8s");
    static final List<String> OVERLAYS = List.of("embedded", "sidecar", "ha");
    static final long UID = 65532;
    private static ProxyHarness proxy;

    @BeforeAll
    static void startProxy() throws Exception {
        proxy = ProxyHarness.start(ScriptedRun.CONFIG);
    }

    @AfterAll
    static void stopProxy() throws Exception {
        proxy.close();
    }

    static List<HasMetadata> overlay(String name) throws Exception {
        return Manifests.load(Kustomize.build(K8S.resolve("overlays").resolve(name)));
    }

    static Deployment deployment(List<HasMetadata> r) {
        return one(r, Deployment.class, "spendguard-proxy");
    }

    static List<Container> containers(PodSpec pod) {
        return Stream.concat(pod.getInitContainers().stream(), pod.getContainers().stream()).toList();
    }

    static Container container(PodSpec pod, String name) {
        return containers(pod).stream().filter(c -> c.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no container " + name));
    }

    /** The container's environment as the process sees it; secret and config-map values are stand-ins. */
    static Map<String, String> env(Container c) {
        Map<String, String> env = new HashMap<>();
        for (EnvVar e : c.getEnv()) {
            env.put(e.getName(), e.getValue() != null ? e.getValue() : ShippedConfigs.SECRETS.get(e.getName()));
        }
        return env;
    }

    /** The config file the container's {@code --config} names, read from the ConfigMap mounted there. */
    static String configText(List<HasMetadata> r, PodSpec pod, Container c) {
        Path file = Path.of(c.getArgs().get(c.getArgs().indexOf("--config") + 1));
        VolumeMount mount = c.getVolumeMounts().stream().filter(m -> file.startsWith(m.getMountPath())).findFirst()
                .orElseThrow(() -> new AssertionError(c.getName() + ": nothing mounted at " + file));
        Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
        ConfigMap map = one(r, ConfigMap.class, volume.getConfigMap().getName());
        String text = map.getData().get(file.getFileName().toString());
        assertThat(text).as(c.getName() + ": " + file + " in ConfigMap " + map.getMetadata().getName()).isNotNull();
        return text;
    }

    static ProxyConfig config(List<HasMetadata> r, PodSpec pod, Container c) {
        return ShippedConfigs.load(configText(r, pod, c), env(c), c.getName() + " config");
    }

    static int port(Container c, String name) {
        return c.getPorts().stream().filter(p -> name.equals(p.getName())).mapToInt(ContainerPort::getContainerPort).findFirst()
                .orElseThrow(() -> new AssertionError(c.getName() + ": no port named " + name));
    }

    static int resolve(Container c, IntOrString port) {
        return port.getIntVal() != null ? port.getIntVal() : port(c, port.getStrVal());
    }

    @Test
    void everyOverlayBuildsIntoKnownKubernetesObjects() throws Exception {
        for (String o : OVERLAYS) {
            Set<String> kinds = new TreeSet<>();
            overlay(o).forEach(r -> kinds.add(r.getKind()));
            assertThat(kinds).as(o).contains("Namespace", "ServiceAccount", "ConfigMap", "Deployment", "Service", "ServiceMonitor",
                    "NetworkPolicy");
            overlay(o).stream().filter(r -> !r.getKind().equals("Namespace"))
                    .forEach(r -> assertThat(r.getMetadata().getNamespace()).as(o + " " + r.getKind()).isEqualTo("spendguard"));
        }
        assertThat(overlay("embedded")).anyMatch(PersistentVolumeClaim.class::isInstance);
        assertThat(overlay("ha")).anyMatch(HorizontalPodAutoscaler.class::isInstance).anyMatch(PodDisruptionBudget.class::isInstance);
        assertThat(Manifests.load(Kustomize.build(K8S.resolve("agent-namespace")))).singleElement().isInstanceOf(NetworkPolicy.class);
    }

    @Test
    void aMisspeltFieldFailsTheLoad() throws Exception {
        ObjectNode d = Kustomize.find(Kustomize.build(K8S.resolve("base")), "Deployment", "spendguard-proxy");
        ((ObjectNode) d.path("spec").path("template").path("spec").path("containers").get(0)).put("imagePullPolcy", "Always");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Manifests.load(d))
                .hasMessageContaining("fields unknown to the Kubernetes schema").hasMessageContaining("imagePullPolcy");
    }

    @Test
    void buildsWhatKubectlKustomizeBuilds() throws Exception {
        Assumptions.assumeTrue(onPath("kubectl"), "kubectl is not installed: the overlays are built by the test's own kustomize only");
        for (String dir : List.of("base", "overlays/embedded", "overlays/sidecar", "overlays/ha", "agent-namespace")) {
            Process p = new ProcessBuilder("kubectl", "kustomize", K8S.resolve(dir).toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            Path tmp = Files.createTempFile("kustomize", ".yaml");
            try {
                Files.writeString(tmp, out);
                assertThat(canonical(Kustomize.read(tmp))).as(dir).isEqualTo(canonical(Kustomize.build(K8S.resolve(dir))));
            } finally {
                Files.delete(tmp);
            }
        }
    }

    @Test
    void containerPortsAreThePortsTheConfigListensOn() throws Exception {
        for (String o : OVERLAYS) {
            List<HasMetadata> r = overlay(o);
            PodSpec pod = deployment(r).getSpec().getTemplate().getSpec();
            Container proxyContainer = container(pod, "proxy");
            ProxyConfig config = config(r, pod, proxyContainer);
            assertThat(port(proxyContainer, "http")).as(o).isEqualTo(config.listen().port());
            assertThat(port(proxyContainer, "admin")).as(o).isEqualTo(config.admin().endpoint().port());
            assertThat(config.listen().host()).isEqualTo("0.0.0.0");
            assertThat(config.admin().endpoint().host()).as("probes and Prometheus reach the admin port from outside").isEqualTo("0.0.0.0");
            Service service = one(r, Service.class, "spendguard-proxy");
            assertThat(deployment(r).getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(service.getSpec().getSelector());
            for (ServicePort sp : service.getSpec().getPorts()) {
                int target = containers(pod).stream().filter(c -> c.getPorts().stream().anyMatch(p -> sp.getTargetPort().getStrVal().equals(p.getName())))
                        .mapToInt(c -> port(c, sp.getTargetPort().getStrVal())).findFirst()
                        .orElseThrow(() -> new AssertionError(o + ": service port " + sp.getName() + " targets no container port"));
                assertThat(sp.getPort()).as(o + " " + sp.getName()).isEqualTo(target);
            }
        }
        List<HasMetadata> sidecar = overlay("sidecar");
        PodSpec pod = deployment(sidecar).getSpec().getTemplate().getSpec();
        Container c = container(pod, "sidecar");
        assertThat(port(c, "sidecar-admin")).isEqualTo(config(sidecar, pod, c).admin().endpoint().port())
                .isNotEqualTo(port(container(pod, "proxy"), "admin"));
    }

    @Test
    void probesHitAdminRoutesARealProxyServes() throws Exception {
        Set<String> paths = new TreeSet<>();
        for (String o : OVERLAYS) {
            List<HasMetadata> r = overlay(o);
            PodSpec pod = deployment(r).getSpec().getTemplate().getSpec();
            for (Container c : containers(pod)) {
                int admin = config(r, pod, c).admin().endpoint().port();
                assertThat(c.getLivenessProbe().getHttpGet().getPath()).as(o + " " + c.getName()).isEqualTo("/healthz");
                assertThat(c.getReadinessProbe().getHttpGet().getPath()).as(o + " " + c.getName()).isEqualTo("/readyz");
                for (Probe p : List.of(c.getStartupProbe(), c.getLivenessProbe(), c.getReadinessProbe())) {
                    assertThat(resolve(c, p.getHttpGet().getPort())).as(o + " " + c.getName() + " probe port").isEqualTo(admin);
                    paths.add(p.getHttpGet().getPath());
                }
            }
        }
        for (String path : paths) {
            HttpResponse<String> res = proxy.http.send(HttpRequest.newBuilder(proxy.admin(path)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(res.statusCode()).as(path + " on a running proxy").isEqualTo(200);
        }
    }

    @Test
    void proxyAndSidecarShareOneSocketDirectoryAndOneUid() throws Exception {
        List<HasMetadata> r = overlay("sidecar");
        PodSpec pod = deployment(r).getSpec().getTemplate().getSpec();
        Container proxyContainer = container(pod, "proxy");
        Container sidecar = container(pod, "sidecar");
        assertThat(sidecar.getRestartPolicy()).as("a native sidecar: up before the proxy, stopped after it").isEqualTo("Always");
        assertThat(pod.getInitContainers()).contains(sidecar);
        ProxyConfig proxyConfig = config(r, pod, proxyContainer);
        assertThat(proxyConfig.gate().mode()).isEqualTo(GateMode.SIDECAR);
        Path socket = Path.of(proxyConfig.gate().sidecar().socket());
        Path served = Path.of(sidecar.getArgs().get(sidecar.getArgs().indexOf("--socket") + 1));
        assertThat(served).isEqualTo(socket).isEqualTo(Path.of(config(r, pod, sidecar).gate().sidecar().socket()));
        VolumeMount proxyMount = mountOf(proxyContainer, socket);
        VolumeMount sidecarMount = mountOf(sidecar, socket);
        assertThat(proxyMount.getName()).isEqualTo(sidecarMount.getName());
        assertThat(proxyMount.getMountPath()).isEqualTo(sidecarMount.getMountPath()).isEqualTo(socket.getParent().toString());
        Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(proxyMount.getName())).findFirst().orElseThrow();
        assertThat(volume.getEmptyDir()).as("the socket directory is an emptyDir").isNotNull();
        assertThat(uid(pod, proxyContainer)).isEqualTo(uid(pod, sidecar)).isEqualTo(UID);
        assertThat(config(r, pod, sidecar).gate().sidecar().tenantId()).isEqualTo(proxyConfig.gate().sidecar().tenantId()).isNotBlank();
    }

    @Test
    void embeddedKeepsItsSqliteLedgerOnThePersistentVolume() throws Exception {
        List<HasMetadata> r = overlay("embedded");
        Deployment d = deployment(r);
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        Container c = container(pod, "proxy");
        assertThat(d.getSpec().getReplicas()).isEqualTo(1);
        assertThat(d.getSpec().getStrategy().getType()).isEqualTo("Recreate");
        assertThat(d.getSpec().getStrategy().getRollingUpdate()).isNull();
        assertThat(ShippedConfigs.ledgerKind(configText(r, pod, c), env(c), "embedded")).isEqualTo("sqlite");
        Path db = Path.of(config(r, pod, c).ledger().path());
        VolumeMount mount = mountOf(c, db);
        Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
        String claim = volume.getPersistentVolumeClaim().getClaimName();
        assertThat(one(r, PersistentVolumeClaim.class, claim).getSpec().getAccessModes()).containsExactly("ReadWriteOnce");
    }

    @Test
    void haRunsReplicasOnPostgresWithAutoscalingAndADisruptionBudget() throws Exception {
        List<HasMetadata> r = overlay("ha");
        Deployment d = deployment(r);
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        Container c = container(pod, "proxy");
        assertThat(d.getSpec().getReplicas()).isGreaterThanOrEqualTo(2);
        assertThat(d.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
        assertThat(ShippedConfigs.ledgerKind(configText(r, pod, c), env(c), "ha")).isEqualTo("postgres");
        assertThat(config(r, pod, c).ledger().url()).isEqualTo(ShippedConfigs.SECRETS.get("SPENDGUARD_LEDGER_URL"));
        EnvVar url = c.getEnv().stream().filter(e -> e.getName().equals("SPENDGUARD_LEDGER_URL")).findFirst().orElseThrow();
        assertThat(url.getValueFrom().getSecretKeyRef().getName()).isEqualTo("spendguard-ledger");
        HorizontalPodAutoscaler hpa = one(r, HorizontalPodAutoscaler.class, "spendguard-proxy");
        assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo(d.getMetadata().getName());
        assertThat(hpa.getSpec().getMinReplicas()).isGreaterThanOrEqualTo(2).isLessThanOrEqualTo(hpa.getSpec().getMaxReplicas());
        PodDisruptionBudget pdb = one(r, PodDisruptionBudget.class, "spendguard-proxy");
        assertThat(d.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
        assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(all(r, NetworkPolicy.class)).anyMatch(np -> np.getSpec().getEgress().stream()
                .flatMap(e -> e.getPorts().stream()).anyMatch(p -> p.getPort().getIntVal() == 5432));
    }

    @Test
    void secretsComeFromSecretReferencesAndContainersAreLockedDown() throws Exception {
        for (String o : OVERLAYS) {
            List<HasMetadata> r = overlay(o);
            PodSpec pod = deployment(r).getSpec().getTemplate().getSpec();
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
            assertThat(pod.getAutomountServiceAccountToken()).isFalse();
            Container proxyContainer = container(pod, "proxy");
            long drainSeconds = config(r, pod, proxyContainer).shutdown().graceMs() / 1000
                    + proxyContainer.getLifecycle().getPreStop().getSleep().getSeconds();
            assertThat(pod.getTerminationGracePeriodSeconds()).as(o + ": the kubelet waits for the drain").isGreaterThan(drainSeconds);
            for (Container c : containers(pod)) {
                String where = o + " " + c.getName();
                for (EnvVar e : c.getEnv()) {
                    if (e.getName().matches(".*(TOKEN|API_KEY|LEDGER_URL).*")) {
                        assertThat(e.getValue()).as(where + " " + e.getName() + " is never a literal").isNull();
                        assertThat(e.getValueFrom().getSecretKeyRef()).as(where + " " + e.getName()).isNotNull();
                    }
                }
                EnvVar token = c.getEnv().stream().filter(e -> e.getName().equals("SPENDGUARD_ADMIN_TOKEN")).findFirst().orElseThrow();
                assertThat(token.getValueFrom().getSecretKeyRef().getOptional()).as(where).isNotEqualTo(Boolean.TRUE);
                assertThat(c.getResources().getRequests()).as(where).containsKeys("cpu", "memory");
                assertThat(c.getResources().getLimits()).as(where).containsKeys("cpu", "memory");
                assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).as(where).isTrue();
                assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).as(where).isFalse();
                assertThat(c.getSecurityContext().getCapabilities().getDrop()).as(where).containsExactly("ALL");
                assertThat(uid(pod, c)).as(where).isEqualTo(UID);
                VolumeMount tmp = mountOf(c, Path.of("/tmp/x"));
                assertThat(pod.getVolumes().stream().filter(v -> v.getName().equals(tmp.getName())).findFirst().orElseThrow().getEmptyDir())
                        .as(where + ": /tmp is writable").isNotNull();
            }
        }
    }

    @Test
    void networkPoliciesLeaveTheProxyAsTheOnlyWayOut() throws Exception {
        List<HasMetadata> base = Manifests.load(Kustomize.build(K8S.resolve("base")));
        Deployment d = deployment(base);
        Container c = container(d.getSpec().getTemplate().getSpec(), "proxy");
        Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();

        NetworkPolicy ingress = one(base, NetworkPolicy.class, "spendguard-proxy-ingress");
        assertThat(podLabels).containsAllEntriesOf(ingress.getSpec().getPodSelector().getMatchLabels());
        assertThat(ingress.getSpec().getPolicyTypes()).containsExactly("Ingress");
        Map<String, Set<Integer>> ingressPorts = new HashMap<>();
        for (NetworkPolicyIngressRule rule : ingress.getSpec().getIngress()) {
            assertThat(rule.getFrom()).hasSize(1);
            String from = rule.getFrom().get(0).getNamespaceSelector().getMatchLabels().toString();
            ingressPorts.put(from, ports(rule.getPorts()));
        }
        assertThat(ingressPorts).containsOnly(
                Map.entry(Map.of("spendguard.io/agents", "true").toString(), Set.of(port(c, "http"))),
                Map.entry(Map.of("kubernetes.io/metadata.name", "monitoring").toString(), Set.of(port(c, "admin"))));

        NetworkPolicy egress = one(base, NetworkPolicy.class, "spendguard-proxy-egress");
        assertThat(egress.getSpec().getPolicyTypes()).containsExactly("Egress");
        List<Set<Integer>> egressPorts = new ArrayList<>();
        for (NetworkPolicyEgressRule rule : egress.getSpec().getEgress()) {
            egressPorts.add(ports(rule.getPorts()));
            if (ports(rule.getPorts()).contains(443)) {
                assertThat(rule.getTo().get(0).getIpBlock().getCidr()).isEqualTo("0.0.0.0/0");
                assertThat(rule.getTo().get(0).getIpBlock().getExcept()).contains("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16");
            } else {
                assertThat(rule.getTo().get(0).getPodSelector().getMatchLabels()).containsEntry("k8s-app", "kube-dns");
            }
        }
        assertThat(egressPorts).containsExactlyInAnyOrder(Set.of(53), Set.of(443));

        NetworkPolicy agents = Manifests.load(Kustomize.build(K8S.resolve("agent-namespace"))).stream()
                .map(NetworkPolicy.class::cast).findFirst().orElseThrow();
        assertThat(agents.getSpec().getPodSelector().getMatchLabels()).as("every pod of the agent namespace").isNullOrEmpty();
        assertThat(agents.getSpec().getPolicyTypes()).containsExactly("Egress");
        boolean reachesProxy = false;
        for (NetworkPolicyEgressRule rule : agents.getSpec().getEgress()) {
            var peer = rule.getTo().get(0);
            assertThat(peer.getIpBlock()).as("no address block: nothing outside the cluster").isNull();
            if (ports(rule.getPorts()).equals(Set.of(53))) {
                assertThat(peer.getPodSelector().getMatchLabels()).containsEntry("k8s-app", "kube-dns");
            } else {
                assertThat(ports(rule.getPorts())).containsExactly(port(c, "http"));
                assertThat(peer.getNamespaceSelector().getMatchLabels()).containsExactly(
                        Map.entry("kubernetes.io/metadata.name", d.getMetadata().getNamespace()));
                assertThat(podLabels).containsAllEntriesOf(peer.getPodSelector().getMatchLabels());
                reachesProxy = true;
            }
        }
        assertThat(reachesProxy).isTrue();
    }

    @Test
    void serviceMonitorScrapesMetricsOnServicePorts() throws Exception {
        for (String o : OVERLAYS) {
            List<HasMetadata> r = overlay(o);
            GenericKubernetesResource sm = one(r, GenericKubernetesResource.class, "spendguard-proxy");
            assertThat(sm.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
            assertThat(sm.getKind()).isEqualTo("ServiceMonitor");
            JsonNode spec = new ObjectMapper().valueToTree(sm.getAdditionalProperties().get("spec"));
            assertThat(spec.properties()).extracting(Map.Entry::getKey).containsExactlyInAnyOrder("selector", "endpoints");
            Service service = one(r, Service.class, "spendguard-proxy");
            Map<String, String> selector = new ObjectMapper().convertValue(spec.path("selector").path("matchLabels"),
                    new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() { });
            assertThat(service.getMetadata().getLabels()).as("the ServiceMonitor selects the Service").containsAllEntriesOf(selector);
            Set<String> servicePorts = new TreeSet<>();
            service.getSpec().getPorts().forEach(p -> servicePorts.add(p.getName()));
            for (JsonNode e : spec.path("endpoints")) {
                assertThat(e.properties()).extracting(Map.Entry::getKey).isSubsetOf("port", "path", "interval");
                assertThat(e.path("path").asText()).isEqualTo("/metrics");
                assertThat(servicePorts).contains(e.path("port").asText());
            }
            assertThat(spec.path("endpoints")).hasSize(o.equals("sidecar") ? 2 : 1);
        }
        assertThat(proxy.adminGet("/metrics").body()).contains("spendguard_reserved_usd_micros_total", "spendguard_streams_active");
    }

    private static Set<Integer> ports(List<NetworkPolicyPort> ports) {
        Set<Integer> out = new TreeSet<>();
        ports.forEach(p -> out.add(p.getPort().getIntVal()));
        return out;
    }

    private static VolumeMount mountOf(Container c, Path file) {
        return c.getVolumeMounts().stream().filter(m -> file.startsWith(m.getMountPath()))
                .max((a, b) -> a.getMountPath().length() - b.getMountPath().length())
                .orElseThrow(() -> new AssertionError(c.getName() + ": nothing mounted over " + file));
    }

    private static long uid(PodSpec pod, Container c) {
        Long own = c.getSecurityContext() == null ? null : c.getSecurityContext().getRunAsUser();
        return own != null ? own : pod.getSecurityContext().getRunAsUser();
    }

    private static boolean onPath(String command) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    }

    /** Objects as sorted canonical JSON, lists order-free: merge order is not part of the contract. */
    private static List<String> canonical(List<ObjectNode> objects) {
        List<String> out = new ArrayList<>(objects.stream().map(o -> canonical((JsonNode) o)).toList());
        out.sort(null);
        return out;
    }

    private static String canonical(JsonNode n) {
        if (n.isObject()) {
            TreeSet<String> fields = new TreeSet<>();
            n.properties().forEach(e -> fields.add(e.getKey() + "=" + canonical(e.getValue())));
            return "{" + String.join(",", fields) + "}";
        }
        if (n.isArray()) {
            List<String> items = new ArrayList<>();
            n.forEach(i -> items.add(canonical(i)));
            items.sort(null);
            return "[" + String.join(",", items) + "]";
        }
        return n.isNumber() || n.isBoolean() ? n.asText() : "\"" + n.asText() + "\"";
    }
}
