#!/usr/bin/env bash
# Side-by-side load test on loopback, written to loadtest/RESULTS.md:
#   direct   wrk → upstream stub (nginx returning a fixed chat completion / a fixed 50-chunk SSE body)
#   nginx    wrk → nginx proxy_pass → the same stub (the floor for one proxy hop)
#   floor    wrk → a bare Vert.x hop (loadtest/VertxFloor.java: read, forward, reply; no gate) → the stub
#   memory   wrk → spendguard (embedded engine, memory ledger) → the same stub
#   sidecar  wrk → spendguard (gate.mode: sidecar) ⇄ `spendguard-proxy sidecar` over a Unix socket; → the stub
#   sqlite   wrk → spendguard (embedded engine, ledger.kind: sqlite) → the stub   (skipped if the build refuses it)
# Per configuration: warm-up, saturation (non-stream and SSE), then fixed rates (LOW_RATE, and half of the
# memory proxy's saturation); stream TTFB / per-chunk latency against a paced stub; heap with HOLD_STREAMS
# open streams. Bounded: about 16 minutes with the defaults. Needs root only to apt-get nginx and wrk.
#   bash loadtest/run.sh                     (env: SAT_SECONDS WARM_SECONDS WARM_SSE_SECONDS FIXED_SECONDS LOW_RATE HOLD_STREAMS
#                                             CONNS THREADS PROXY_JVM ONLY="direct nginx floor memory sidecar sqlite"
#                                             PROXY_JAVA=/path/to/java: the runtime for the proxies, sidecar and floor
#                                             KEEP_DIR=dir: keep logs and configs, e.g. with a JFR recording in PROXY_JVM)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SAT_SECONDS=${SAT_SECONDS:-15}
# A fresh JVM on two shared cores needs most of a minute at full load before C2 has compiled the hot path
# (the profile showed 3.4 ms of CPU per call in the first 15 s, 0.25 ms after 60 s): warm each proxy that long.
WARM_SECONDS=${WARM_SECONDS:-45}
WARM_SSE_SECONDS=${WARM_SSE_SECONDS:-10}
FIXED_SECONDS=${FIXED_SECONDS:-15}
LOW_RATE=${LOW_RATE:-1000}
HOLD_STREAMS=${HOLD_STREAMS:-5000}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
PROXY_JVM=${PROXY_JVM:-"-Xms1g -Xmx1g"}
PROXY_JAVA=${PROXY_JAVA:-java}
ONLY=${ONLY:-"direct nginx floor memory sidecar sqlite"}
OUT=${OUT:-loadtest/RESULTS.md}
JAR=target/spendguard-proxy.jar

if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q nginx-light wrk
fi
[ -f "$JAR" ] || ./mvnw -B -q -DskipTests package

DIR=$(mktemp -d /tmp/sg-loadtest.XXXXXX)
chmod 755 "$DIR"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  if [ -n "${KEEP_DIR:-}" ]; then mkdir -p "$KEEP_DIR" && cp -r "$DIR"/. "$KEEP_DIR"/; fi
  rm -rf "$DIR"
}
trap cleanup EXIT
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

