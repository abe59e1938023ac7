-- wrk script: each wrk thread (one connection each) is one annotator who leases a task (GET .../next) and
-- submits an annotation for it (POST .../tasks/T/annotations), over and over. Submits/s = 201 responses
-- per second; every submit also needed its lease, so the server handled two requests per submit.
local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
local project = os.getenv("PROJECT")
local counter = 0
local threads = {}
local payload = '{"body":{"format":1,"results":[{"id":"r1","control":"label","choices":["yes"]}]},"seconds_spent":2.5}'

function setup(thread)
	counter = counter + 1
	thread:set("token", tokens[(counter - 1) % #tokens + 1])
	table.insert(threads, thread)
end

function init(args)
	hdrs = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
	task = nil
	submits, leases, bad, empty = 0, 0, 0, 0
end

function request()
	if task then
		return wrk.format("POST", "/api/v1/projects/" .. project .. "/tasks/" .. task .. "/annotations", hdrs, payload)
	end
	return wrk.format("GET", "/api/v1/projects/" .. project .. "/next", hdrs)
end

function response(status, headers, body)
	if task then
		if status == 201 then submits = submits + 1 else bad = bad + 1 end
		task = nil
	elseif status == 200 then
		local id = body:match('"task":{"id":(%d+)')
		if id then task = id; leases = leases + 1 else empty = empty + 1 end
	else
		bad = bad + 1
	end
end

function done(summary, latency, requests)
	local s, l, b, e = 0, 0, 0, 0
	for _, t in ipairs(threads) do
		s = s + t:get("submits"); l = l + t:get("leases"); b = b + t:get("bad"); e = e + t:get("empty")
	end
	local secs = summary.duration / 1e6
	io.write(string.format("RESULT submit submits=%d leases=%d bad=%d empty=%d seconds=%.2f submits_per_s=%.0f " ..
		"rps=%.0f p50_ms=%.2f p99_ms=%.2f\n", s, l, b, e, secs, s / secs, summary.requests / secs,
		latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
