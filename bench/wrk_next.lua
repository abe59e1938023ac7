-- wrk script: GET /api/v1/projects/P/next, each wrk thread (one connection each) as its own annotator.
-- Tokens come from the file named by the TOKENS environment variable, one per line.
local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
local project = os.getenv("PROJECT")
local counter = 0
local threads = {}

function setup(thread)
	counter = counter + 1
	thread:set("token", tokens[(counter - 1) % #tokens + 1])
	table.insert(threads, thread)
end

function init(args)
	path = "/api/v1/projects/" .. project .. "/next"
	hdrs = {["Authorization"] = "Bearer " .. token}
	ok, bad = 0, 0
end

function request()
	return wrk.format("GET", path, hdrs)
end

function response(status, headers, body)
	if status == 200 then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
	local o, b = 0, 0
	for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("bad") end
	io.write(string.format("RESULT next ok=%d bad=%d seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f\n",
		o, b, summary.duration / 1e6, o / (summary.duration / 1e6),
		latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