# ---- upstream stub and nginx proxy_pass ----
STUB_PORT=$(free_port); NGX_PORT=$(free_port); PACED_PORT=$(free_port)
while [ "$NGX_PORT" = "$STUB_PORT" ]; do NGX_PORT=$(free_port); done
while [ "$PACED_PORT" = "$STUB_PORT" ] || [ "$PACED_PORT" = "$NGX_PORT" ]; do PACED_PORT=$(free_port); done
mkdir -p "$DIR/nginx"
# nginx caps one config string at 4 KiB: the SSE body is set in pieces (at event boundaries) and returned joined.
sse_sets() {
  awk -v RS='\n\n' -v ORS='' 'BEGIN { n = 0 }
    { ev = $0 "\n\n"; if (length(cur) + length(ev) > 3500) { printf "      set $sse%d %c%s%c;\n", n, 39, cur, 39; names = names "$sse" n; n++; cur = "" } cur = cur ev }
    END { if (cur != "") { printf "      set $sse%d %c%s%c;\n", n, 39, cur, 39; names = names "$sse" n }; printf "      return 200 \"%s\";\n", names }' "$1"
}
cat > "$DIR/nginx/nginx.conf" <<EOF
worker_processes 2;
worker_rlimit_nofile 19000;
pid $DIR/nginx/nginx.pid;
error_log $DIR/nginx/error.log warn;
events { worker_connections 16000; }
http {
  access_log off;
  client_body_temp_path $DIR/nginx/body; proxy_temp_path $DIR/nginx/proxy;
  fastcgi_temp_path $DIR/nginx/fastcgi; uwsgi_temp_path $DIR/nginx/uwsgi; scgi_temp_path $DIR/nginx/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_body_buffer_size 64k;
  upstream stub   { server 127.0.0.1:$STUB_PORT;  keepalive 512; }
  upstream paced  { server 127.0.0.1:$PACED_PORT; keepalive 64; }
  # The upstream stub: a fixed chat completion with usage; X-Stub: sse → a fixed 50-chunk stream;
  # X-Stub: paced → the timed stream server (loadtest/StreamBench.java stub).
  server {
    listen 127.0.0.1:$STUB_PORT backlog=4096;
    location / {
      if (\$http_x_stub = "sse")   { rewrite ^ /_sse last; }
      if (\$http_x_stub = "paced") { rewrite ^ /_paced last; }
      default_type application/json;
      return 200 '$(cat loadtest/payloads/reply.json)';
    }
    location = /_sse {
      internal;
      default_type text/event-stream;
$(sse_sets loadtest/payloads/reply-50.sse)
    }
    location = /_paced {
      internal;
      proxy_pass http://paced; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_buffering off; proxy_read_timeout 600s;
    }
  }
  # The baseline hop: nginx proxy_pass with a keep-alive upstream pool, unbuffered like a streaming proxy.
  server {
    listen 127.0.0.1:$NGX_PORT backlog=4096;
    location / {
      proxy_pass http://stub; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_buffering off; proxy_request_buffering off; proxy_read_timeout 600s;
    }
  }
}
EOF
nginx -t -q -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx" 2>"$DIR/nginx/test.log" || { cat "$DIR/nginx/test.log"; exit 1; }
nginx -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx" -g 'daemon off;' &
PIDS+=($!)
NGINX_PID=$!

java -cp "$JAR" loadtest/StreamBench.java stub --port "$PACED_PORT" > "$DIR/paced.log" 2>&1 &
PIDS+=($!)

# ---- proxies ----
proxy_config() { # name gate-block ledger-block
  cat > "$DIR/$1.yaml" <<EOF
listen: { host: 127.0.0.1, port: $(free_port) }
admin:  { host: 127.0.0.1, port: 0 }
gate:
$2
ledger:
$3
providers:
  openai: { base_url: "http://127.0.0.1:$STUB_PORT", api_key: "" }
pricing: $ROOT/config/pricing.yaml
budgets:
  - { id: bench, limit_usd: 1000000000, window: none, default: true }
EOF
}
SOCK="$DIR/sidecar/adapter.sock"
mkdir -p "$DIR/sidecar" "$DIR/sqlite"
proxy_config memory  "  mode: embedded" "  kind: memory"
proxy_config sidecar "  mode: sidecar
  timeout_ms: 1000
  sidecar: { socket: $SOCK, tenant_id: bench }" "  kind: memory"
proxy_config sqlite  "  mode: embedded" "  kind: sqlite
  path: $DIR/sqlite/ledger.db"

