package io.spendguard.proxy.ledger.postgres;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A PostgreSQL cluster of this test JVM's own: created with the installed server binaries in a
 * temporary directory, listening on a free loopback port, started on first use and stopped (its
 * directory deleted) when the JVM exits. As root the server runs as the {@code postgres} user,
 * because {@code initdb} refuses to run as root.
 *
 * <p>The binaries are looked for in {@code /usr/lib/postgresql/<version>/bin} (the newest version
 * first), then on the {@code PATH}. The system property {@value #BIN_PATH} replaces that search by a
 * list of directories of its own; the tests use it to play a machine without PostgreSQL.
 */
final class ThrowawayPostgres {
    /** Directories ({@link File#pathSeparator}-separated) searched for {@code initdb} instead of the defaults. */
    static final String BIN_PATH = "spendguard.test.pg.bin-path";

    private static final Path DEBIAN_VERSIONS = Path.of("/usr/lib/postgresql");
    private static final int START_ATTEMPTS = 5;
    private static final long COMMAND_TIMEOUT_S = 60;

    private final Path bin;
    private final Path dir;
    private final boolean asPostgresUser;

    private ThrowawayPostgres(Path bin, Path dir, boolean asPostgresUser) {
        this.bin = bin;
        this.dir = dir;
        this.asPostgresUser = asPostgresUser;
    }

    /** The directory holding {@code initdb} and {@code pg_ctl}, if PostgreSQL's server binaries are installed. */
    static Optional<Path> findBinaries() {
        List<Path> candidates = new ArrayList<>();
        String override = System.getProperty(BIN_PATH);
        if (override != null) {
            candidates.addAll(directories(override));
        } else {
            candidates.addAll(debianVersions());
            candidates.addAll(directories(Optional.ofNullable(System.getenv("PATH")).orElse("")));
        }
        return candidates.stream()
                .filter(d -> Files.isExecutable(d.resolve("initdb")) && Files.isExecutable(d.resolve("pg_ctl")))
                .findFirst();
    }

    private static List<Path> directories(String path) {
        return Stream.of(path.split(File.pathSeparator)).filter(s -> !s.isBlank()).map(Path::of).collect(Collectors.toList());
    }

    private static List<Path> debianVersions() {
        try (Stream<Path> versions = Files.list(DEBIAN_VERSIONS)) {
            return versions.map(v -> v.resolve("bin"))
                    .sorted(Comparator.comparing((Path b) -> versionOf(b.getParent().getFileName().toString())).reversed())
                    .collect(Collectors.toList());
        } catch (IOException e) {
            return List.of();
        }
    }

    private static double versionOf(String name) {
        try {
            return Double.parseDouble(name);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Creates and starts a cluster with the binaries in {@code bin}; a shutdown hook stops it and
     * deletes its directory. Returns its URL ({@code postgresql://postgres@127.0.0.1:PORT/postgres}).
     */
    static String start(Path bin) throws IOException, InterruptedException {
        boolean root = "root".equals(System.getProperty("user.name"));
        Path dir = Files.createTempDirectory("spendguard-pg-");
        ThrowawayPostgres pg = new ThrowawayPostgres(bin, dir, root);
        Runtime.getRuntime().addShutdownHook(new Thread(pg::stop, "spendguard-test-postgres-stop"));
        pg.watchThisJvm();
        if (root) {
            // the server runs as postgres: it must own its directory, and /tmp's 0700 default keeps it out
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setOwner(dir, dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres"));
        }
        pg.run(pg.tool("initdb"), "-D", pg.data(), "-A", "trust", "-U", "postgres", "--no-sync");
        IOException last = null;
        for (int i = 0; i < START_ATTEMPTS; i++) {
            int port = freePort();
            try {
                pg.run(pg.tool("pg_ctl"), "-D", pg.data(), "-l", dir.resolve("server.log").toString(), "-w", "-t", "30",
                        "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c synchronous_commit=on -c max_connections=200",
                        "start");
                return "postgresql://postgres@127.0.0.1:" + port + "/postgres";
            } catch (IOException e) {
                last = e; // most likely someone took the port between our probe and the server's bind
            }
        }
        throw last;
    }

    /**
     * A shutdown hook does not run when the JVM is killed (SIGKILL, OOM killer): a small shell waits
     * for this JVM to end and then stops the server, so no cluster outlives its test run.
     */
    private void watchThisJvm() throws IOException {
        String stop = String.join(" ", asOwner(tool("pg_ctl"), "-D", data(), "-m", "fast", "-w", "stop").stream().map(ThrowawayPostgres::quoted)
                .collect(Collectors.toList()));
        String script = "while kill -0 " + ProcessHandle.current().pid() + " 2>/dev/null; do sleep 2; done; "
                + "[ -f " + quoted(data() + "/postmaster.pid") + " ] && " + stop + "; rm -rf " + quoted(dir.toString());
        new ProcessBuilder("sh", "-c", script).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
    }

    private String tool(String name) {
        return bin.resolve(name).toString();
    }

    private String data() {
        return dir.resolve("data").toString();
    }

    /** Runs a PostgreSQL tool (as {@code postgres} when we are root); fails with its output. */
    private void run(String... command) throws IOException, InterruptedException {
        Path logFile = dir.resolve("command.log");
        try {
            Process p = new ProcessBuilder(asOwner(command)).redirectErrorStream(true)
                    .redirectOutput(logFile.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(COMMAND_TIMEOUT_S, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish in " + COMMAND_TIMEOUT_S + " s");
            }
            if (p.exitValue() != 0) {
                String serverLog = dir.resolve("server.log").toFile().canRead() ? "\nserver.log:\n" + Files.readString(dir.resolve("server.log")) : "";
                throw new IOException(String.join(" ", command) + " exited with " + p.exitValue() + ":\n" + Files.readString(logFile) + serverLog);
            }
        } finally {
            Files.deleteIfExists(logFile);
        }
    }

    private List<String> asOwner(String... command) {
        if (!asPostgresUser) {
            return List.of(command);
        }
        String line = Stream.of(command).map(ThrowawayPostgres::quoted).collect(Collectors.joining(" "));
        return List.of("su", "postgres", "-s", "/bin/sh", "-c", line);
    }

    private static String quoted(String arg) {
        return "'" + arg.replace("'", "'\\''") + "'";
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Stops the server (fast: open sessions are cut) and deletes the cluster's directory. */
    private void stop() {
        try {
            if (Files.exists(dir.resolve("data/postmaster.pid"))) {
                run(tool("pg_ctl"), "-D", data(), "-m", "fast", "-w", "stop");
            }
        } catch (IOException | InterruptedException e) {
            System.err.println("could not stop the test PostgreSQL in " + dir + ": " + e.getMessage());
        } finally {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // already gone
        }
    }
}
