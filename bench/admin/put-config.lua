-- wrk script: PUT /api/tenants/{id}/config/branding with a new colour every time, rotating over
-- the tenant ids given after `--`, authenticated with the token in $EDGE_TOKEN.
-- wrk -t2 -c32 -d10s --latency -s put-config.lua https://127.0.0.1:9443 -- <id> <id> ...
-- With $EDGE_THINK_MS set, each connection waits after every response before its next request,
-- as a person or a script between calls would: a random time, exponentially distributed with that
-- mean, so the clients' requests arrive independently. A fixed wait would keep the 32 clients in
-- step (they start together and take about as long), so every period all of them would arrive at
-- once: a burst the load generator makes, not one that independent callers do. Otherwise each
-- connection sends back to back.
-- With $EDGE_HEALTH set, each request is GET /healthz instead, under the same pacing: the admin
-- listener's answer that does no work, which shows what Hummingbird alone costs at that load.
local ids = {}
local counter = 0

-- Every thread's Lua state starts with the same random seed, so without an offset of its own
-- each thread sent the other's requests again: half the PUTs wrote the colour already stored,
-- which changes nothing and is audited on its own.
local threads = 0
function setup(thread)
  thread:set("offset", threads * 1000000007)
  threads = threads + 1
end

function init(args)
  for _, id in ipairs(args) do
    ids[#ids + 1] = id
  end
  counter = offset + math.random(0, 1000000)
end

local health = os.getenv("EDGE_HEALTH") and wrk.format("GET", "/healthz", { ["Host"] = "localhost" })

function request()
  if health then
    return health
  end
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  local colour = string.format("#%06x", (counter * 2654435761) % 16777216)
  local body = '{"companyName":"Bench Store","colors":{"primary":"' .. colour .. '"}}'
  return wrk.format("PUT", "/api/tenants/" .. id .. "/config/branding", {
    ["Authorization"] = "Bearer " .. os.getenv("EDGE_TOKEN"),
    ["Content-Type"] = "application/json",
    ["Host"] = "localhost",
  }, body)
end

local think = tonumber(os.getenv("EDGE_THINK_MS") or "")
if think then
  function delay()
    return -math.log(1 - math.random()) * think
  end
end

local errors = 0
function response(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
    if errors <= 3 then
      io.stderr:write("status " .. status .. ": " .. body .. "\n")
    end
  end
end
