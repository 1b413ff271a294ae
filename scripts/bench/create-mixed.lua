-- wrk script: file a realistic mix of tickets.  Used by scripts/bench-queue.
--
-- Each request is drawn at random (deterministically per thread): type about 35 % question,
-- 25 % problem, 15 % incident, 15 % suggestion, 10 % task (tasks have no SLA policy in seed 003
-- and carry their own due_at instead); status new or open; priority, urgency and channel spread;
-- problems and incidents answer two intake questions; ZAYAVKA_BENCH_ASSIGN_PERCENT of the tickets
-- are assigned to the agent at creation.
--
-- Environment:
--   ZAYAVKA_BENCH_TOKEN           bearer token (staff)
--   ZAYAVKA_BENCH_REQUESTER_ID    id of the customer the tickets are filed for
--   ZAYAVKA_BENCH_AGENT_ID        id of the agent a share of them is assigned to
--   ZAYAVKA_BENCH_ASSIGN_PERCENT  that share in percent (default 25)
--   ZAYAVKA_BENCH_LUA_DIR         this folder (for common.lua)

local token = os.getenv("ZAYAVKA_BENCH_TOKEN")
local requester_id = tonumber(os.getenv("ZAYAVKA_BENCH_REQUESTER_ID") or "")
local agent_id = tonumber(os.getenv("ZAYAVKA_BENCH_AGENT_ID") or "")
local assign_percent = tonumber(os.getenv("ZAYAVKA_BENCH_ASSIGN_PERCENT") or "25")
if not token or not requester_id or not agent_id then
   error("ZAYAVKA_BENCH_TOKEN, ZAYAVKA_BENCH_REQUESTER_ID and ZAYAVKA_BENCH_AGENT_ID must be set")
end

expected_status = 201
dofile(os.getenv("ZAYAVKA_BENCH_LUA_DIR") .. "/common.lua")

-- 20 slots: 7 question, 5 problem, 3 incident, 3 suggestion, 2 task.
local types = { "question", "problem", "question", "incident", "suggestion", "problem", "question",
                "task", "problem", "question", "incident", "suggestion", "question", "problem",
                "incident", "question", "suggestion", "problem", "task", "question" }
local priorities = { "low", "normal", "normal", "normal", "high", "high", "urgent" }
local channels = { "email", "email", "phone", "web", "api", "widget" }
local subjects = {
   "Не открывается кассовая смена",
   "Ошибка при печати чека: ФН 235",
   "Как перенести базу на новый сервер",
   "Не приходят уведомления о заказах",
   "Предложение: выгрузка отчёта в Excel",
   "Зависает синхронизация с 1С",
   "Нужна консультация по настройке скидок",
   "Сбой обмена с ЕГАИС после обновления",
}

function init(args)
   reset_counters()
   math.randomseed(thread_id * 7919)
   headers = {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
   }
end

function request()
   local ticket_type = types[math.random(#types)]
   local parts = {
      string.format('"subject":"%s","body":"После обновления до 5.2 касса пишет ошибку 0x1F. Повторяется каждый раз."',
                    subjects[math.random(#subjects)]),
      string.format('"requester_id":%d,"type":"%s","priority":"%s","channel":"%s"', requester_id, ticket_type,
                    priorities[math.random(#priorities)], channels[math.random(#channels)]),
   }
   if math.random(3) == 1 then table.insert(parts, '"status":"open"') end
   if math.random(100) <= assign_percent then table.insert(parts, string.format('"assignee_id":%d', agent_id)) end
   if math.random(2) == 1 then table.insert(parts, string.format('"urgency":%d', math.random(4))) end
   if ticket_type == "task" then
      -- A task has no SLA clock; it needs its own due time, one to fourteen days ahead.
      table.insert(parts, '"due_at":"' .. os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() + math.random(14) * 86400) .. '"')
   elseif ticket_type == "problem" or ticket_type == "incident" then
      table.insert(parts, string.format('"fields":{"product_version":"5.2.%d","recurrence":"%s"}',
                                        math.random(0, 9), math.random(2) == 1 and "once" or "always"))
   end
   return wrk.format("POST", "/api/v1/tickets", headers, "{" .. table.concat(parts, ",") .. "}")
end
