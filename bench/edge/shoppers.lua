-- wrk script for `bench/run edge`: shoppers browsing tenant stores over one address.
--
--   wrk ... -s shoppers.lua https://127.0.0.1:PORT -- TARGETS all|one [close]
--
-- TARGETS holds "kind host path" lines written by edge-seed. "all" rotates over every tenant,
-- "one" keeps the first tenant only. The Host header names the tenant (the connection's SNI
-- is the URL's address, so both servers present their default certificate, the platform
-- wildcard, which covers every tenant host). "close" sends Connection: close, so that every
-- request pays a full TLS handshake on a new connection.
--
-- Page mix per 10 requests: 3 home, 3 product, 2 category, 2 asset. Requests are formatted
-- once in init(), so the generator spends its share of the two cores on the sockets, not on Lua.

local mix = { "home", "product", "category", "asset", "home", "product", "category", "home", "product", "asset" }
local pool = { home = {}, category = {}, product = {}, asset = {} }
local cursor = { home = 0, category = 0, product = 0, asset = 0 }
local step = 0
local threads = 0

function setup(thread)
    threads = threads + 1
    thread:set("thread_number", threads)
end

function init(args)
    local file, mode, close = args[1], args[2], args[3] == "close"
    local first
    for line in io.lines(file) do
        local kind, host, path = line:match("^(%S+) (%S+) (%S+)$")
        first = first or host
        if mode == "all" or host == first then
            local headers = { Host = host }
            if close then
                headers["Connection"] = "close"
            end
            table.insert(pool[kind], wrk.format("GET", path, headers))
        end
    end
    -- Shuffled, in a different order per thread, so that consecutive requests name different
    -- tenants and pages, as independent shoppers would; every URL is still visited in turn.
    math.randomseed(thread_number or 1)
    for _, list in pairs(pool) do
        assert(#list > 0, "no targets of some kind in " .. file)
        for i = #list, 2, -1 do
            local j = math.random(i)
            list[i], list[j] = list[j], list[i]
        end
    end
end

function request()
    step = step % #mix + 1
    local kind = mix[step]
    local list = pool[kind]
    local next = cursor[kind] % #list + 1
    cursor[kind] = next
    return list[next]
end

function done(summary, latency, requests)
    local errors = summary.errors
    io.write(string.format(
        '{"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, "read_errors": %d, '
            .. '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50_us": %d, "p99_us": %d}\n',
        summary.requests, summary.duration, summary.bytes, errors.connect, errors.read, errors.write,
        errors.status, errors.timeout, latency:percentile(50), latency:percentile(99)
    ))
end
