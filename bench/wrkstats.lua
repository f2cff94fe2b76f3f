-- Shared by bench/checkout.lua and bench/browse.lua (they load it with dofile): thread numbering, a monotonic
-- clock, status counting, and the lines done() writes for bench/wrkrun.py (read_stats):
--
--   WRK-THREAD id=N used=K exhausted=0|1 statuses=201:812,409:3 lat=12.31,9.80,...
--   WRK-SUMMARY requests=.. duration_us=.. connect=.. read=.. write=.. timeout=.. status=.. p50_us=.. p99_us=..
--
-- `statuses` are the measured requests' answers as counted by the script (a negative status: a preliminary step
-- that failed, such as the cart add before an order), `used` the one-shot tokens a thread
-- handed out, `exhausted` 1 when it ran out of them and stopped early, `lat` the script's own latencies in ms
-- (only when it measures them itself: one connection per thread). WRK-SUMMARY is wrk's own count and its latency
-- histogram's p50/p99 over every answer.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } ws_timespec;
int clock_gettime(int clk_id, ws_timespec *tp);
]]
local ts = ffi.new("ws_timespec")

local M = {}
local threads = {} -- main state

-- thread state: globals, so that done() can read them with thread:get
statuses = {}
lat = {}
used = 0
exhausted = 0

function M.setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function M.now_ms() -- CLOCK_MONOTONIC
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

function M.count(status)
  statuses[status] = (statuses[status] or 0) + 1
end

-- A list of tokens (one per line, fields separated by spaces) from `path`: the lines n with n % of == id.
function M.slice(path, id, of)
  local mine = {}
  local n = 0
  for line in io.lines(path) do
    if line ~= "" then
      if n % of == id then
        local fields = {}
        for field in string.gmatch(line, "%S+") do
          table.insert(fields, field)
        end
        table.insert(mine, fields)
      end
      n = n + 1
    end
  end
  return mine
end

function M.done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local parts = {}
    for status, n in pairs(thread:get("statuses") or {}) do
      table.insert(parts, status .. ":" .. n)
    end
    io.write("WRK-THREAD id=", thread:get("id"), " used=", thread:get("used") or 0, " exhausted=",
      thread:get("exhausted") or 0, " statuses=", table.concat(parts, ","), " lat=",
      table.concat(thread:get("lat") or {}, ","), "\n")
  end
  io.write(string.format(
    "WRK-SUMMARY requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d status=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, summary.errors.status, latency:percentile(50), latency:percentile(99)))
end

return M
