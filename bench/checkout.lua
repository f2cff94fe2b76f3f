-- wrk script for bench/checkout.py: one path of the checkout bench per run, chosen by MODE.
--
--   wrk -t T -c C -d 10s -s bench/checkout.lua http://127.0.0.1:PORT -- MODE ROUND T TOKENS DEALS PRODUCTS
--
-- TOKENS is a file of shoppers, one per line (`token` or `token coupon_id`), or "-"; DEALS the deal ids,
-- comma-separated, or "-"; PRODUCTS the ceiling's product count. Every groupbuy request carries the shopper's
-- token and a fresh Idempotency-Key (MODE, ROUND, thread and a per-thread counter: unique within a bench run).
--
--   ceiling  POST /orders to the ceiling app: two lines of random products
--   reserve  POST /products/<random>/reserve {"qty": 1} to the ceiling app
--   items    POST /api/v1/orders with one random deal, a random shopper of the file
--   add      POST /api/v1/cart/items with one random deal, a random shopper of the file
--   filled   POST /api/v1/orders from the cart; each shopper (one filled cart) is used once
--   coupon   POST /api/v1/orders with one random deal and the shopper's coupon; each shopper is used once
--   loop     cart add, then order from the cart, shopper after shopper; needs -t C -c C (one connection per
--            thread) so the two steps of a shopper go in order; only the order is counted, timed by the script
--
-- filled and coupon are one-shot: thread N takes the lines n with n % T == N, each once. A thread that has
-- handed out all of its lines says exhausted=1 and stops (its last request, a GET /healthz, is never read), so
-- no consumed shopper is sent again and counted; answers the thread reads after that are not counted either. In
-- loop mode a failed cart add is counted as the negative of its status (bench/wrkrun.py keeps those apart) and
-- the shopper is skipped. wrk calls request() once before the run to check it: that
-- shopper of thread 0 is counted as used but never sent.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local stats = dofile(here .. "wrkstats.lua")

setup = stats.setup
done = stats.done

local mode, round, products
local shoppers = {}
local deals = {}
local next_shopper = 1
local serial = 0
local step = "add" -- loop mode: the step of the current shopper
local sent = 0 -- loop mode: when the order was written (ms)
local JSON = { ["Content-Type"] = "application/json" }

function init(args)
  mode, round, products = args[1], args[2], tonumber(args[6]) or 10000
  local threads_total, path = tonumber(args[3]), args[4]
  if path ~= "-" then
    if mode == "filled" or mode == "coupon" or mode == "loop" then
      shoppers = stats.slice(path, id, threads_total)
    else
      shoppers = stats.slice(path, 0, 1)
    end
  end
  if args[5] ~= "-" then
    for deal in string.gmatch(args[5], "%d+") do
      table.insert(deals, deal)
    end
  end
  math.randomseed(os.time() + 7919 * id + tonumber(round))
end

local function key()
  serial = serial + 1
  return mode .. round .. "-" .. id .. "-" .. serial
end

local function headers_for(token)
  return {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key(),
  }
end

local function random_deal()
  return deals[math.random(#deals)]
end

local function one_shot() -- the next unused shopper of this thread, or nil (then the thread stops)
  local shopper = shoppers[next_shopper]
  if shopper == nil then
    if exhausted == 0 then
      exhausted = 1
      wrk.thread:stop()
    end
    return nil
  end
  next_shopper = next_shopper + 1
  used = used + 1
  return shopper
end

function request()
  if mode == "ceiling" then
    local body = string.format(
      '{"user_id": %d, "items": [{"product_id": %d, "qty": 1, "price_cents": 199},'
        .. ' {"product_id": %d, "qty": 1, "price_cents": 199}]}',
      id, math.random(products), math.random(products))
    return wrk.format("POST", "/orders", JSON, body)
  elseif mode == "reserve" then
    return wrk.format("POST", "/products/" .. math.random(products) .. "/reserve", JSON, '{"qty": 1}')
  elseif mode == "items" then
    local token = shoppers[math.random(#shoppers)][1]
    return wrk.format("POST", "/api/v1/orders", headers_for(token),
      '{"items": [{"deal_id": ' .. random_deal() .. ', "quantity": 1}], "fulfilment": "pickup"}')
  elseif mode == "add" then
    local token = shoppers[math.random(#shoppers)][1]
    return wrk.format("POST", "/api/v1/cart/items", headers_for(token),
      '{"deal_id": ' .. random_deal() .. ', "quantity": 1}')
  elseif mode == "filled" then
    local shopper = one_shot()
    if shopper == nil then
      return wrk.format("GET", "/healthz")
    end
    return wrk.format("POST", "/api/v1/orders", headers_for(shopper[1]), '{"from_cart": true, "fulfilment": "pickup"}')
  elseif mode == "coupon" then
    local shopper = one_shot()
    if shopper == nil then
      return wrk.format("GET", "/healthz")
    end
    return wrk.format("POST", "/api/v1/orders", headers_for(shopper[1]),
      '{"items": [{"deal_id": ' .. random_deal() .. ', "quantity": 1}], "fulfilment": "pickup", "coupon_id": '
        .. shopper[2] .. "}")
  elseif mode == "loop" then
    local token = shoppers[next_shopper][1]
    if step == "add" then
      return wrk.format("POST", "/api/v1/cart/items", headers_for(token),
        '{"deal_id": ' .. random_deal() .. ', "quantity": 1}')
    end
    sent = stats.now_ms()
    return wrk.format("POST", "/api/v1/orders", headers_for(token), '{"from_cart": true, "fulfilment": "pickup"}')
  end
  error("unknown mode " .. tostring(mode))
end

function response(status, headers, body)
  if exhausted == 1 then
    return -- answers read after this thread ran out are not counted (the run is reported as exhausted)
  end
  if mode ~= "loop" then
    stats.count(status)
    return
  end
  if step == "add" then
    if status >= 200 and status < 300 then
      step = "order"
    else
      stats.count(-status) -- a failed cart add: not an order; a negative status, counted apart
      next_shopper = next_shopper % #shoppers + 1
    end
    return
  end
  stats.count(status)
  if status >= 200 and status < 300 then
    table.insert(lat, string.format("%.2f", stats.now_ms() - sent))
  end
  step = "add"
  next_shopper = next_shopper % #shoppers + 1
end
