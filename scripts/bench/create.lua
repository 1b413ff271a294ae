-- wrk script: create tickets.  Used by scripts/bench-api.
--
-- Environment:
--   ZAYAVKA_BENCH_TOKEN         bearer token
--   ZAYAVKA_BENCH_REQUESTER_ID  id of the customer the tickets are filed for
--   ZAYAVKA_BENCH_LUA_DIR       this folder (for common.lua)

local token = os.getenv("ZAYAVKA_BENCH_TOKEN")
local requester_id = tonumber(os.getenv("ZAYAVKA_BENCH_REQUESTER_ID") or "")
if not token or not requester_id then
   error("ZAYAVKA_BENCH_TOKEN and ZAYAVKA_BENCH_REQUESTER_ID must be set")
end

expected_status = 201
dofile(os.getenv("ZAYAVKA_BENCH_LUA_DIR") .. "/common.lua")

function init(args)
   reset_counters()
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
