-- wrk script: fetch random existing tickets by number.  Used by scripts/bench-api.
--
-- Environment:
--   ZAYAVKA_BENCH_TOKEN       bearer token
--   ZAYAVKA_BENCH_MIN_NUMBER  lowest existing ticket number
--   ZAYAVKA_BENCH_MAX_NUMBER  highest existing ticket number
--
-- Every response other than 200 is counted; done() prints the totals as
-- "bench_bad_status: N" and "bench_first_bad_status: CODE" for bench-api to parse.

local token = os.getenv("ZAYAVKA_BENCH_TOKEN")
local min_number = tonumber(os.getenv("ZAYAVKA_BENCH_MIN_NUMBER") or "")
local max_number = tonumber(os.getenv("ZAYAVKA_BENCH_MAX_NUMBER") or "")
if not token or not min_number or not max_number then
   error("ZAYAVKA_BENCH_TOKEN, ZAYAVKA_BENCH_MIN_NUMBER and ZAYAVKA_BENCH_MAX_NUMBER must be set")
end

local expected_status = 200
local threads = {}
local next_id = 1

function setup(thread)
   thread:set("thread_id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   bad_status = 0
   first_bad_status = 0
   math.randomseed(os.time() * 1000 + thread_id)
   request_headers = { ["Authorization"] = "Bearer " .. token }
end

function request()
   local number = math.random(min_number, max_number)
   return wrk.format("GET", "/api/v1/tickets/" .. number, request_headers)
end

function response(status, headers, body)
   if status ~= expected_status then
      bad_status = bad_status + 1
      if first_bad_status == 0 then first_bad_status = status end
   end
end

function done(summary, latency, requests)
   local total, first = 0, 0
   for _, thread in ipairs(threads) do
      total = total + thread:get("bad_status")
      if first == 0 then first = thread:get("first_bad_status") end
   end
   io.write(string.format("bench_bad_status: %d\nbench_first_bad_status: %d\n", total, first))
end
