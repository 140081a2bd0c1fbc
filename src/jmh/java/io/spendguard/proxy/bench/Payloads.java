package io.spendguard.proxy.bench;

import io.spendguard.proxy.config.ConfigLoader;
import io.spendguard.proxy.estimate.PriceTable;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The load test's real payloads ({@code loadtest/payloads}) and the shipped price table, for the benchmarks. */
public final class Payloads {
    private Payloads() { }

    /** A file under {@code loadtest/payloads}, read from the project directory the benchmarks run in. */
    public static Buffer read(String name) {
        try {
            return Buffer.buffer(Files.readAllBytes(Path.of("loadtest/payloads", name)));
        } catch (IOException e) {
            throw new UncheckedIOException("run the benchmarks from the project directory", e);
        }
    }

    public static PriceTable prices() {
        return PriceTable.parse(ConfigLoader.read("config/pricing.yaml"), "config/pricing.yaml");
    }
}
