-- wrk script of the LN-CDS benchmark (benchmarks/http_load.py).
--
-- With LNCDS_BENCH_BODY set, every request is a POST of that file (a CDS Hooks request)
-- as application/json; without it, wrk's default GET (the discovery floor). At the end one
-- line "LNCDS_WRK {json}" gives the counts, errors and latency percentiles in microseconds.
local path = os.getenv("LNCDS_BENCH_BODY")
if path ~= nil and path ~= "" then
  local file = assert(io.open(path, "rb"))
  wrk.method = "POST"
  wrk.body = file:read("*a")
  file:close()
  wrk.headers["Content-Type"] = "application/json"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'LNCDS_WRK {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,'
      .. '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,'
      .. '"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, latency.max))
end
