#!/usr/bin/env bash
# RequestDecision round trips over the sidecar's Unix socket: starts `spendguard-proxy sidecar`,
# runs loadtest/DecisionBench.java against it (bounded: a fixed number of calls), stops it.
#   bash loadtest/sidecar-bench.sh [requests]       (default 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-20000}
[ -f target/spendguard-proxy.jar ] || ./mvnw -q -DskipTests package
DIR=$(mktemp -d)
SOCK="$DIR/adapter.sock"
java -jar target/spendguard-proxy.jar sidecar --config loadtest/sidecar-bench.yaml --socket "$SOCK" > "$DIR/sidecar.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { cat "$DIR/sidecar.log"; echo "sidecar did not start" >&2; exit 1; }
echo "machine: $(nproc) cores, $(java -version 2>&1 | head -1)"
java -cp target/spendguard-proxy.jar loadtest/DecisionBench.java --socket "$SOCK" --requests "$REQUESTS" --sidecar-pid "$PID"
