-- wrk script: fetch random existing tickets by number.  Used by scripts/bench-api.
--
-- Environment:
--   ZAYAVKA_BENCH_TOKEN       bearer token
--   ZAYAVKA_BENCH_MIN_NUMBER  lowest existing ticket number
--   ZAYAVKA_BENCH_MAX_NUMBER  highest existing ticket number
--   ZAYAVKA_BENCH_LUA_DIR     this folder (for common.lua)

local token = os.getenv("ZAYAVKA_BENCH_TOKEN")
local min_number = tonumber(os.getenv("ZAYAVKA_BENCH_MIN_NUMBER") or "")
local max_number = tonumber(os.getenv("ZAYAVKA_BENCH_MAX_NUMBER") or "")
if not token or not min_number or not max_number then
   error("ZAYAVKA_BENCH_TOKEN, ZAYAVKA_BENCH_MIN_NUMBER and ZAYAVKA_BENCH_MAX_NUMBER must be set")
end

expected_status = 200
dofile(os.getenv("ZAYAVKA_BENCH_LUA_DIR") .. "/common.lua")

function init(args)
   reset_counters()
   math.randomseed(os.time() * 1000 + thread_id)
   request_headers = { ["Authorization"] = "Bearer " .. token }
end

function request()
   local number = math.random(min_number, max_number)
   return wrk.format("GET", "/api/v1/tickets/" .. number, request_headers)
end
