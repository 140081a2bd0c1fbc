package io.spendguard.proxy.ops;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Prometheus's own linter, {@code promtool check metrics}, run on a scrape. promtool comes with the
 * Debian package {@code prometheus}, which {@code .ci/run} installs. Without it on the PATH a test that
 * needs it is skipped with one line, except under CI ({@code CI=true}), where it fails: CI must lint.
 */
final class Promtool {
    private Promtool() {
    }

    /** Skips the calling test when promtool is not on the PATH, or fails it when {@code CI=true}. */
    static void assumeInstalled() {
        assumeInstalled(System.getenv());
    }

    /** As {@link #assumeInstalled()}, for the process environment {@code env}. */
    static void assumeInstalled(Map<String, String> env) {
        if (onPath(env.get("PATH"))) {
            return;
        }
        String why = "promtool is not on the PATH (Debian package: prometheus): the /metrics lint is NOT RUN";
        if ("true".equalsIgnoreCase(env.get("CI"))) {
            Assertions.fail("CI=true but " + why);
        }
        Assumptions.abort(why);
    }

    private static boolean onPath(String path) {
        return path != null && Arrays.stream(path.split(File.pathSeparator))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, "promtool")));
    }

    /** The lines {@code promtool check metrics} prints for {@code scrape} (fed on its standard input); empty when it passes. */
    static List<String> checkMetrics(String scrape) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        try {
            // promtool reads all of its input before it writes a line, so this cannot deadlock
            try (OutputStream in = p.getOutputStream()) {
                in.write(scrape.getBytes(StandardCharsets.UTF_8));
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("promtool check metrics did not finish in 60 s");
            }
            return out.lines().filter(l -> !l.isBlank()).toList();
        } finally {
            p.destroyForcibly();
        }
    }
}
