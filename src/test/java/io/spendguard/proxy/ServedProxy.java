package io.spendguard.proxy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code spendguard-proxy serve} as a separate JVM on this test's class path, with its config
 * written to a file: started, read back for its bound ports, and stopped cleanly or killed with
 * SIGKILL.
 */
final class ServedProxy implements AutoCloseable {
    private static final Pattern PORTS = Pattern.compile("proxy on [^:]+:(\\d+), admin on [^:]+:(\\d+)");

    private final Process process;
    final int port;
    final int adminPort;

    private ServedProxy(Process process, int port, int adminPort) {
        this.process = process;
        this.port = port;
        this.adminPort = adminPort;
    }

    /** Writes {@code yaml} to {@code dir/spendguard.yaml} and serves it; returns once the proxy says where it listens. */
    static ServedProxy start(Path dir, String yaml) throws Exception {
        Path config = dir.resolve("spendguard.yaml");
        Files.writeString(config, yaml);
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve", "--config", config.toString())
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.PIPE)
                .start();
        CompletableFuture<int[]> ports = new CompletableFuture<>();
        StringBuilder log = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    synchronized (log) {
                        log.append(line).append('\n');
                    }
                    Matcher m = PORTS.matcher(line);
                    if (m.find()) {
                        ports.complete(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
                    }
                }
            } catch (IOException e) {
                // the process went away
            }
            ports.completeExceptionally(new IllegalStateException("the proxy exited before listening:\n" + log));
        }, "served-proxy-output");
        reader.setDaemon(true);
        reader.start();
        try {
            int[] bound = ports.get(60, TimeUnit.SECONDS);
            return new ServedProxy(p, bound[0], bound[1]);
        } catch (Exception e) {
            p.destroyForcibly();
            throw e;
        }
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    URI admin(String path) {
        return URI.create("http://127.0.0.1:" + adminPort + path);
    }

    /** SIGKILL: no shutdown hook, no flush, nothing settled on the way out. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            kill();
        }
    }
}
