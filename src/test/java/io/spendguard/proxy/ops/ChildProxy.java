package io.spendguard.proxy.ops;

import io.spendguard.proxy.Main;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code spendguard-proxy serve --config FILE} as a real child process (a JVM of its own, so it can
 * be sent SIGTERM), with everything it prints captured and its bound ports read from its banner.
 */
final class ChildProxy {
    private static final Pattern BANNER = Pattern.compile("proxy on [^:]+:(\\d+), admin on [^:]+:(\\d+)");

    final Process process;
    final int port;
    final int adminPort;
    private final List<String> output = new ArrayList<>();
    private final Thread reader;

    private ChildProxy(Process process) throws Exception {
        this.process = process;
        reader = new Thread(this::read, "child-proxy-output");
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Matcher m = null;
        while (m == null) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                process.destroyForcibly();
                throw new AssertionError("the proxy did not start:\n" + String.join("\n", lines()));
            }
            for (String line : lines()) {
                Matcher candidate = BANNER.matcher(line);
                if (candidate.find()) {
                    m = candidate;
                }
            }
            Thread.sleep(20);
        }
        port = Integer.parseInt(m.group(1));
        adminPort = Integer.parseInt(m.group(2));
    }

    /** Starts the proxy with {@code yaml} written to a config file in {@code dir}. */
    static ChildProxy start(Path dir, String yaml) throws Exception {
        Path config = dir.resolve("spendguard.yaml");
        Files.writeString(config, yaml);
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve", "--config", config.toString())
                .redirectErrorStream(true).start();
        return new ChildProxy(p);
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                synchronized (output) {
                    output.add(line);
                }
            }
        } catch (java.io.IOException e) {
            // the process is gone
        }
    }

    List<String> lines() {
        synchronized (output) {
            return List.copyOf(output);
        }
    }

    /** Everything printed so far; once the process has exited, everything it printed. */
    String output() throws InterruptedException {
        if (!process.isAlive()) {
            reader.join(TimeUnit.SECONDS.toMillis(10));
        }
        return String.join("\n", lines());
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    URI admin(String path) {
        return URI.create("http://127.0.0.1:" + adminPort + path);
    }

    /** SIGTERM, as Kubernetes sends it (through the handle: {@link Process#destroy} would also close our end of its output). */
    void terminate() {
        process.toHandle().destroy();
    }

    void kill() {
        process.destroyForcibly();
    }
}
