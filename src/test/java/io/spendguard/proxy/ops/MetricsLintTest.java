package io.spendguard.proxy.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * What a Prometheus user reads: after a scripted run, {@code promtool check metrics} finds nothing to
 * say about any {@code spendguard_*} family on {@code /metrics} (every family has HELP text, counters
 * end in {@code _total}, units are in the name), for the proxy with its embedded engine and, in
 * sidecar mode, for both the proxy and the sidecar. JVM and Vert.x families are theirs to name.
 * Without promtool on the PATH these tests are skipped, or fail under {@code CI=true} (see {@link Promtool}).
 */
class MetricsLintTest {
    @Test
    void embeddedProxyFamiliesPassPromtool() throws Exception {
        Promtool.assumeInstalled();
        ScriptedRun run = ScriptedRun.start();
        try {
            assertLintFree("proxy (embedded engine)", run.metricsText());
        } finally {
            run.close();
        }
    }

    @Test
    void sidecarModeProxyAndSidecarFamiliesPassPromtool() throws Exception {
        Promtool.assumeInstalled();
        ScriptedRun run = ScriptedRun.startWithSidecar();
        try {
            assertLintFree("proxy (gate.mode: sidecar)", run.proxyMetricsText());
            assertLintFree("sidecar", run.metricsText());
        } finally {
            run.close();
        }
    }

    @Test
    void promtoolIsHeardWhenAFamilyHasNoHelp() throws Exception {
        Promtool.assumeInstalled();
        // the lint is only worth something if promtool's complaints about our families reach the assertion
        String bare = "# TYPE spendguard_example_total counter\nspendguard_example_total 1\n";
        assertThat(Promtool.checkMetrics(bare)).anyMatch(l -> l.contains("spendguard_example_total") && l.contains("no help text"));
    }

    @Test
    void withoutPromtoolTheLintIsSkippedWithOneLineButFailsUnderCi() {
        Map<String, String> noPromtool = Map.of("PATH", "/nonexistent-dir");
        assertThatThrownBy(() -> Promtool.assumeInstalled(noPromtool)).isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("promtool is not on the PATH").hasMessageContaining("NOT RUN");
        assertThatThrownBy(() -> Promtool.assumeInstalled(Map.of("PATH", "/nonexistent-dir", "CI", "true")))
                .isInstanceOf(AssertionFailedError.class).hasMessageStartingWith("CI=true but promtool is not on the PATH");
    }

    private static void assertLintFree(String process, String scrape) throws Exception {
        List<String> families = scrape.lines().filter(l -> l.startsWith("# HELP spendguard_")).toList();
        assertThat(families).as(process + ": spendguard_* families with HELP on /metrics").isNotEmpty();
        List<String> complaints = Promtool.checkMetrics(scrape);
        assertThat(complaints.stream().filter(l -> l.contains("spendguard_")).toList())
                .as(process + ": promtool check metrics on /metrics said:\n" + String.join("\n", complaints))
                .isEmpty();
    }
}
