#!/usr/bin/env bash
# Reserve + commit pairs per second and latency for each ledger backend (loadtest/LedgerBench.java):
# memory, a fresh SQLite file, and PostgreSQL when SPENDGUARD_BENCH_PG_URL is set (e.g. the cluster
# from `.ci/postgres.sh start`). Each flat case (one hot budget, 1,000 budgets, one pair at a time) runs
# beside the same on a budget tree three levels deep (org -> team -> key). Bounded: a fixed number of
# pairs per case.
#   bash loadtest/ledger-bench.sh [pairs]        (default 50000)
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${1:-50000}
[ -f target/spendguard-proxy.jar ] || ./mvnw -q -DskipTests package
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
echo "machine: $(nproc) cores, $(java -version 2>&1 | head -1), load average:$(uptime | sed 's/.*load average://')"
java -cp target/spendguard-proxy.jar loadtest/LedgerBench.java --kind memory --pairs "$PAIRS"
java -cp target/spendguard-proxy.jar loadtest/LedgerBench.java --kind sqlite --path "$DIR/ledger.db" --pairs "$PAIRS"
if [ -n "${SPENDGUARD_BENCH_PG_URL:-}" ]; then
  java -cp target/spendguard-proxy.jar loadtest/LedgerBench.java --kind postgres --url "$SPENDGUARD_BENCH_PG_URL" --pairs "$PAIRS"
else
  echo "postgres: skipped (set SPENDGUARD_BENCH_PG_URL=postgresql://user@host:port/db to include it)"
fi
echo "load average after:$(uptime | sed 's/.*load average://')"
