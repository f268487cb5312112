-- wrk script of bench-http.sh: each request signs in (POST /api/v1/login).
-- LOGIN_EMAIL and LOGIN_PASSWORD name the account; with LOGIN_ACCOUNTS=N
-- above 1 the requests take turns over N accounts, the number inserted
-- before the @ (load@x becomes load0@x, load1@x, ...), as varco-bench
-- login -accounts does. done prints one line in varco-bench login's
-- format; the script adds the client's CPU.
local email = os.getenv("LOGIN_EMAIL")
local password = os.getenv("LOGIN_PASSWORD")
local accounts = tonumber(os.getenv("LOGIN_ACCOUNTS") or "1")

local function body(e)
  return string.format('{"email":"%s","password":"%s"}', e, password)
end

local bodies = {}
if accounts > 1 then
  local user, domain = email:match("^(.*)@(.*)$")
  for k = 0, accounts - 1 do
    bodies[#bodies + 1] = body(user .. k .. "@" .. domain)
  end
else
  bodies[1] = body(email)
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = bodies[1]

if #bodies > 1 then -- one account: wrk sends its prepared request as is
  local n = 0
  function request()
    n = n + 1
    return wrk.format(nil, nil, nil, bodies[n % #bodies + 1])
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local ok = summary.requests - e.status
  io.write(string.format(
    "logins ok_per_s=%.1f p50_ms=%.0f p90_ms=%.0f p99_ms=%.0f max_ms=%.0f ok=%d non_2xx=%d transport_errors=%d\n",
    ok / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, ok, e.status,
    e.connect + e.read + e.write + e.timeout))
end