declare -A PORT ADMIN PID SKIP
start_proxy() { # name → PORT[name], ADMIN[name], PID[name]; returns 1 if it does not start
  local name=$1 line=""
  # shellcheck disable=SC2086
  "$PROXY_JAVA" $PROXY_JVM -jar "$JAR" serve --config "$DIR/$name.yaml" > "$DIR/$name.log" 2>&1 &
  PID[$name]=$!
  PIDS+=($!)
  for _ in $(seq 1 300); do
    line=$(grep -m1 'proxy on ' "$DIR/$name.log" || true)
    [ -n "$line" ] && break
    kill -0 "${PID[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$line" ]; then
    SKIP[$name]=$(grep -m1 -E 'spendguard:|Exception' "$DIR/$name.log" || echo "did not start")
    log "$name: skipped: ${SKIP[$name]}"
    return 1
  fi
  PORT[$name]=$(sed -E 's/.*proxy on [^:]+:([0-9]+).*/\1/' <<<"$line")
  ADMIN[$name]=$(sed -E 's/.*admin on [^:]+:([0-9]+).*/\1/' <<<"$line")
}

start_floor() { # the bare Vert.x hop in front of the stub → PORT[floor], PID[floor]
  local port
  port=$(free_port)
  # shellcheck disable=SC2086
  "$PROXY_JAVA" $PROXY_JVM -cp "$JAR" loadtest/VertxFloor.java "$port" "$STUB_PORT" > "$DIR/floor.log" 2>&1 &
  PID[floor]=$!
  PIDS+=($!)
  for _ in $(seq 1 300); do grep -q 'vertx floor on port' "$DIR/floor.log" && break; sleep 0.1; done
  if grep -q 'vertx floor on port' "$DIR/floor.log"; then PORT[floor]=$port; else SKIP[floor]="did not start"; fi
}

for name in $ONLY; do
  case $name in
    floor) start_floor ;;
    memory) start_proxy memory || true ;;
    sqlite) start_proxy sqlite || true ;;
    sidecar)
      "$PROXY_JAVA" $PROXY_JVM -jar "$JAR" sidecar --config "$DIR/sidecar.yaml" --socket "$SOCK" > "$DIR/sidecar-server.log" 2>&1 &
      PIDS+=($!)
      SIDECAR_PID=$!
      for _ in $(seq 1 150); do [ -S "$SOCK" ] && break; sleep 0.1; done
      if [ -S "$SOCK" ]; then start_proxy sidecar || true; else SKIP[sidecar]="sidecar did not start"; fi ;;
  esac
done
for _ in $(seq 1 50); do grep -q 'paced stub on port' "$DIR/paced.log" && break; sleep 0.2; done

url() { # configuration → base URL
  case $1 in
    direct) echo "http://127.0.0.1:$STUB_PORT" ;;
    nginx) echo "http://127.0.0.1:$NGX_PORT" ;;
    *) echo "http://127.0.0.1:${PORT[$1]}" ;;
  esac
}
active() { # configurations that are running, in order
  local out=""
  for name in $ONLY; do
    case $name in direct|nginx) out+="$name " ;; *) [ -n "${PORT[$name]:-}" ] && out+="$name " ;; esac
  done
  echo "$out"
}
pid_of() { case $1 in direct|nginx) echo "$NGINX_PID" ;; *) echo "${PID[$1]}" ;; esac; }

