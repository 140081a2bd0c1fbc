package io.spendguard.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.spendguard.proxy.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The command line explains itself: help for every command, usage errors on stderr with exit 2, the
 * version; and asking for help starts nothing.
 */
class SpendGuardCliTest {
    /** One in-process run: exit code, stdout, stderr, and whether it left servers running. */
    private record Run(int exit, String out, String err, boolean serving) { }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        SpendGuardCli cli = new SpendGuardCli();
        int exit = cli.execute(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), cli.keepsRunning());
    }

    /** Every command (as typed after {@code spendguard-proxy}) and what its help must name. */
    static Stream<Arguments> commands() {
        return Stream.of(
                Arguments.of("demo", List.of("--sidecar")),
                Arguments.of("serve", List.of("--config=FILE")),
                Arguments.of("sidecar", List.of("--config=FILE", "--socket=PATH", "--drain-seconds=N")),
                Arguments.of("mock-provider", List.of("--host=HOST", "--port=N", "--latency-ms=N", "--chunk-delay-ms=N", "--output-tokens=N")),
                Arguments.of("audit", List.of("verify", "export", "keygen")),
                Arguments.of("audit verify", List.of("--config=FILE", "Exit codes:")),
                Arguments.of("audit export", List.of("--config=FILE", "--out=PATH", "--since=SEQ")),
                Arguments.of("audit keygen", List.of("--out=PATH")));
    }

    private static String[] words(String command, String... more) {
        List<String> all = new ArrayList<>(List.of(command.split(" ")));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @Test
    void helpListsEveryCommandOnStdoutAndExitsZero() {
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"-h"}, new String[] {"help"})) {
            Run r = run(args);
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.err()).isEmpty();
            assertThat(r.out()).startsWith("Usage: spendguard-proxy [-hV] COMMAND")
                    .contains("demo", "serve", "sidecar", "mock-provider", "audit", "help", "--version");
            assertThat(r.serving()).isFalse();
        }
    }

    @ParameterizedTest(name = "{0} --help")
    @MethodSource("commands")
    void everyCommandsHelpNamesItsOptionsAndStartsNothing(String command, List<String> options) {
        List<String[]> asked = new ArrayList<>(List.of(words(command, "--help"), words(command, "-h"), words("help " + command)));
        if (command.startsWith("audit ")) {
            asked.add(words(command.replace("audit ", "audit help ")));
        }
        for (String[] args : asked) {
            Run r = run(args);
            assertThat(r.exit()).as(String.join(" ", args) + ": " + r.err()).isZero();
            assertThat(r.err()).isEmpty();
            assertThat(r.out()).startsWith("Usage: spendguard-proxy " + command + " ").contains(options).contains("--help", "--version");
            assertThat(r.serving()).isFalse();
        }
    }

    @ParameterizedTest(name = "{0} --bogus")
    @MethodSource("commands")
    void anUnknownOptionPrintsTheCommandsUsageOnStderrAndExitsTwo(String command, List<String> options) {
        // (keygen's required --out given, else picocli names the missing option first)
        Run r = run(command.equals("audit keygen") ? words(command, "--out", "never-written.key", "--bogus") : words(command, "--bogus"));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("spendguard: Unknown option: '--bogus'").contains("Usage: spendguard-proxy " + command + " ")
                .contains(options);
        assertThat(r.serving()).isFalse();
    }

    @Test
    void anUnknownOrMissingCommandPrintsTheUsageOnStderrAndExitsTwo() {
        Run unknown = run("bogus");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.out()).isEmpty();
        assertThat(unknown.err()).startsWith("spendguard: Unmatched argument at index 0: 'bogus'").contains("Usage: spendguard-proxy")
                .contains("serve", "mock-provider");

        Run typo = run("serv", "--config", "x.yaml");
        assertThat(typo.exit()).isEqualTo(2);
        assertThat(typo.err()).contains("Did you mean: spendguard-proxy serve").contains("Usage: spendguard-proxy");

        Run none = run();
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.out()).isEmpty();
        assertThat(none.err()).startsWith("spendguard: Missing required command").contains("Usage: spendguard-proxy");

        Run helpUnknown = run("help", "bogus");
        assertThat(helpUnknown.exit()).isEqualTo(2);
        assertThat(helpUnknown.err()).contains("Unknown command 'bogus'").contains("Usage: spendguard-proxy help");
    }

    @Test
    void badValuesAreUsageErrorsNamingTheOption() {
        Run port = run("mock-provider", "--port", "eighty");
        assertThat(port.exit()).isEqualTo(2);
        assertThat(port.err()).contains("Invalid value for option '--port': 'eighty' is not an int")
                .contains("Usage: spendguard-proxy mock-provider");

        Run drain = run("sidecar", "--drain-seconds", "-1");
        assertThat(drain.exit()).isEqualTo(2);
        assertThat(drain.err()).contains("--drain-seconds: -1 (expected: a whole number >= 0)").contains("Usage: spendguard-proxy sidecar");
        assertThat(drain.serving()).isFalse();

        Run missing = run("serve", "--config");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("Missing required parameter for option '--config' (FILE)");
    }

    @Test
    void aMissingConfigFileFailsWithExitOne() {
        Run r = run("serve", "--config", "no/such/spendguard.yaml");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).startsWith("spendguard: ").contains("no/such/spendguard.yaml").doesNotContain("Usage:");
        assertThat(r.serving()).isFalse();
    }

    @Test
    void versionPrintsTheProjectVersion() throws Exception {
        Matcher pom = Pattern.compile("<artifactId>spendguard-proxy</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(Path.of("pom.xml")));
        assertThat(pom.find()).isTrue();
        String expected = "spendguard-proxy " + pom.group(1) + System.lineSeparator();
        for (String[] args : List.of(new String[] {"--version"}, new String[] {"-V"}, new String[] {"serve", "--version"},
                new String[] {"audit", "verify", "--version"})) {
            Run r = run(args);
            assertThat(r.exit()).isZero();
            assertThat(r.out()).isEqualTo(expected);
            assertThat(r.err()).isEmpty();
        }
    }

    /** Launched as the jar is (Main in a JVM of its own) from an empty directory, which it must leave empty. */
    static Stream<Arguments> launches() {
        return Stream.of(
                Arguments.of(List.of("serve", "--help"), 0, "Usage: spendguard-proxy serve"),
                Arguments.of(List.of("mock-provider", "--help"), 0, "Usage: spendguard-proxy mock-provider"),
                Arguments.of(List.of("sidecar", "--help"), 0, "Usage: spendguard-proxy sidecar"),
                Arguments.of(List.of("demo", "--help"), 0, "Usage: spendguard-proxy demo"),
                Arguments.of(List.of("help", "serve"), 0, "Usage: spendguard-proxy serve"),
                Arguments.of(List.of("--version"), 0, "spendguard-proxy "),
                Arguments.of(List.of("serve", "--bogus"), 2, "Unknown option: '--bogus'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("launches")
    void theProcessExitsOnItsOwnHavingStartedNothing(List<String> args, int expectedExit, String expected, @TempDir Path cwd) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(args);
        Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true).start();
        // A started server would keep the JVM alive: exiting on its own is the proof nothing was started.
        boolean exited = p.waitFor(30, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(exited).as(printed).isTrue();
        assertThat(p.exitValue()).as(printed).isEqualTo(expectedExit);
        assertThat(printed).contains(expected).doesNotContainPattern("proxy on [0-9a-z.]+:\\d")
                .doesNotContainPattern("mock provider on port \\d").doesNotContain("spendguard sidecar: socket");
        try (Stream<Path> left = Files.list(cwd)) {
            assertThat(left).as("nothing created (no data/ directory)").isEmpty();
        }
    }
}
