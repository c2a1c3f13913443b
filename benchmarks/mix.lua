-- wrk script for benchmarks/run.py --mix: each connection cycles through the addresses in the
-- file BENCH_MIX_URLS (one per line), all threads together stop after BENCH_MIX_REQUESTS
-- responses, and the summary reports the page cache's hits and misses (X-Page-Cache), the
-- latency percentiles and mean, and the seconds from the first request to the last response, as
-- one JSON line. (wrk reports its whole -d duration even when the threads stop early, so its own
-- requests/s is not the throughput; nor is connections / mean latency: with a new connection per
-- request, wrk's mean latency came out about twice what the server's access log allowed.)
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } mix_timespec;
int clock_gettime(int clock_id, mix_timespec *tp);
]]
local clock = ffi.new("mix_timespec")

local function now_us()
  ffi.C.clock_gettime(1, clock)  -- CLOCK_MONOTONIC: the same clock in every thread
  return tonumber(clock.tv_sec) * 1e6 + tonumber(clock.tv_nsec) / 1e3
end

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  urls = {}
  for line in io.lines(os.getenv("BENCH_MIX_URLS")) do
    table.insert(urls, line)
  end
  local threads_count = tonumber(os.getenv("BENCH_MIX_THREADS"))
  share = math.ceil(tonumber(os.getenv("BENCH_MIX_REQUESTS")) / threads_count)
  -- Threads start evenly spread over the list, as readers are over the site. (Started a few
  -- addresses apart, the one behind caught up on the other's copies and then asked for each
  -- address the moment the other did, waiting for its build: a lockstep readers never keep.)
  position = math.floor(id * #urls / threads_count)
  done_count, hits, misses, errors = 0, 0, 0, 0
  first_us, last_us = 0, 0
end

function request()
  if first_us == 0 then first_us = now_us() end
  position = position % #urls + 1
  -- A new connection for each request, as from many readers: gunicorn's workers each accept
  -- a share of them. (With wrk's few kept-alive connections, whichever worker accepted them
  -- at the start served them to the end: a run could find one worker serving everything
  -- while the other idled.)
  return wrk.format("GET", urls[position], {["Connection"] = "close"})
end

function response(status, headers, body)
  done_count = done_count + 1
  last_us = now_us()
  if status ~= 200 then errors = errors + 1 end
  local state = headers["X-Page-Cache"] or headers["x-page-cache"]
  if state == "hit" then hits = hits + 1 elseif state == "miss" then misses = misses + 1 end
  if done_count >= share then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local hit, miss, failed, first, last = 0, 0, 0, math.huge, 0
  for _, thread in ipairs(threads) do
    hit = hit + thread:get("hits")
    miss = miss + thread:get("misses")
    failed = failed + thread:get("errors")
    first = math.min(first, thread:get("first_us"))
    last = math.max(last, thread:get("last_us"))
  end
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "hits": %d, "misses": %d, "non_200": %d, "mean_ms": %.2f, "p50_ms": %.1f, "p95_ms": %.1f, "p99_ms": %.1f, "max_ms": %.1f}\n',
    summary.requests, (last - first) / 1e6, hit, miss, failed, latency.mean / 1000,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