declare -A R RSS CMD
TICK=$(getconf CLK_TCK)
cpu_ticks() { # user + system CPU of the process(es) serving a configuration: proxy (+ sidecar), or all nginx processes
  local pids
  case $1 in
    direct|nginx) pids=$(pgrep -P "$NGINX_PID" | tr '\n' ' ') ;;
    sidecar) pids="${PID[sidecar]} ${SIDECAR_PID:-}" ;;
    *) pids=${PID[$1]} ;;
  esac
  local t=0 p
  for p in $pids; do t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0) )); done
  echo $t
}
# CPU µs per request of the serving process(es) during one run
cpu_us() { awk -v t="$(field "$1" cpu_ticks)" -v n="$(field "$1" requests)" -v hz="$TICK" 'BEGIN { if (n > 0) printf "%d", t * 1e6 / hz / n; else print "–" }'; }
# wrk_run key config kind(json|sse) seconds rate → R[key] = RESULT line
wrk_run() {
  local key=$1 cfg=$2 kind=$3 secs=$4 rate=$5 body=loadtest/payloads/chat-2k.json stub=""
  [ "$kind" = sse ] && { body=loadtest/payloads/chat-2k-stream.json; stub=sse; }
  local cmd="WRK_BODY=$body WRK_STUB=$stub WRK_RATE=$rate WRK_THREADS=$THREADS wrk -t$THREADS -c$CONNS -d${secs}s --timeout 5s -s loadtest/post.lua $(url "$cfg")/v1/chat/completions"
  CMD[$key]=$cmd
  WRK_BODY=$body WRK_STUB=$stub WRK_RATE=$rate WRK_THREADS=$THREADS \
    wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" --timeout 5s -s loadtest/post.lua "$(url "$cfg")/v1/chat/completions" > "$DIR/wrk.out" 2>&1 &
  local w=$! peak=0 pid rss cpu0
  pid=$(pid_of "$cfg")
  cpu0=$(cpu_ticks "$cfg")
  while kill -0 $w 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${rss:-0}" -gt "$peak" ] && peak=$rss
    sleep 1
  done
  wait $w || true
  R[$key]="$(grep '^RESULT' "$DIR/wrk.out" || echo "RESULT failed=1") cpu_ticks=$(( $(cpu_ticks "$cfg") - cpu0 ))"
  RSS[$key]=$((peak / 1024))
  log "$key: ${R[$key]}"
}
field() { sed -nE "s/.* $2=([0-9.]+).*/\1/p" <<<"${R[$1]:-}"; }
rps() { awk -v n="$(field "$1" requests)" -v d="$(field "$1" duration_us)" 'BEGIN { if (d > 0) printf "%d", n / (d / 1e6); else print 0 }'; }
ms() { awk -v v="$(field "$1" "$2")" 'BEGIN { if (v == "") print "–"; else printf "%.2f", v / 1000 }'; }
errors() { local k=$1; echo $(( $(field "$k" non2xx) + $(field "$k" connect) + $(field "$k" read) + $(field "$k" write) + $(field "$k" timeout) )); }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
CONFIGS=$(active)
log "configurations: $CONFIGS (load average $LOAD_START)"

# ---- saturation ----
for cfg in $CONFIGS; do
  case $cfg in direct|nginx) w=3; ws=3 ;; *) w=$WARM_SECONDS; ws=$WARM_SSE_SECONDS ;; esac
  wrk_run "$cfg:warm" "$cfg" json "$w" 0
  wrk_run "$cfg:warm-sse" "$cfg" sse "$ws" 0
  wrk_run "$cfg:sat" "$cfg" json "$SAT_SECONDS" 0
  wrk_run "$cfg:sat-sse" "$cfg" sse "$SAT_SECONDS" 0
done
MEM_SAT=$(rps memory:sat 2>/dev/null || echo 0)
HALF_RATE=$(( ${MEM_SAT:-0} / 2 ))
[ "$HALF_RATE" -gt 0 ] || HALF_RATE=$((LOW_RATE * 2))

# ---- fixed rates ----
for cfg in $CONFIGS; do
  wrk_run "$cfg:low" "$cfg" json "$FIXED_SECONDS" "$LOW_RATE"
  wrk_run "$cfg:half" "$cfg" json "$FIXED_SECONDS" "$HALF_RATE"
done

# ---- stream latency (paced stub: 50 chunks, 5 ms apart) ----
declare -A S
for cfg in $CONFIGS; do
  [ "$cfg" = floor ] && continue # the floor returns a reply whole: no stream timing to compare
  S[$cfg]=$(java -cp "$JAR" loadtest/StreamBench.java latency --url "$(url "$cfg")/v1/chat/completions" \
    --body loadtest/payloads/chat-2k-stream.json --streams 200 --concurrency 4 --chunks 50 --interval-ms 5 2>>"$DIR/stream.err" \
    | grep '^STREAM' || echo "STREAM failed=1")
  log "$cfg stream: ${S[$cfg]}"
