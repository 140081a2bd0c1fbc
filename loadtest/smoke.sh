#!/usr/bin/env bash
# CI regression guard (about 40 s): the built proxy (memory ledger) in front of the mock provider on
# loopback, driven by wrk at a fixed low rate, non-streaming then streaming. It fails only on errors
# or gross regressions, never on a tight timing, so a busy machine does not fail it:
#   - any non-2xx reply, socket error or timeout;
#   - the achieved rate below a tenth of the target, or a p99 above SMOKE_MAX_P99_MS (default 5000 ms);
#   - settlements (spendguard_settlements_total) != admitted calls (spendguard_decisions_total), or streams left open;
#   - a blocked event loop (Vert.x's blocked-thread warning) or a stack trace from the proxy's code in its log.
#   bash loadtest/smoke.sh            (needs wrk and target/spendguard-proxy.jar)
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=target/spendguard-proxy.jar
RATE=${SMOKE_RATE:-50}
SECONDS_JSON=${SMOKE_SECONDS:-20}
MAX_P99_MS=${SMOKE_MAX_P99_MS:-5000}
command -v wrk >/dev/null || { echo "smoke: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[ -f "$JAR" ] || { echo "smoke: $JAR missing (./mvnw -B verify builds it)" >&2; exit 1; }

DIR=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  rm -rf "$DIR"
}
trap cleanup EXIT
fail() { echo "smoke: FAIL: $*" >&2; echo "--- proxy log (tail)" >&2; tail -20 "$DIR/proxy.log" >&2 || true; exit 1; }
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
wait_for() { # file pattern what
  for _ in $(seq 1 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  cat "$1" >&2
  fail "$3 did not start"
}

java -jar "$JAR" mock-provider --port 0 > "$DIR/mock.log" 2>&1 &
PIDS+=($!)
wait_for "$DIR/mock.log" "mock provider on port" "mock provider"
MOCK_PORT=$(sed -nE 's/.*on port ([0-9]+).*/\1/p' "$DIR/mock.log")
cat > "$DIR/proxy.yaml" <<EOF
listen: { host: 127.0.0.1, port: $(free_port) }
admin:  { host: 127.0.0.1, port: 0 }
providers:
  openai: { base_url: "http://127.0.0.1:$MOCK_PORT" }
pricing: $PWD/config/pricing.yaml
budgets:
  - { id: smoke, limit_usd: 1000000, window: none, default: true }
EOF
java -Xmx512m -jar "$JAR" serve --config "$DIR/proxy.yaml" > "$DIR/proxy.log" 2>&1 &
PIDS+=($!)
wait_for "$DIR/proxy.log" "proxy on " "proxy"
LINE=$(grep -m1 'proxy on ' "$DIR/proxy.log")
PORT=$(sed -E 's/.*proxy on [^:]+:([0-9]+).*/\1/' <<<"$LINE")
ADMIN=$(sed -E 's/.*admin on [^:]+:([0-9]+).*/\1/' <<<"$LINE")
URL="http://127.0.0.1:$PORT/v1/chat/completions"

field() { sed -nE "s/.* $2=([0-9.]+).*/\1/p" <<<"$1"; }
OK_TOTAL=0
run() { # label body rate seconds → checks errors, rate and p99; adds to OK_TOTAL
  local out
  out=$(WRK_BODY=$2 WRK_RATE=$3 WRK_THREADS=1 wrk -t1 -c8 -d"$4s" --timeout 10s -s loadtest/post.lua "$URL" | grep '^RESULT') \
    || fail "$1: wrk produced no result"
  echo "smoke: $1: $out"
  local n errs rate p99
  n=$(field "$out" requests)
  errs=$(( $(field "$out" non2xx) + $(field "$out" connect) + $(field "$out" read) + $(field "$out" write) + $(field "$out" timeout) ))
  OK_TOTAL=$(( OK_TOTAL + n - $(field "$out" non2xx) ))
  [ "$errs" -eq 0 ] || fail "$1: $errs errors or non-2xx replies"
  [ "$1" != warm-up ] || return 0
  rate=$(awk -v n="$n" -v d="$(field "$out" duration_us)" 'BEGIN { printf "%d", n / (d / 1e6) }')
  [ "$rate" -ge $(( $3 / 10 )) ] || fail "$1: $rate req/s achieved, target $3"
  p99=$(( $(field "$out" p99) / 1000 ))
  [ "$p99" -le "$MAX_P99_MS" ] || fail "$1: p99 $p99 ms > $MAX_P99_MS ms"
}
# First calls load the tokenizers and JIT-compile the path; wait for one to succeed before timing anything.
for i in $(seq 1 120); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'Authorization: Bearer sk-smoke' \
    --data-binary @loadtest/payloads/chat-2k.json "$URL" || true)
  [ "$code" = 200 ] && break
  [ "$i" -eq 120 ] && fail "no 200 from the proxy within a minute (last status $code)"
  sleep 0.5
done
OK_TOTAL=1
run warm-up loadtest/payloads/chat-2k.json 20 10
run json loadtest/payloads/chat-2k.json "$RATE" "$SECONDS_JSON"
run sse loadtest/payloads/chat-2k-stream.json $(( RATE / 4 )) 5

metric() { curl -s "http://127.0.0.1:$ADMIN/metrics" | awk -v m="$1" '$1 ~ "^"m"(\\{|$)" { s += $2 } END { printf "%d", s }'; }
# wrk cuts the calls in flight when each run stops; the proxy settles those too (client disconnects), so
# settlements are compared with the admitted calls the proxy counted, and those with the 2xx wrk saw.
admitted() { curl -s "http://127.0.0.1:$ADMIN/metrics" | awk '/^spendguard_decisions_total\{decision="(CONTINUE|DEGRADE)"/ { s += $2 } END { printf "%d", s }'; }
SETTLED=0
ADMITTED=0
for _ in $(seq 1 100); do
  SETTLED=$(metric spendguard_settlements_total)
  ADMITTED=$(admitted)
  [ "$SETTLED" -eq "$ADMITTED" ] && break
  sleep 0.2
done
[ "$SETTLED" -eq "$ADMITTED" ] || fail "$SETTLED settlements for $ADMITTED admitted calls"
[ "$ADMITTED" -ge "$OK_TOTAL" ] || fail "$ADMITTED admitted calls but $OK_TOTAL 2xx replies"
OPEN=$(metric spendguard_streams_active)
[ "$OPEN" -eq 0 ] || fail "$OPEN streams still counted open"
# Vert.x logs a cancelled upstream request ("Stream reset") at SEVERE when wrk cuts a call: not ours to fail on.
if grep -E "has been blocked for|io\.spendguard\.[A-Za-z.]+Exception|at io\.spendguard\." "$DIR/proxy.log" >/dev/null; then
  fail "the proxy log shows a blocked event loop or an exception from the proxy's code"
fi
echo "smoke: OK: $OK_TOTAL 2xx replies, $ADMITTED admitted calls, $SETTLED settlements, 0 errors"
