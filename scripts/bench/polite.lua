-- wrk script: many well-behaved customers, each fetching their own ticket at a steady pace, each
-- behind its own client address (X-Forwarded-For, believed from the trusted proxy 127.0.0.1).
-- Used by scripts/bench-abuse.
--
-- Environment:
--   ZAYAVKA_BENCH_TOKENS     comma-separated bearer tokens, one per customer
--   ZAYAVKA_BENCH_NUMBERS    comma-separated ticket numbers, the same order
--   ZAYAVKA_BENCH_DELAY_MS   pause of each connection between its requests
--   ZAYAVKA_BENCH_STATUS     the status expected (200)
--   ZAYAVKA_BENCH_ADDRESS_PREFIX  the client addresses' first two octets (198.18)
--   ZAYAVKA_BENCH_LUA_DIR    this folder (for common.lua)

local function split(text)
   local out = {}
   for item in string.gmatch(text or "", "[^,]+") do table.insert(out, item) end
   return out
end

local tokens = split(os.getenv("ZAYAVKA_BENCH_TOKENS"))
local numbers = split(os.getenv("ZAYAVKA_BENCH_NUMBERS"))
local pause = tonumber(os.getenv("ZAYAVKA_BENCH_DELAY_MS") or "0")
local prefix = os.getenv("ZAYAVKA_BENCH_ADDRESS_PREFIX") or "198.18"
if #tokens == 0 or #tokens ~= #numbers then error("ZAYAVKA_BENCH_TOKENS and ZAYAVKA_BENCH_NUMBERS must be set, the same length") end

expected_status = tonumber(os.getenv("ZAYAVKA_BENCH_STATUS") or "200")
dofile(os.getenv("ZAYAVKA_BENCH_LUA_DIR") .. "/common.lua")

function init(args)
   reset_counters()
   counter = thread_id
end

function delay()
   return pause
end

function request()
   counter = counter + 1
   local k = (counter % #tokens) + 1
   local headers = { ["Authorization"] = "Bearer " .. tokens[k], ["X-Forwarded-For"] = prefix .. "." .. math.floor(k / 250) .. "." .. (k % 250 + 1) }
   return wrk.format("GET", "/api/v1/tickets/" .. numbers[k], headers)
end
