-- wrk script for bench/flash_sale.py: anonymous readers of the deal list and the flash deal's page, alternately.
--
--   wrk -t 2 -c 64 -d 60s -s bench/flash_sale_browse.lua http://127.0.0.1:PORT -- DEAL_ID

local paths = {}
local n = 0

function init(args)
  paths = { "/api/v1/deals?page=1&page_size=20", "/api/v1/deals/" .. args[1] }
end

function request()
  n = n + 1
  return wrk.format("GET", paths[n % 2 + 1])
end

function done(summary, latency, requests)
  io.write(string.format(
    "FS-BROWSE requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
