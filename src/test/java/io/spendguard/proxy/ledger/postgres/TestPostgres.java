package io.spendguard.proxy.ledger.postgres;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The PostgreSQL server the tests run against: the one {@value #ENV} names (e.g.
 * {@code postgresql://postgres@127.0.0.1:5432/postgres}), or else a throw-away cluster this JVM
 * starts on first use from the installed server binaries ({@link ThrowawayPostgres}) and stops at
 * exit. With neither, the PostgreSQL tests are skipped with one clear line, or fail under CI
 * ({@code CI=true}), which installs the binaries. Each test gets a schema of its own, selected
 * through the URL's {@code search_path}.
 */
public final class TestPostgres implements AutoCloseable {
    public static final String ENV = "SPENDGUARD_TEST_PG_URL";
    private static Vertx vertx;
    /** The server for this JVM, decided once: a URL, or why there is none. */
    private static Server server;

    private record Server(String url, String skipped, String failed) {
    }

    private final String base;
    private final String schema;

    private TestPostgres(String base, String schema) {
        this.base = base;
        this.schema = schema;
    }

    /** The server's URL, or the test is skipped (no server and no binaries) or failed (under CI, or the start failed). */
    public static String serverUrl() {
        Server s = server();
        if (s.failed() != null) {
            Assertions.fail(s.failed());
        }
        if (s.skipped() != null) {
            Assumptions.abort(s.skipped());
        }
        return s.url();
    }

    private static synchronized Server server() {
        if (server == null) {
            server = find();
            if (server.skipped() != null) {
                System.err.println("*** SKIPPED: " + server.skipped());
            }
        }
        return server;
    }

    private static Server find() {
        String url = System.getenv(ENV);
        if (url != null && !url.isBlank()) {
            return new Server(url, null, null);
        }
        Optional<Path> bin = ThrowawayPostgres.findBinaries();
        if (bin.isEmpty()) {
            String why = "the PostgreSQL ledger is NOT TESTED: no server (" + ENV + " is unset) and no PostgreSQL server binaries "
                    + "(initdb in /usr/lib/postgresql/*/bin or on the PATH; Debian: apt-get install postgresql)";
            return "true".equalsIgnoreCase(System.getenv("CI")) ? new Server(null, null, "CI=true but " + why) : new Server(null, why, null);
        }
        try {
            return new Server(ThrowawayPostgres.start(bin.get()), null, null);
        } catch (IOException | RuntimeException e) {
            return new Server(null, null, "could not start a throw-away PostgreSQL with " + bin.get() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Server(null, null, "interrupted while starting a throw-away PostgreSQL");
        }
    }

    /** A new, empty schema on the server; {@link #close} drops it. */
    public static TestPostgres freshSchema() throws Exception {
        TestPostgres db = new TestPostgres(serverUrl(), "sg_" + UUID.randomUUID().toString().replace("-", ""));
        db.execute("CREATE SCHEMA " + db.schema);
        return db;
    }

    /** The ledger URL for this schema. */
    public String url() {
        return base + (base.contains("?") ? "&" : "?") + "search_path=" + schema;
    }

    /** Runs one SQL statement in this schema and returns the first column of the first row (or null). */
    public Object execute(String sql) throws Exception {
        Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(1)).connectingTo(PgConnectOptions.fromUri(url()))
                .using(vertx()).build();
        try {
            var rows = pool.query(sql).execute().await(30, TimeUnit.SECONDS);
            var it = rows.iterator();
            return it.hasNext() && rows.columnsNames().size() > 0 ? it.next().getValue(0) : null;
        } finally {
            pool.close().await(10, TimeUnit.SECONDS);
        }
    }

    /** A number the query returns (first column of the first row). */
    public long number(String sql) throws Exception {
        return ((Number) execute(sql)).longValue();
    }

    private static synchronized Vertx vertx() {
        if (vertx == null) {
            vertx = Vertx.vertx();
        }
        return vertx;
    }

    @Override
    public void close() throws Exception {
        execute("DROP SCHEMA " + schema + " CASCADE");
    }
}
