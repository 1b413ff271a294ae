-- Shared by the wrk scripts of scripts/bench-api (loaded with dofile; the script sets the global
-- `expected_status` first). Counts every response with another status; done() prints the totals
-- as "bench_bad_status: N" and "bench_first_bad_status: CODE" for bench-api to parse.

local threads = {}
local next_id = 1

function setup(thread)
   thread:set("thread_id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function reset_counters()
   bad_status = 0
   first_bad_status = 0
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
