-- wrk script: create tickets.  Used by scripts/bench-api.
--
-- Environment:
--   ZAYAVKA_BENCH_TOKEN         bearer token
--   ZAYAVKA_BENCH_REQUESTER_ID  id of the customer the tickets are filed for
--
-- Every response other than 201 is counted; done() prints the totals as
-- "bench_bad_status: N" and "bench_first_bad_status: CODE" for bench-api to parse.

local token = os.getenv("ZAYAVKA_BENCH_TOKEN")
local requester_id = tonumber(os.getenv("ZAYAVKA_BENCH_REQUESTER_ID") or "")
if not token or not requester_id then
   error("ZAYAVKA_BENCH_TOKEN and ZAYAVKA_BENCH_REQUESTER_ID must be set")
end

local expected_status = 201
local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   bad_status = 0
   first_bad_status = 0
   local body = string.format(
      '{"subject":"Не открывается кассовая смена",' ..
      '"body":"После обновления до 5.2 касса пишет ошибку 0x1F. Повторяется каждый раз.",' ..
      '"requester_id":%d,"channel":"phone","priority":"high","urgency":2,"type":"problem"}',
      requester_id)
   local headers = {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
   }
   -- The request never changes, so build it once per thread.
   prebuilt = wrk.format("POST", "/api/v1/tickets", headers, body)
end

function request()
   return prebuilt
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
