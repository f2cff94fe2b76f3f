-- wrk script for bench/browse.py: one read path per run, chosen by MODE.
--
--   wrk -t T -c C -d 10s -s bench/browse.lua http://127.0.0.1:PORT -- MODE TOKENS IDS N
--
--   pk          GET /products/<random 1..N> of the ceiling app (IDS "-")
--   detail      GET /api/v1/deals/<random of IDS>
--   list        GET /api/v1/deals?page=1&page_size=20, with &category=<random of IDS> unless IDS is "-"
--   revalidate  GET /api/v1/deals/<deal> with If-None-Match: <etag>, a random line "deal etag" of the file IDS
--
-- TOKENS is a file of bearer tokens, one per line: each request carries a random one (a personalised read), or
-- "-" for anonymous reads. IDS is a comma-separated list of ids (or, for revalidate, a file). Every answer is
-- counted by status; p50/p99 come from wrk's own histogram (bench/wrkstats.lua writes the summary).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local stats = dofile(here .. "wrkstats.lua")

setup = stats.setup
done = stats.done

local mode, products
local tokens = {}
local ids = {}
local etags = {}

function init(args)
  mode, products = args[1], tonumber(args[4]) or 10000
  if args[2] ~= "-" then
    for _, fields in ipairs(stats.slice(args[2], 0, 1)) do
      table.insert(tokens, fields[1])
    end
  end
  if mode == "revalidate" then
    etags = stats.slice(args[3], 0, 1)
  elseif args[3] ~= "-" then
    for value in string.gmatch(args[3], "%d+") do
      table.insert(ids, value)
    end
  end
  math.randomseed(os.time() + 7919 * id)
end

local function headers()
  if #tokens == 0 then
    return {}
  end
  return { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] }
end

function request()
  if mode == "pk" then
    return wrk.format("GET", "/products/" .. math.random(products))
  elseif mode == "detail" then
    return wrk.format("GET", "/api/v1/deals/" .. ids[math.random(#ids)], headers())
  elseif mode == "list" then
    local path = "/api/v1/deals?page=1&page_size=20"
    if #ids > 0 then
      path = path .. "&category=" .. ids[math.random(#ids)]
    end
    return wrk.format("GET", path, headers())
  elseif mode == "revalidate" then
    local line = etags[math.random(#etags)]
    local h = headers()
    h["If-None-Match"] = line[2]
    return wrk.format("GET", "/api/v1/deals/" .. line[1], h)
  end
  error("unknown mode " .. tostring(mode))
end

function response(status, headers, body)
  stats.count(status)
end
