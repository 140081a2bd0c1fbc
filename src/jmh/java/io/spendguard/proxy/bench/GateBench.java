package io.spendguard.proxy.bench;

import io.spendguard.proxy.engine.Approvals;
import io.spendguard.proxy.engine.BudgetSpec;
import io.spendguard.proxy.engine.Decision;
import io.spendguard.proxy.engine.DecisionRequest;
import io.spendguard.proxy.engine.Engine;
import io.spendguard.proxy.ledger.Ledger;
import io.spendguard.proxy.ledger.memory.MemoryLedger;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A gate decision on the embedded engine with the memory ledger: reserve a claim against a budget,
 * then commit the actual cost — what every admitted call costs the engine. One thread, and two
 * (the event loops of a 2-core proxy contending for the ledger).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class GateBench {
    private Engine engine;

    @Setup
    public void setUp() {
        Clock clock = Clock.systemUTC();
        engine = new Engine(new MemoryLedger(clock), new Approvals(clock, Duration.ofHours(24)), clock, Duration.ofMinutes(15));
        engine.putBudget(new BudgetSpec("bench", Long.MAX_VALUE / 4, "none", "UTC", null, true)).result();
    }

    private Ledger.Settled decideAndCommit() {
        DecisionRequest request = new DecisionRequest(UUID.randomUUID().toString(), "bench", 2_600, "gpt-4o-mini",
                "0f3c5e", null, null, null, 468, 256, "2026-11-01", false);
        Decision d = engine.decide(request).result();
        return engine.commit(d.reservationId(), 1_200).result();
    }

    @Benchmark
    public Ledger.Settled decideAndCommitOneThread() {
        return decideAndCommit();
    }

    @Benchmark
    @Threads(2)
    public Ledger.Settled decideAndCommitTwoThreads() {
        return decideAndCommit();
    }
}
