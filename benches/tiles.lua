-- wrk script for benches/national.sh: cycles through a fixed tile list and prints one summary line.
--
--   wrk -t2 -c16 -d20s -s benches/tiles.lua http://127.0.0.1:PORT -- TILES PREFIX SUFFIX
--
-- TILES is a file of `z/x/y` lines; each request is GET PREFIX .. z/x/y .. SUFFIX (for example
-- PREFIX `/tiles/communes/` and SUFFIX `.mvt` for Bourg, PREFIX `/communes/` and no suffix for
-- Martin). Every thread walks the whole list in order, starting at a different place, and wraps.
-- Statuses are counted per thread: 200, 204 (an empty tile), anything else (`bad`). The last line
-- printed, `BENCH key=value ...`, is what national.sh reads; latencies are in milliseconds.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local requests = {}
local n = 0
local i = 0

function init(args)
  local file, prefix, suffix = args[1], args[2] or "/", args[3] or ""
  if not file then
    error("usage: wrk ... -s tiles.lua URL -- TILES [PREFIX] [SUFFIX]")
  end
  for line in io.lines(file) do
    if line:match("^%d+/%d+/%d+$") then
      n = n + 1
      requests[n] = wrk.format("GET", prefix .. line .. suffix)
    end
  end
  if n == 0 then
    error("no z/x/y line in " .. file)
  end
  i = (id * 101) % n -- threads start apart
  ok, empty, bad, tiles = 0, 0, 0, n
end

function request()
  i = i % n + 1
  return requests[i]
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  elseif status == 204 then
    empty = empty + 1
  else
    bad = bad + 1
  end
end

function done(summary, latency, _)
  local c = { ok = 0, empty = 0, bad = 0 }
  for _, t in ipairs(threads) do
    for k in pairs(c) do
      c[k] = c[k] + t:get(k)
    end
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  local ms = function(p) return latency:percentile(p) / 1000 end
  io.write(string.format(
    "BENCH requests=%d seconds=%.2f rps=%.1f p50=%.2f p90=%.2f p99=%.2f max=%.2f ok=%d empty=%d bad=%d "
      .. "timeouts=%d connect=%d read=%d write=%d bytes=%d tiles=%d\n",
    summary.requests, seconds, summary.requests / seconds, ms(50), ms(90), ms(99), latency.max / 1000,
    c.ok, c.empty, c.bad, e.timeout, e.connect, e.read, e.write, summary.bytes, threads[1]:get("tiles")))
end
