-- wrk script for loadtest/run.sh: POSTs one JSON body, optionally at a fixed total rate, and prints
-- one machine-readable RESULT line (latencies in microseconds).
--   WRK_BODY     file with the request body (required)
--   WRK_STUB     value of the X-Stub header (the upstream stub picks its reply by it: json, sse, paced)
--   WRK_RATE     total requests/s over all threads; 0 or unset = as fast as the connections allow
--   WRK_THREADS  the -t given to wrk (to split the rate between threads)
-- Fixed-rate mode paces each thread on a schedule (one slot every THREADS/RATE seconds, wrk's delay()
-- hook, 1 ms timer resolution). Latency is timed from the actual send, as in wrk; unlike wrk2 it is
-- not corrected for coordinated omission, so the connection count is kept well above rate × latency.
local f = assert(io.open(os.getenv("WRK_BODY"), "rb"))
local body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-loadtest-not-a-key"
local stub = os.getenv("WRK_STUB")
if stub and stub ~= "" then
  wrk.headers["X-Stub"] = stub
end

local rate = tonumber(os.getenv("WRK_RATE") or "0") or 0
local threads = tonumber(os.getenv("WRK_THREADS") or "1") or 1

if rate > 0 then
  local ffi = require("ffi")
  ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } sg_timespec;
    int clock_gettime(int clk_id, sg_timespec *tp);
  ]]
  local ts = ffi.new("sg_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local interval = threads * 1000 / rate
  local next_slot = nil
  function delay()
    local now = now_ms()
    if next_slot == nil or next_slot < now - 1000 then
      next_slot = now -- first call, or more than a second behind: restart the schedule, no burst
    end
    local wait = next_slot - now
    next_slot = next_slot + interval
    if wait < 0 then
      return 0
    end
    return math.floor(wait)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d bytes=%d non2xx=%d connect=%d read=%d write=%d timeout=%d p50=%d p90=%d p99=%d p999=%d max=%d mean=%.1f\n",
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
