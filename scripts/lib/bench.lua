-- The one wrk script of scripts/bench. Arguments after `--`, as name=value:
--
--   mode=api      POST /api/cache/get (and /api/cache/set, see set=) with JSON bodies
--        get      GET <path><index> (Varnish, the origin tier's /api/cdn/stream?path=)
--        post     POST <path> with the first get body (hb-baseline's /baseline)
--   bodies=FILE   get bodies, one a line (scripts/lib/bench.py gen); the key set is its lines
--   sets=FILE     the matching set bodies, line for line (needed when set= is above 0)
--   keys=FILE     API keys, one a line: requests take them in turn (X-API-Key), so no one
--                 key's rate limit is reached (see scripts/bench, "API keys"); empty: no key
--   path=P        the URL (prefix) of mode get/post; mode get appends the key index (1..n)
--   n=N           key set size for mode get (mode api: the number of lines of bodies=)
--   zipf=S        Zipf exponent of the key choice (default 1.0; 0 = uniform)
--   set=F         fraction of requests that are sets of the chosen key (default 0)
--   seed=N        random seed (each thread adds its number)
--   delay=MS      wait MS milliseconds before each request of a connection (default none: as
--                 fast as answers come); a paced load whose latency is not its own queueing
--
-- Requests are preformatted per key (head and body) and joined with the API key's header line
-- per request. No response() is defined: wrk then does not copy headers and bodies into Lua.
-- done() prints one line: RESULT req/s p50_ms p99_ms socket_errors non_2xx requests
-- (wrk counts an answer with a status above 399 as non-2xx).

local thread_total = 0

function setup(thread)
    thread_total = thread_total + 1
    thread:set("thread_number", thread_total)
end

local function lines(path, may_be_empty)
    local list = {}
    for line in io.lines(path) do
        if line ~= "" then list[#list + 1] = line end
    end
    assert(may_be_empty or #list > 0, "bench.lua: " .. path .. " is empty")
    return list
end

local options = {}
local mode, key_count, set_fraction
local cdf = {}
local key_lines, key_turn = {}, 0
local get_heads, get_tails, set_heads, set_tails = {}, {}, {}, {}

local function head(method, path, length)
    local text = method .. " " .. path .. " HTTP/1.1\r\nHost: " .. wrk.host .. ":" .. wrk.port .. "\r\n"
    if length then
        text = text .. "Content-Type: application/json\r\nContent-Length: " .. length .. "\r\n"
    end
    return text
end

-- The Zipf weights' cumulative distribution over ranks 1..n (rank = key index).
local function build_cdf(n, exponent)
    local total = 0
    for rank = 1, n do
        total = total + 1 / rank ^ exponent
        cdf[rank] = total
    end
    for rank = 1, n do cdf[rank] = cdf[rank] / total end
    cdf[n] = 1
end

-- A Zipf-distributed key index: the first rank whose cumulative weight reaches a uniform draw.
local function zipf_index()
    local u = math.random()
    local low, high = 1, key_count
    while low < high do
        local middle = math.floor((low + high) / 2)
        if cdf[middle] < u then low = middle + 1 else high = middle end
    end
    return low
end

local function key_line()
    if #key_lines == 0 then return "" end
    key_turn = key_turn % #key_lines + 1
    return key_lines[key_turn]
end

function init(args)
    for _, argument in ipairs(args) do
        local name, value = argument:match("^([%w_]+)=(.*)$")
        assert(name, "bench.lua: arguments are name=value, got " .. argument)
        options[name] = value
    end
    mode = assert(options.mode, "bench.lua: mode= is required")
    if options.delay then
        local milliseconds = assert(tonumber(options.delay), "bench.lua: delay= takes milliseconds")
        -- wrk looks for a global delay() after init; without one it sends back to back.
        delay = function() return milliseconds end
    end
    set_fraction = tonumber(options.set) or 0
    math.randomseed((tonumber(options.seed) or 1) * 7919 + (thread_number or 1))

    if options.keys then
        local keys = lines(options.keys, true)
        for i, key in ipairs(keys) do key_lines[i] = "X-API-Key: " .. key .. "\r\n" end
        -- Threads start at different places in the pool (half of it apart for two threads),
        -- so they do not walk it in step.
        key_turn = ((thread_number or 1) - 1) * math.floor(#keys / 2)
    end

    if mode == "api" or mode == "post" then
        local bodies = lines(assert(options.bodies, "bench.lua: mode " .. mode .. " needs bodies="))
        key_count = #bodies
        for i, body in ipairs(bodies) do
            get_heads[i] = head("POST", mode == "post" and options.path or "/api/cache/get", #body)
            get_tails[i] = "\r\n" .. body
        end
        if set_fraction > 0 then
            local sets = lines(assert(options.sets, "bench.lua: set= needs sets="))
            assert(#sets == key_count, "bench.lua: sets= and bodies= differ in length")
            for i, body in ipairs(sets) do
                set_heads[i] = head("POST", "/api/cache/set", #body)
                set_tails[i] = "\r\n" .. body
            end
        end
    elseif mode == "get" then
        key_count = tonumber(options.n) or 1
        local path = assert(options.path, "bench.lua: mode get needs path=")
        for i = 1, key_count do
            get_heads[i] = head("GET", path .. i)
            get_tails[i] = "\r\n"
        end
    else
        error("bench.lua: unknown mode " .. mode)
    end
    build_cdf(key_count, tonumber(options.zipf) or 1.0)
end

function request()
    if mode == "post" then return get_heads[1] .. key_line() .. get_tails[1] end
    local index = zipf_index()
    if set_fraction > 0 and math.random() < set_fraction then
        return set_heads[index] .. key_line() .. set_tails[index]
    end
    return get_heads[index] .. key_line() .. get_tails[index]
end

function done(summary, latency, requests)
    local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
    io.write(string.format("RESULT %.1f %.3f %.3f %d %d %d\n",
        summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        errors, summary.errors.status, summary.requests))
end
