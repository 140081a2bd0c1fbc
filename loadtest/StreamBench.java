// SSE stream measurements for loadtest/run.sh (single-file program; run with the proxy jar on the class path):
//   java -cp target/spendguard-proxy.jar loadtest/StreamBench.java stub --port N
//       a paced OpenAI-style stream server: X-Stub-Chunks events, one every X-Stub-Interval-Ms, each
//       stamped with its send time ("sent_us", epoch µs; client and server share the machine's clock),
//       then a usage chunk and [DONE]
//   ... latency --url URL --body FILE [--streams 200] [--concurrency 4] [--chunks 50] [--interval-ms 5]
//       time to first byte (request sent → first event) and one-way per-chunk latency (sent_us → received)
//   ... hold --url URL --body FILE --streams 5000 --pid PID [--hold-seconds 10]
//       opens that many slow streams at once, keeps them open, then reports the heap (jcmd) and RSS of PID
// Every run is bounded: a latency run gives up after 120 s, a hold run after 180 s.
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class StreamBench {
    static final String USAGE_CHUNK = "data: {\"id\":\"chatcmpl-paced\",\"object\":\"chat.completion.chunk\",\"created\":1764547200,"
            + "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[],\"usage\":{\"prompt_tokens\":468,\"completion_tokens\":%d,"
            + "\"total_tokens\":%d}}\n\ndata: [DONE]\n\n";
    static final Pattern SENT = Pattern.compile("\"sent_us\":(\\d+)");

    public static void main(String[] args) throws Exception {
        List<String> a = Arrays.asList(args);
        Vertx vertx = Vertx.builder().with(new VertxOptions().setPreferNativeTransport(true)).build();
        switch (args[0]) {
            case "stub" -> stub(vertx, Integer.parseInt(arg(a, "--port", "0")));
            case "latency", "hold" -> {
                // Vert.x threads would keep the JVM alive after a failure: always exit.
                int status = 1;
                try {
                    if (args[0].equals("latency")) {
                        latency(vertx, a);
                    } else {
                        hold(vertx, a);
                    }
                    status = 0;
                } catch (Exception e) {
                    System.err.println(args[0] + " failed: " + e);
                } finally {
                    System.exit(status);
                }
            }
            default -> throw new IllegalArgumentException("stub | latency | hold");
        }
    }

    static String arg(List<String> a, String name, String def) {
        int i = a.indexOf(name);
        return i < 0 ? def : a.get(i + 1);
    }

    static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    // ---- the paced upstream ----

    static void stub(Vertx vertx, int port) throws Exception {
        var server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> paced(vertx, req)))
                .listen(port, "127.0.0.1").await(10, TimeUnit.SECONDS);
        System.out.println("paced stub on port " + server.actualPort());
    }

    static void paced(Vertx vertx, HttpServerRequest req) {
        int chunks = Integer.parseInt(headerOr(req, "X-Stub-Chunks", "50"));
        long interval = Long.parseLong(headerOr(req, "X-Stub-Interval-Ms", "5"));
        HttpServerResponse out = req.response().setChunked(true).putHeader("Content-Type", "text/event-stream")
                .putHeader("Cache-Control", "no-cache");
        AtomicInteger sent = new AtomicInteger();
        out.write(event(0));
        long timer = vertx.setPeriodic(interval, id -> {
            int n = sent.incrementAndGet();
            if (n < chunks) {
                out.write(event(n));
            } else {
                vertx.cancelTimer(id);
                out.end(String.format(USAGE_CHUNK, chunks, 468 + chunks));
            }
        });
        out.closeHandler(v -> vertx.cancelTimer(timer));
    }

    static String headerOr(HttpServerRequest req, String name, String def) {
        String v = req.getHeader(name);
        return v == null ? def : v;
    }

    static String event(int n) {
        return "data: {\"id\":\"chatcmpl-paced\",\"object\":\"chat.completion.chunk\",\"created\":1764547200,"
                + "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok" + n
                + "\"},\"finish_reason\":null}],\"sent_us\":" + nowMicros() + "}\n\n";
    }

    // ---- the client ----

    static HttpClientAgent client(Vertx vertx, int connections) {
        return vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
    }

    static RequestOptions request(String url, int chunks, long intervalMs) {
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url)
                .putHeader("Content-Type", "application/json").putHeader("Authorization", "Bearer sk-loadtest-not-a-key")
                .putHeader("X-Stub", "paced").putHeader("X-Stub-Chunks", String.valueOf(chunks))
                .putHeader("X-Stub-Interval-Ms", String.valueOf(intervalMs));
        o.setIdleTimeout(60_000);
        return o;
    }

    /** One stream: time to first event and the one-way latency of every stamped event. */
    record Stream(long ttfbMicros, List<Long> chunkMicros) { }

    static Future<Stream> stream(HttpClientAgent client, RequestOptions options, Buffer body) {
        long started = System.nanoTime();
        List<Long> chunks = new ArrayList<>();
        long[] first = {-1};
        Promise<Stream> done = Promise.promise();
        client.request(options).compose(req -> req.send(body)).onFailure(done::tryFail).onSuccess(resp -> {
            if (resp.statusCode() != 200) {
                resp.body().onComplete(b -> done.tryFail("status " + resp.statusCode() + ": " + (b.succeeded() ? b.result() : "")));
                return;
            }
            resp.handler(buf -> {
                long received = nowMicros();
                if (first[0] < 0) {
                    first[0] = (System.nanoTime() - started) / 1_000;
                }
                Matcher m = SENT.matcher(buf.toString());
                while (m.find()) {
                    chunks.add(received - Long.parseLong(m.group(1)));
                }
            });
            resp.exceptionHandler(done::tryFail);
            resp.endHandler(v -> done.tryComplete(new Stream(first[0], chunks)));
        });
        return done.future();
    }

    static void latency(Vertx vertx, List<String> a) throws Exception {
        String url = arg(a, "--url", null);
        Buffer body = Buffer.buffer(Files.readAllBytes(Path.of(arg(a, "--body", null))));
        int streams = Integer.parseInt(arg(a, "--streams", "200"));
        int concurrency = Integer.parseInt(arg(a, "--concurrency", "4"));
        int chunks = Integer.parseInt(arg(a, "--chunks", "50"));
        long interval = Long.parseLong(arg(a, "--interval-ms", "5"));
        HttpClientAgent client = client(vertx, concurrency);
        RequestOptions options = request(url, chunks, interval);
        int warmup = Math.max(1, streams / 5);
        ConcurrentLinkedQueue<Stream> results = new ConcurrentLinkedQueue<>();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        Promise<Void> all = Promise.promise();
        AtomicInteger running = new AtomicInteger(concurrency);
        for (int w = 0; w < concurrency; w++) {
            vertx.runOnContext(v -> runNext(client, options, body, warmup + streams, next, results, failures, running, all, warmup));
        }
        all.future().await(120, TimeUnit.SECONDS);
        List<Long> ttfb = new ArrayList<>();
        List<Long> perChunk = new ArrayList<>();
        for (Stream s : results) {
            ttfb.add(s.ttfbMicros());
            perChunk.addAll(s.chunkMicros());
        }
        Collections.sort(ttfb);
        Collections.sort(perChunk);
        System.out.printf("STREAM streams=%d failures=%d chunks=%d ttfb_p50_us=%d ttfb_p99_us=%d chunk_p50_us=%d chunk_p99_us=%d%n",
                ttfb.size(), failures.get(), perChunk.size(), pct(ttfb, 50), pct(ttfb, 99), pct(perChunk, 50), pct(perChunk, 99));
    }

    static void runNext(HttpClientAgent client, RequestOptions options, Buffer body, int total, AtomicInteger next,
                        ConcurrentLinkedQueue<Stream> results, AtomicInteger failures, AtomicInteger running,
                        Promise<Void> all, int warmup) {
        int i = next.getAndIncrement();
        if (i >= total) {
            if (running.decrementAndGet() == 0) {
                all.tryComplete();
            }
            return;
        }
        stream(client, options, body).onComplete(ar -> {
            if (ar.failed()) {
                failures.incrementAndGet();
                System.err.println("stream failed: " + ar.cause());
            } else if (i >= warmup) {
                results.add(ar.result());
            }
            runNext(client, options, body, total, next, results, failures, running, all, warmup);
        });
    }

    static long pct(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return -1;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    // ---- many open streams ----

    static void hold(Vertx vertx, List<String> a) throws Exception {
        String url = arg(a, "--url", null);
        Buffer body = Buffer.buffer(Files.readAllBytes(Path.of(arg(a, "--body", null))));
        int streams = Integer.parseInt(arg(a, "--streams", "5000"));
        long pid = Long.parseLong(arg(a, "--pid", "0"));
        int holdSeconds = Integer.parseInt(arg(a, "--hold-seconds", "10"));
        HttpClientAgent client = client(vertx, streams + 16);
        RequestOptions options = request(url, 600, 1000);
        AtomicInteger open = new AtomicInteger();
        AtomicInteger events = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        List<HttpClientResponse> responses = Collections.synchronizedList(new ArrayList<>());
        Promise<Void> allOpen = Promise.promise();
        AtomicInteger started = new AtomicInteger();
        long began = System.nanoTime();
        // Open in waves of 100 in flight so the proxy is not asked to tokenise 5,000 prompts in the same instant.
        for (int w = 0; w < 100; w++) {
            vertx.runOnContext(v -> openNext(client, options, body, streams, started, open, events, failed, responses, allOpen));
        }
        try {
            allOpen.future().await(120, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("only " + open.get() + " of " + streams + " streams open after 120 s ("
                    + failed.get() + " failed)");
        }
        double openSeconds = (System.nanoTime() - began) / 1e9;
        int eventsAtOpen = events.get();
        Thread.sleep(holdSeconds * 1000L);
        int eventsDuring = events.get() - eventsAtOpen;
        long usedBefore = heapUsedKb(pid, false);
        long usedAfterGc = heapUsedKb(pid, true);
        long rss = rssKb(pid);
        System.out.printf("HOLD streams=%d open=%d failed=%d open_seconds=%.1f events_during_hold=%d heap_used_mb=%d heap_live_mb=%d rss_mb=%d%n",
                streams, open.get(), failed.get(), openSeconds, eventsDuring, usedBefore / 1024, usedAfterGc / 1024, rss / 1024);
        synchronized (responses) {
            for (HttpClientResponse r : responses) {
                r.request().connection().close();
            }
        }
        Thread.sleep(2000);
    }

    static void openNext(HttpClientAgent client, RequestOptions options, Buffer body, int total, AtomicInteger started,
                         AtomicInteger open, AtomicInteger events, AtomicInteger failed, List<HttpClientResponse> responses,
                         Promise<Void> allOpen) {
        if (started.getAndIncrement() >= total) {
            return;
        }
        client.request(options).compose(req -> req.send(body)).onComplete(ar -> {
            if (ar.failed() || ar.result().statusCode() != 200) {
                failed.incrementAndGet();
                System.err.println("open failed: " + (ar.failed() ? ar.cause() : "status " + ar.result().statusCode()));
                if (open.get() + failed.get() == total) {
                    allOpen.tryComplete();
                }
                openNext(client, options, body, total, started, open, events, failed, responses, allOpen);
                return;
            }
            HttpClientResponse resp = ar.result();
            responses.add(resp);
            boolean[] counted = {false};
            resp.handler(buf -> {
                events.incrementAndGet();
                if (!counted[0]) {
                    counted[0] = true;
                    if (open.incrementAndGet() + failed.get() == total) {
                        allOpen.tryComplete();
                    }
                    openNext(client, options, body, total, started, open, events, failed, responses, allOpen);
                }
            });
            resp.exceptionHandler(e -> { });
        });
    }

    /** Heap in use of {@code pid} in KiB, from {@code jcmd GC.heap_info}; after a full GC when asked. */
    static long heapUsedKb(long pid, boolean afterGc) throws Exception {
        if (afterGc) {
            jcmd(pid, "GC.run");
        }
        // G1 and Parallel print "used 123456K", ZGC "used 28M"
        Matcher m = Pattern.compile("used (\\d+)([KMG])").matcher(jcmd(pid, "GC.heap_info"));
        if (!m.find()) {
            return -1;
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "G" -> n * 1024 * 1024;
            case "M" -> n * 1024;
            default -> n;
        };
    }

    /** {@code jcmd} of the target's own runtime (a JDK 17 jcmd cannot attach to a JDK 25 process), else the one on the PATH. */
    static String jcmd(long pid, String command) throws Exception {
        String jcmd = ProcessHandle.of(pid).flatMap(h -> h.info().command())
                .map(java -> java.replaceAll("java$", "jcmd"))
                .filter(path -> new java.io.File(path).canExecute())
                .orElse("jcmd");
        Process p = new ProcessBuilder(jcmd, String.valueOf(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    static long rssKb(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }
}
