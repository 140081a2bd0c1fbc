package io.spendguard.proxy;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real proxy in its own JVM ({@code serve --config FILE}, on this test run's classpath), for
 * tests that need separate processes or a hard crash: start it with a config text, wait until it
 * listens, kill it with SIGKILL, restart it on the same config. Output goes to a log file beside
 * the config (read it with {@link #log()}), so a chatty process never blocks on a full pipe.
 */
public final class ProxyProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("proxy on [^\\s:]+:(\\d+), admin on [^\\s:]+:(\\d+)");
    private static final long START_TIMEOUT_MS = 90_000;

    private final Path config;
    private final Path logFile;
    private Process process;
    private int port;
    private int adminPort;

    private ProxyProcess(Path config, Path logFile) {
        this.config = config;
        this.logFile = logFile;
    }

    /** Writes {@code yaml} to {@code dir/name.yaml} and starts a proxy on it; returns once it listens. */
    public static ProxyProcess start(Path dir, String name, String yaml) throws Exception {
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, yaml);
        ProxyProcess p = new ProxyProcess(config, dir.resolve(name + ".log"));
        p.launch();
        return p;
    }

    private void launch() throws Exception {
        Files.writeString(logFile, "");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        process = new ProcessBuilder(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                // one data-plane instance: `serve` with listen.port 0 and several instances fails to bind (EADDRINUSE)
                "-XX:ActiveProcessorCount=1",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve", "--config", config.toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        while (true) {
            Matcher m = LISTENING.matcher(log());
            if (m.find()) {
                port = Integer.parseInt(m.group(1));
                adminPort = Integer.parseInt(m.group(2));
                return;
            }
            if (!process.isAlive() || System.currentTimeMillis() > deadline) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("proxy did not start (" + (process.isAlive() ? "timed out" : "exit " + process.exitValue())
                        + "); its output:\n" + log());
            }
            Thread.sleep(50);
        }
    }

    public int port() {
        return port;
    }

    public int adminPort() {
        return adminPort;
    }

    /** A data-plane URI on this proxy. */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** An admin API URI on this proxy. */
    public URI admin(String path) {
        return URI.create("http://127.0.0.1:" + adminPort + path);
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed or settled. Returns once the process is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("proxy did not die");
        }
    }

    /** Starts the proxy again on the same config (and so the same ledger); the ports may change. */
    public ProxyProcess restart() throws Exception {
        if (process.isAlive()) {
            kill();
        }
        launch();
        return this;
    }

    /** Everything the process has printed so far. */
    public String log() throws IOException {
        return Files.readString(logFile, StandardCharsets.UTF_8);
    }

    /** Stops the process (SIGTERM: a clean shutdown), forcibly if it does not exit in time. */
    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}