done
sfield() { sed -nE "s/.* $2=(-?[0-9.]+).*/\1/p" <<<"${S[$1]:-}"; }

# ---- many open streams (memory ledger) ----
HOLD="not run"
if [ -n "${PORT[memory]:-}" ]; then
  HOLD=$(java -cp "$JAR" loadtest/StreamBench.java hold --url "$(url memory)/v1/chat/completions" \
    --body loadtest/payloads/chat-2k-stream.json --streams "$HOLD_STREAMS" --pid "${PID[memory]}" 2>>"$DIR/hold.err" \
    | grep '^HOLD' || echo "HOLD failed: $(tail -3 "$DIR/hold.err" | tr '\n' ' ')")
  log "hold: $HOLD"
fi
hfield() { sed -nE "s/.* $1=([0-9.]+).*/\1/p" <<<"$HOLD"; }

# ---- settlement check: every 2xx through a proxy was settled once ----
declare -A SETTLED ADMITTED
for cfg in $CONFIGS; do
  case $cfg in direct|nginx|floor) continue ;; esac
  # Streams cut at the end (the 5,000 held ones) settle as their disconnects are processed: wait up to 60 s.
  for _ in $(seq 1 120); do
    curl -s "http://127.0.0.1:${ADMIN[$cfg]}/metrics" > "$DIR/$cfg.metrics"
    SETTLED[$cfg]=$(awk '/^spendguard_settlements_total/ { s += $2 } END { printf "%d", s }' "$DIR/$cfg.metrics")
    ADMITTED[$cfg]=$(awk '/^spendguard_decisions_total\{decision="(CONTINUE|DEGRADE)"/ { s += $2 } END { printf "%d", s }' "$DIR/$cfg.metrics")
    [ "${SETTLED[$cfg]}" = "${ADMITTED[$cfg]}" ] && break
    sleep 0.5
  done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average at end: $LOAD_END"

