package io.spendguard.proxy.engine;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The PostgreSQL server the tests run against, named by {@value #ENV}
 * (e.g. {@code postgresql://postgres@127.0.0.1:5432/postgres}; {@code .ci/postgres.sh start DIR}
 * starts one). Unset, the PostgreSQL tests fail under CI ({@code CI=true}) and are skipped, loudly,
 * anywhere else. Each test gets a schema of its own, selected through the URL's {@code search_path}.
 */
public final class TestPostgres implements AutoCloseable {
    public static final String ENV = "SPENDGUARD_TEST_PG_URL";
    private static Vertx vertx;

    private final String server;
    private final String schema;

    private TestPostgres(String server, String schema) {
        this.server = server;
        this.schema = schema;
    }

    /** The server's URL, or the test is skipped (outside CI) or failed (in CI) with the reason. */
    public static String serverUrl() {
        String url = System.getenv(ENV);
        if (url == null || url.isBlank()) {
            String why = ENV + " is not set, so the PostgreSQL ledger is NOT TESTED. Start a throw-away server with "
                    + "`D=$(mktemp -d); export " + ENV + "=$(.ci/postgres.sh start \"$D\")` (stop: .ci/postgres.sh stop \"$D\")";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail("CI=true but " + why);
            }
            System.err.println("*** SKIPPED: " + why);
            Assumptions.abort(why);
        }
        return url;
    }

    /** A new, empty schema on the server; {@link #close} drops it. */
    public static TestPostgres freshSchema() throws Exception {
        TestPostgres db = new TestPostgres(serverUrl(), "sg_" + UUID.randomUUID().toString().replace("-", ""));
        db.execute("CREATE SCHEMA " + db.schema);
        return db;
    }

    /** The ledger URL for this schema. */
    public String url() {
        return server + (server.contains("?") ? "&" : "?") + "search_path=" + schema;
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
