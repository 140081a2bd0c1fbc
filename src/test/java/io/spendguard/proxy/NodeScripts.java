package io.spendguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The Node side of the interop tests (src/test/node): installs its pinned packages and runs its scripts. */
public final class NodeScripts {
    public static final Path DIR = Path.of("src/test/node");

    private NodeScripts() { }

    /** Runs {@code npm ci} from the lock file unless every named package is already installed. */
    public static void install(String... packages) throws Exception {
        boolean present = true;
        for (String p : packages) {
            present &= Files.isDirectory(DIR.resolve("node_modules").resolve(p));
        }
        if (present) {
            return;
        }
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
                .directory(DIR.toFile()).redirectErrorStream(true).start();
        String out = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(npm.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(npm.exitValue()).as("npm ci in src/test/node: " + out).isZero();
    }

    /**
     * Runs {@code node script} with {@code env} to completion and returns the JSON lines it printed,
     * keyed by their {@code key} field; fails unless all {@code expected} keys are there.
     */
    public static Map<String, JsonObject> run(String script, Map<String, String> env, String key, String... expected)
            throws Exception {
        ProcessBuilder pb = new ProcessBuilder("node", script).directory(DIR.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(env);
        Process node = pb.start();
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Map<String, JsonObject> lines = new HashMap<>();
        for (String line : out.split("\n")) {
            if (line.startsWith("{")) {
                JsonObject o = new JsonObject(line);
                lines.put(o.getString(key), o);
            }
        }
        assertThat(lines).as("output of " + script + ": " + out).containsKeys(expected);
        return lines;
    }
}