# ---- RESULTS.md ----
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "–" }'; }
added() { # key-of-config key-of-direct field → ms added
  awk -v a="$(field "$1" "$3")" -v b="$(field "$2" "$3")" 'BEGIN { if (a == "" || b == "") print "–"; else printf "%+.2f", (a - b) / 1000 }'
}
requests_2xx() { # all wrk runs of a config: requests minus non-2xx
  local cfg=$1 total=0 k
  for k in "${!R[@]}"; do
    [[ $k == "$cfg:"* ]] || continue
    total=$(( total + $(field "$k" requests) - $(field "$k" non2xx) ))
  done
  echo $total
}
{
  echo "# Load test: SpendGuard proxy against direct and nginx, same run"
  echo
  echo "Written by \`bash loadtest/run.sh\` on $STARTED. Do not edit by hand; rerun to refresh."
  echo
  echo "## Machine"
  echo
  echo "- $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr)"
  echo "- proxy runtime: $("$PROXY_JAVA" -version 2>&1 | head -1) (\`$PROXY_JAVA\`), JVM flags \`$PROXY_JVM\`; $(nginx -v 2>&1); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo "- **load average at start: $LOAD_START; at end: $LOAD_END** (1/5/15 min). The machine is shared with other"
  echo "  builds; everything (load generator, stub, nginx, proxy, sidecar) runs on the same $(nproc) cores, so"
  echo "  absolute figures are low and noisy. Compare configurations through the ratios, measured minutes apart."
  echo
  echo "## What ran"
  echo
  echo "- Request: \`POST /v1/chat/completions\`, \`loadtest/payloads/chat-2k.json\` ($(wc -c < loadtest/payloads/chat-2k.json) bytes, gpt-4o-mini, max_tokens 256);"
  echo "  stub reply \`loadtest/payloads/reply.json\` ($(wc -c < loadtest/payloads/reply.json) bytes, with usage). SSE: the same prompt with \`stream: true\`,"
  echo "  stub reply \`loadtest/payloads/reply-50.sse\` (50 chunks + usage chunk, $(wc -c < loadtest/payloads/reply-50.sse) bytes). Stub: nginx \`return 200\`."
  echo "- wrk $THREADS threads, $CONNS connections, \`loadtest/post.lua\`. Saturation: ${SAT_SECONDS} s after a warm-up (${WARM_SECONDS} s JSON + ${WARM_SSE_SECONDS} s SSE for"
  echo "  proxies, 3 s for nginx). Fixed rates: ${FIXED_SECONDS} s each at $LOW_RATE req/s and at $HALF_RATE req/s (half the memory proxy's saturation)."
  echo "  wrk2 is not packaged in Debian: fixed rates are paced in the Lua script (per-thread schedule, 1 ms timer) on a"
  echo "  fixed connection count; latency is from the actual send (no coordinated-omission correction)."
  echo "- Example command: \`${CMD[memory:half]:-${CMD[direct:half]:-}}\`"
  for k in "${!SKIP[@]}"; do echo "- **$k skipped**: ${SKIP[$k]}"; done
  echo
  echo "## Non-streaming chat completions"
  echo
  echo "| configuration | saturation req/s | ÷ nginx | CPU µs/req (sat / $LOW_RATE) | RSS under load | p50 / p99 / p99.9 at $LOW_RATE req/s (ms) | p50 / p99 / p99.9 at $HALF_RATE req/s (ms) | added p50 / p99 at $HALF_RATE (ms) | errors |"
  echo "|---|---|---|---|---|---|---|---|---|"
  NG=$(rps nginx:sat)
  for cfg in $CONFIGS; do
    e=0; for k in sat low half; do e=$((e + $(errors "$cfg:$k"))); done
    rss="${RSS[$cfg:sat]} MiB"
    case $cfg in direct|nginx) rss="–" ;; esac
    echo "| $cfg | $(rps "$cfg:sat") | $(ratio "$(rps "$cfg:sat")" "$NG") | $(cpu_us "$cfg:sat") / $(cpu_us "$cfg:low") | $rss | $(ms "$cfg:low" p50) / $(ms "$cfg:low" p99) / $(ms "$cfg:low" p999) | $(ms "$cfg:half" p50) / $(ms "$cfg:half" p99) / $(ms "$cfg:half" p999) | $(added "$cfg:half" direct:half p50) / $(added "$cfg:half" direct:half p99) | $e |"
  done
  echo
  echo "CPU µs/req: user + system CPU of the serving processes over requests served (direct: the stub's nginx workers;"
  echo "nginx: its workers, which also serve the stub; proxies: the proxy JVM, plus the sidecar JVM for sidecar; never wrk)."
  echo "It is the figure least disturbed by other load on the machine."
  echo
  echo "Achieved rates (req/s), fixed-rate runs: $(for cfg in $CONFIGS; do printf '%s %s / %s; ' "$cfg" "$(rps "$cfg:low")" "$(rps "$cfg:half")"; done)"
  echo
  echo "## SSE streams"
  echo
  echo "| configuration | saturation streams/s (50 chunks each) | ÷ nginx | TTFB p50 / p99 (ms) | added TTFB p50 / p99 (ms) | per-chunk p50 / p99 (ms) | added per-chunk p50 (ms) |"
  echo "|---|---|---|---|---|---|---|"
  NGS=$(rps nginx:sat-sse)
  for cfg in $CONFIGS; do
    t50=$(sfield "$cfg" ttfb_p50_us); t99=$(sfield "$cfg" ttfb_p99_us); c50=$(sfield "$cfg" chunk_p50_us); c99=$(sfield "$cfg" chunk_p99_us)
    d50=$(sfield direct ttfb_p50_us); d99=$(sfield direct ttfb_p99_us); dc50=$(sfield direct chunk_p50_us)
    awk -v cfg="$cfg" -v s="$(rps "$cfg:sat-sse")" -v r="$(ratio "$(rps "$cfg:sat-sse")" "$NGS")" -v t50="$t50" -v t99="$t99" -v c50="$c50" -v c99="$c99" \
        -v d50="$d50" -v d99="$d99" -v dc50="$dc50" 'function m(v) { return v == "" ? "–" : sprintf("%.2f", v / 1000) }
      function a(x, y) { return (x == "" || y == "") ? "–" : sprintf("%+.2f", (x - y) / 1000) }
      BEGIN { printf "| %s | %s | %s | %s / %s | %s / %s | %s / %s | %s |\n", cfg, s, r, m(t50), m(t99), a(t50, d50), a(t99, d99), m(c50), m(c99), a(c50, dc50) }'
  done
  echo
  echo "TTFB: request sent → first SSE event, 200 streams (after 40 warm-up), 4 at a time, from a paced stub"
  echo "(\`loadtest/StreamBench.java stub\`: 50 chunks 5 ms apart, each stamped with its send time) reached through the"
  echo "nginx stub; per-chunk: stamp → arrival at the client. \"Added\" is over direct (client → stub)."
  echo
  echo "## $HOLD_STREAMS concurrent open streams (memory ledger, \`$PROXY_JVM\`)"
  echo
  echo "\`$HOLD\`"
  echo
  echo "heap_used: heap in use while all streams are open; heap_live: after a full GC (\`jcmd GC.run\`); RSS of the proxy process."
  echo
  echo "## Settlements"
  echo
  echo "| proxy | 2xx responses seen by wrk | admitted calls (\`spendguard_decisions_total\` CONTINUE) | settlements (\`spendguard_settlements_total\`) | exactly once |"
  echo "|---|---|---|---|---|"
  for cfg in $CONFIGS; do
    case $cfg in direct|nginx|floor) continue ;; esac
    ok=no; [ "${SETTLED[$cfg]}" = "${ADMITTED[$cfg]}" ] && ok=yes
    echo "| $cfg | $(requests_2xx "$cfg") | ${ADMITTED[$cfg]} | ${SETTLED[$cfg]} | $ok |"
  done
  echo
  echo "Admitted calls also include the stream benchmarks' streams and the requests in flight when each wrk run stopped"
  echo "(cut by wrk, settled by the proxy as client disconnects)."
  echo
  echo "## Targets"
  echo
  MEMR=$(ratio "$(rps memory:sat)" "$NG")
  echo "- memory proxy throughput ÷ nginx proxy_pass: **$MEMR** (target ≥ 0.50)"
  if [ -n "${PORT[floor]:-}" ]; then
    echo "- memory proxy throughput ÷ the bare Vert.x hop (floor): **$(ratio "$(rps memory:sat)" "$(rps floor:sat)")** (target ≥ 0.70); floor ÷ nginx: $(ratio "$(rps floor:sat)" "$NG")"
  fi
  echo "- added p99 over direct at $HALF_RATE req/s (half of our saturation): **$(added memory:half direct:half p99) ms** (target ≤ 2 ms)"
  echo "- added TTFB on streams, p50: **$(awk -v a="$(sfield memory ttfb_p50_us)" -v b="$(sfield direct ttfb_p50_us)" 'BEGIN { if (a == "" || b == "") print "–"; else printf "%+.2f", (a - b) / 1000 }') ms** (target ≤ 1 ms)"
  echo "- heap with $HOLD_STREAMS open streams: **$(hfield heap_used_mb) MiB in use, $(hfield heap_live_mb) MiB live** (target ≤ 1024 MiB)"
  if [ -n "${PORT[sqlite]:-}" ]; then
    echo "- SQLite ÷ memory throughput: **$(ratio "$(rps sqlite:sat)" "$(rps memory:sat)")** (target ≥ 0.50)"
  else
    echo "- SQLite ÷ memory throughput: not measured (${SKIP[sqlite]:-not selected})"
  fi
} > "$OUT"
log "wrote $OUT"
