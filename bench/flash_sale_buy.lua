-- wrk script for bench/flash_sale.py: the shoppers of a flash sale.
--
-- Run wrk with as many threads as connections (-t N -c N): each thread then has one connection, so its shoppers
-- go strictly one after another (cart add, then order from the cart) and the time of an order is the time from
-- writing its request to reading its answer. Each shopper has its own token and each request its own
-- Idempotency-Key. A shopper whose cart add fails gives up; a thread whose shoppers are all served says so in
-- the `finished` file and then asks GET /healthz until the bench stops wrk (when all have): it must not idle on
-- an open connection, since a gunicorn sync worker that accepted it would wait for a request that never comes and
-- the last shoppers would queue behind it until the worker timeout.
--
--   wrk -t 64 -c 64 -d 60s -s bench/flash_sale_buy.lua http://127.0.0.1:PORT -- TOKENS DEAL_ID THREADS RUN FINISHED

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } fs_timespec;
int clock_gettime(int clk_id, fs_timespec *tp);
]]
local ts = ffi.new("fs_timespec")

local function clock(id) -- seconds: 0 = CLOCK_REALTIME, 1 = CLOCK_MONOTONIC
  ffi.C.clock_gettime(id, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

-- main state: number the threads and collect their figures at the end
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

-- thread state (the figures are globals: done() reads them with thread:get)
local shoppers = {} -- { {index, token}, ... } this thread's shoppers
local next_shopper = 1
local step = "add"
local sent = 0
local deal, run, finished_path
counts = {}
latencies = {} -- ms, successful orders only
last_ok = 0 -- CLOCK_REALTIME of the last successful order's answer
first_sold_out = 0 -- CLOCK_REALTIME of the first deal_sold_out answer
local done_flag = false

function init(args)
  local path, threads_total
  path, deal, threads_total, run, finished_path = args[1], args[2], tonumber(args[3]), args[4], args[5]
  local n = 0
  for token in io.lines(path) do
    if n % threads_total == id then
      table.insert(shoppers, { n, token })
    end
    n = n + 1
  end
end

local function bump(key)
  counts[key] = (counts[key] or 0) + 1
end

local function finish()
  if not done_flag then
    done_flag = true
    local f = io.open(finished_path, "a")
    f:write(id, "\n")
    f:close()
  end
end

function request()
  local shopper = shoppers[next_shopper]
  if shopper == nil then
    finish()
    return wrk.format("GET", "/healthz")
  end
  local headers = {
    ["Authorization"] = "Bearer " .. shopper[2],
    ["Content-Type"] = "application/json",
  }
  sent = clock(1)
  if step == "add" then
    headers["Idempotency-Key"] = "fs" .. run .. "-add-" .. shopper[1]
    return wrk.format("POST", "/api/v1/cart/items", headers, '{"deal_id": ' .. deal .. ', "quantity": 1}')
  end
  headers["Idempotency-Key"] = "fs" .. run .. "-order-" .. shopper[1]
  return wrk.format("POST", "/api/v1/orders", headers, '{"from_cart": true, "fulfilment": "pickup"}')
end

function response(status, headers, body)
  if shoppers[next_shopper] == nil then
    return -- the idle thread's /healthz
  end
  local elapsed_ms = (clock(1) - sent) * 1000
  local kind
  if status >= 500 then
    kind = "5xx"
  elseif status == 409 and body and string.find(body, "deal_sold_out", 1, true) then
    kind = "sold_out"
    if first_sold_out == 0 then
      first_sold_out = clock(0)
    end
  elseif status >= 200 and status < 300 then
    kind = "ok"
  else
    kind = "other_" .. status
  end
  bump(step .. "_" .. kind)
  if step == "add" and kind == "ok" then
    step = "order"
    return
  end
  if step == "order" and kind == "ok" then
    table.insert(latencies, string.format("%.2f", elapsed_ms))
    last_ok = clock(0)
  end
  step = "add"
  next_shopper = next_shopper + 1
  if shoppers[next_shopper] == nil then
    finish()
  end
end

-- main state, after wrk stopped: one line per thread for the bench to read
function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local c = thread:get("counts") or {}
    local parts = {}
    for k, v in pairs(c) do
      table.insert(parts, k .. "=" .. v)
    end
    io.write("FS-THREAD ", thread:get("id"), " last_ok=", string.format("%.6f", thread:get("last_ok") or 0),
      " first_sold_out=", string.format("%.6f", thread:get("first_sold_out") or 0),
      " counts=", table.concat(parts, ","),
      " lat=", table.concat(thread:get("latencies") or {}, ","), "\n")
  end
  io.write(string.format("FS-WRK requests=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
end
