-- wrk script for benches/load.sh: cycles through a list of request paths (one per line) and prints
-- one summary line.
--
--   wrk -t2 -c200 -d60s --timeout 40s -s benches/paths.lua http://127.0.0.1:PORT -- PATHS
--
-- Statuses are counted per thread: answered (2xx and 304), busy (503: the server's CPU line was
-- full or a request passed its deadline; it says when to come back), and anything else (`bad`).
-- The last line printed, `BENCH key=value ...`, is what load.sh reads; latencies in milliseconds.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local requests = {}
local n = 0
local i = 0

function init(args)
  local file = args[1]
  if not file then
    error("usage: wrk ... -s paths.lua URL -- PATHS")
  end
  for line in io.lines(file) do
    if line:match("^/") then
      n = n + 1
      requests[n] = wrk.format("GET", line, { ["Accept-Encoding"] = "gzip" })
    end
  end
  if n == 0 then
    error("no path in " .. file)
  end
  i = (id * 997) % n -- threads start apart
  ok, busy, bad = 0, 0, 0
end

function request()
  i = i % n + 1
  return requests[i]
end

function response(status, headers, body)
  if (status >= 200 and status < 300) or status == 304 then
    ok = ok + 1
  elseif status == 503 then
    busy = busy + 1
  else
    bad = bad + 1
  end
end

function done(summary, latency, _)
  local c = { ok = 0, busy = 0, bad = 0 }
  for _, t in ipairs(threads) do
    for k in pairs(c) do
      c[k] = c[k] + t:get(k)
    end
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  local ms = function(p) return latency:percentile(p) / 1000 end
  io.write(string.format(
    "BENCH requests=%d seconds=%.2f rps=%.1f p50=%.2f p90=%.2f p99=%.2f max=%.2f ok=%d busy=%d bad=%d "
      .. "timeouts=%d connect=%d read=%d write=%d status=%d bytes=%d\n",
    summary.requests, seconds, summary.requests / seconds, ms(50), ms(90), ms(99), latency.max / 1000,
    c.ok, c.busy, c.bad, e.timeout, e.connect, e.read, e.write, e.status, summary.bytes))
end
