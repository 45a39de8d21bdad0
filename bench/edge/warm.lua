-- wrk script for `bench/run edge`: requests every URL of TARGETS once, then stops, so that the
-- measured runs start with a warm page cache (edge) and warm file caches (nginx).
--
--   wrk -t1 ... -s warm.lua https://127.0.0.1:PORT -- TARGETS
--
-- A script of its own because defining response() makes wrk parse every response, which the
-- measured runs should not pay for. It exits wrk once every URL is answered: wrk.thread:stop()
-- would only stop the thread, and wrk still waits out the whole -d duration.

local requests = {}
local sent = 0
local answered = 0

function init(args)
    for line in io.lines(args[1]) do
        local _, host, path = line:match("^(%S+) (%S+) (%S+)$")
        table.insert(requests, wrk.format("GET", path, { Host = host }))
    end
end

function request()
    sent = sent % #requests + 1
    return requests[sent]
end

function response(status, headers, body)
    answered = answered + 1
    if answered >= #requests then
        os.exit(0)
    end
end
