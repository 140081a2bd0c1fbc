package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * On a machine with no PostgreSQL server named and no server binaries installed, the PostgreSQL
 * suites end as skipped, not failed, so the test command passes there; under CI, which installs the
 * binaries, the same machine fails them instead. Each case runs the suites in a JVM of its own
 * (this class's {@link #main}) with that environment: no {@code SPENDGUARD_TEST_PG_URL}, a
 * {@code PATH} and binary search path holding only an empty directory.
 */
class PostgresWithoutServerTest {
    private static final List<String> SUITES = List.of("io.spendguard.proxy.ledger.postgres.PostgresLedgerTest",
            "io.spendguard.proxy.PostgresAuditTamperTest", "io.spendguard.proxy.PostgresCrashTest",
            "io.spendguard.proxy.TwoProxiesOnePostgresTest");
    private static final Pattern SUMMARY = Pattern.compile("tests=(\\d+) succeeded=(\\d+) aborted=(\\d+) failed=(\\d+) containersFailed=(\\d+)");

    @TempDir
    Path dir;

    @Test
    void postgresSuitesAreSkippedWithTheReasonWhenThereIsNoServerAndNoBinaries() throws Exception {
        String out = runSuites(false);

        Matcher m = SUMMARY.matcher(out);
        assertThat(m.find()).as(out).isTrue();
        assertThat(Integer.parseInt(m.group(1))).as("tests found").isGreaterThanOrEqualTo(20);
        assertThat(m.group(3)).as("every test skipped; output:\n%s", out).isEqualTo(m.group(1));
        assertThat(List.of(m.group(2), m.group(4), m.group(5))).as("none ran, none failed; output:\n%s", out)
                .containsOnly("0");
        assertThat(out).contains("NOT TESTED: no server (SPENDGUARD_TEST_PG_URL is unset) and no PostgreSQL server binaries");
        assertThat(out.lines().filter(l -> l.startsWith("*** SKIPPED")).count()).as("the reason is printed once").isEqualTo(1);
    }

    @Test
    void underCiTheSameMachineFailsThemLoudly() throws Exception {
        String out = runSuites(true);

        Matcher m = SUMMARY.matcher(out);
        assertThat(m.find()).as(out).isTrue();
        assertThat(m.group(4)).as("every test failed; output:\n%s", out).isEqualTo(m.group(1));
        assertThat(out).contains("CI=true but the PostgreSQL ledger is NOT TESTED");
    }

    /** Runs {@link #SUITES} in a child JVM on a machine without PostgreSQL; returns its output. */
    private String runSuites(boolean ci) throws Exception {
        Path empty = Files.createDirectory(dir.resolve("empty-bin"));
        Path log = dir.resolve("run.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dspendguard.test.pg.bin-path=" + empty, "-cp", System.getProperty("java.class.path"),
                PostgresWithoutServerTest.class.getName()));
        command.addAll(SUITES);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.remove("SPENDGUARD_TEST_PG_URL");
        env.remove("CI");
        env.put("PATH", empty.toString());
        if (ci) {
            env.put("CI", "true");
        }
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("the suites did not finish in 120 s:\n" + Files.readString(log));
        }
        String out = Files.readString(log);
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    /** Runs the named test classes with the JUnit Platform and prints a one-line summary and every failure. */
    public static void main(String[] classes) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(java.util.Arrays.stream(classes).map(c -> selectClass(c)).toList()).build();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        TestExecutionListener failures = new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (result.getStatus() == TestExecutionResult.Status.FAILED) {
                    System.out.println("FAILED " + id.getDisplayName() + ": " + result.getThrowable().map(Throwable::toString).orElse(""));
                }
            }
        };
        LauncherFactory.create().execute(request, summary, failures);
        TestExecutionSummary s = summary.getSummary();
        System.out.println("tests=" + s.getTestsFoundCount() + " succeeded=" + s.getTestsSucceededCount() + " aborted="
                + s.getTestsAbortedCount() + " failed=" + s.getTestsFailedCount() + " containersFailed=" + s.getContainersFailedCount());
        System.exit(0);
    }
}
