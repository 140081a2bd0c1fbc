package io.spendguard.proxy.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.spendguard.proxy.config.GateMode;
import io.spendguard.proxy.config.LedgerKind;
import io.spendguard.proxy.config.ProxyConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * {@code deploy/}: the dashboard and the alert rules use only metric names the proxy really exports
 * (taken from a real proxy's {@code /metrics} after a scripted run), the compose stack wires the ports
 * its configs listen on, and the image runs as the uid the sidecar socket expects.
 */
class DeployArtifactsTest {
    static final Path DEPLOY = Path.of("deploy");
    private static final Pattern METRIC = Pattern.compile("(?<![a-z_:])spendguard_[a-z0-9_]+");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static ScriptedRun run;
    private static Set<String> exported;

    @BeforeAll
    static void scrape() throws Exception {
        run = ScriptedRun.start();
        exported = run.scrape().names();
    }

    @AfterAll
    static void stop() throws Exception {
        run.close();
    }

    static Set<String> metricNames(String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            names.add(m.group());
        }
        return names;
    }

    @Test
    void dashboardQueriesOnlyExportedMetrics() throws Exception {
        JsonObject dashboard = new JsonObject(Files.readString(DEPLOY.resolve("grafana/dashboards/spendguard.json")));
        List<String> exprs = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (Object o : dashboard.getJsonArray("panels")) {
            JsonObject panel = (JsonObject) o;
            assertThat(ids.add(panel.getInteger("id"))).as("unique panel id " + panel.getInteger("id")).isTrue();
            if (!"row".equals(panel.getString("type"))) {
                JsonArray targets = panel.getJsonArray("targets");
                assertThat(targets).as(panel.getString("title")).isNotEmpty();
                targets.forEach(t -> exprs.add(((JsonObject) t).getString("expr")));
            }
        }
        Set<String> used = metricNames(String.join("\n", exprs));
        assertThat(used).as("metrics the dashboard queries").hasSizeGreaterThanOrEqualTo(15);
        assertThat(exported).containsAll(used);
        // the panels the issue asks for
        String all = String.join("\n", exprs);
        assertThat(all).contains("spendguard_budget_committed_usd_micros_total", "spendguard_budget_remaining_usd_micros",
                "spendguard_decisions_total", "outcome=\"stopped\"", "outcome=\"approval_required\"",
                "spendguard_committed_usd_micros_total", "spendguard_gate_duration_seconds_bucket",
                "spendguard_upstream_duration_seconds_bucket", "spendguard_estimate_ratio_bucket", "spendguard_streams_active");
        assertThat(all).contains("histogram_quantile(0.5", "histogram_quantile(0.99");
    }

    @Test
    void alertRulesUseOnlyExportedMetrics() throws Exception {
        String rules = Files.readString(DEPLOY.resolve("prometheus/alerts.yml"));
        Set<String> used = metricNames(rules);
        assertThat(used).contains("spendguard_budget_remaining_usd_micros", "spendguard_gate_failures_total",
                "spendguard_fail_open_total", "spendguard_settlement_failures_total", "spendguard_overrun_usd_micros_total",
                "spendguard_gate_duration_seconds_bucket");
        assertThat(exported).containsAll(used);
        Set<String> alerts = new TreeSet<>();
        YAML.readTree(rules).path("groups").forEach(g -> g.path("rules").forEach(r -> {
            if (r.has("alert")) {
                alerts.add(r.get("alert").asText());
            }
        }));
        assertThat(alerts).contains("SpendGuardBudget80PercentSpent", "SpendGuardBudgetExhausted", "SpendGuardGateFailures",
                "SpendGuardFailOpen", "SpendGuardSettlementFailures", "SpendGuardOverrun", "SpendGuardGateLatencyHigh");
    }

    @Test
    void composeScrapesThePortsTheConfigsListenOn() throws Exception {
        JsonNode services = compose().path("services");
        assertThat(services.fieldNames()).toIterable()
                .contains("proxy", "sidecar", "postgres", "mock-provider", "prometheus", "grafana");
        ProxyConfig proxy = ShippedConfigs.load(Files.readString(DEPLOY.resolve("config/proxy.yaml")), "deploy/config/proxy.yaml");
        ProxyConfig sidecar = ShippedConfigs.load(Files.readString(DEPLOY.resolve("config/sidecar.yaml")), "deploy/config/sidecar.yaml");
        assertThat(proxy.gate().mode()).isEqualTo(GateMode.SIDECAR);
        assertThat(proxy.gate().sidecar().socket()).isEqualTo(sidecar.gate().sidecar().socket()).startsWith("/var/run/spendguard/");
        assertThat(sidecar.ledger().kind()).isIn(LedgerKind.POSTGRES, LedgerKind.MEMORY);
        assertThat(ShippedConfigs.ledgerKind(Files.readString(DEPLOY.resolve("config/sidecar.yaml")), ShippedConfigs.SECRETS, "sidecar")).isEqualTo("postgres");

        JsonNode prometheus = YAML.readTree(DEPLOY.resolve("prometheus/prometheus.yml").toFile());
        Set<String> targets = new TreeSet<>();
        prometheus.path("scrape_configs").forEach(j -> j.path("static_configs").forEach(s -> s.path("targets").forEach(t -> targets.add(t.asText()))));
        assertThat(targets).containsExactlyInAnyOrder("proxy:" + proxy.admin().endpoint().port(), "sidecar:" + sidecar.admin().endpoint().port());
        assertThat(prometheus.path("rule_files").get(0).asText()).isEqualTo("alerts.yml");

        assertThat(ports(services.path("proxy"))).contains(proxy.listen().port() + ":" + proxy.listen().port());
        for (String name : List.of("proxy", "sidecar", "mock-provider")) {
            JsonNode s = services.path(name);
            assertThat(s.path("user").asText()).as(name).isEqualTo("65532:65532");
            assertThat(s.path("read_only").asBoolean()).as(name).isTrue();
        }
        assertThat(volumeTargets(services.path("proxy"))).contains("socket:/var/run/spendguard");
        assertThat(volumeTargets(services.path("sidecar"))).contains("socket:/var/run/spendguard");
    }

    @Test
    void grafanaProvisionsTheDashboardFromItsMountedFolder() throws Exception {
        JsonNode compose = compose();
        JsonNode provider = YAML.readTree(DEPLOY.resolve("grafana/provisioning/dashboards/spendguard.yaml").toFile()).path("providers").get(0);
        assertThat(volumeTargets(compose.path("services").path("grafana")))
                .contains("./grafana/dashboards:" + provider.path("options").path("path").asText() + ":ro");
        JsonNode datasource = YAML.readTree(DEPLOY.resolve("grafana/provisioning/datasources/prometheus.yaml").toFile())
                .path("datasources").get(0);
        JsonObject dashboard = new JsonObject(Files.readString(DEPLOY.resolve("grafana/dashboards/spendguard.json")));
        JsonObject variable = dashboard.getJsonObject("templating").getJsonArray("list").getJsonObject(0);
        assertThat(variable.getString("query")).isEqualTo(datasource.path("type").asText());
        assertThat(datasource.path("url").asText()).isEqualTo("http://prometheus:9090");
    }

    @Test
    void imageRunsAsTheSocketUidWithoutWritingToItsRoot() throws Exception {
        String dockerfile = Files.readString(DEPLOY.resolve("Dockerfile"));
        assertThat(dockerfile).contains("USER 65532:65532", "EXPOSE 8080 8081", "-XX:MaxRAMPercentage=", "-Djava.io.tmpdir=/tmp",
                "-Dvertx.disableFileCPResolving=true", "chown 65532:65532 /var/run/spendguard /var/lib/spendguard");
        assertThat(dockerfile.lines().filter(l -> l.startsWith("FROM "))).as("multi-stage").hasSize(2);
    }

    /** compose.yaml with its {@code <<: *anchor} merge keys applied (SnakeYAML resolves them; Jackson does not). */
    static JsonNode compose() throws Exception {
        Object loaded = new Yaml().load(Files.readString(DEPLOY.resolve("compose.yaml")));
        return YAML.valueToTree(loaded);
    }

    private static List<String> ports(JsonNode service) {
        List<String> out = new ArrayList<>();
        service.path("ports").forEach(p -> out.add(p.asText().replaceFirst("^127\\.0\\.0\\.1:", "")));
        return out;
    }

    private static List<String> volumeTargets(JsonNode service) {
        List<String> out = new ArrayList<>();
        service.path("volumes").forEach(v -> out.add(v.asText()));
        return out;
    }
}
