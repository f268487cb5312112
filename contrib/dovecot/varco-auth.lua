-- varco-auth.lua: a Dovecot 2.3 Lua passdb that asks varco whether a mail
-- login is good (POST /api/v1/mail/auth, SPEC §7.6). Dovecot serves IMAP
-- and POP3 with it, and Postfix's SMTP AUTH through Dovecot SASL.
--
-- Needs the Lua auth module (Debian: dovecot-auth-lua) and the passdb block
-- of passdb-lua.conf.ext. Edit the settings below; nothing else.
--
-- Every answer but varco's "200 {"result": "ok"}" is a refusal: 401 and
-- 400 are a wrong login; anything else (varco unreachable, a timeout, 429
-- too_many_attempts, 403 for a wrong secret, 5xx, an unreadable secret
-- file) is a temporary failure, which the client is told to retry, never a
-- success.

local settings = {
  -- varco's JSON endpoint. Use https:// when varco is on another machine.
  url = "http://127.0.0.1:8080/api/v1/mail/auth",
  -- A file holding the value of VARCO_MAIL_AUTH_SECRET (one line), readable
  -- by the user of Dovecot's auth-worker processes only.
  secret_file = "/etc/dovecot/varco-mail-auth.secret",
  -- How long one question may take, in milliseconds, before the login
  -- fails temporarily.
  timeout_ms = 5000,
  -- Local ports (Dovecot's listeners) whose logins are for the archive
  -- (SPEC §1: plans pro and premium) rather than the mailbox, e.g.
  -- { [10143] = true, [10993] = true }.
  archive_ports = {},
}

-- Dovecot's service names and varco's protocols: Postfix's SMTP AUTH comes
-- through Dovecot SASL as "smtp", Dovecot's own submission service as
-- "submission". Any other service (lmtp, doveadm, sieve, …) never signs in
-- with an app password.
local protocols = { imap = "imap", pop3 = "pop3", smtp = "smtp", submission = "smtp" }

local client -- created on first use, inside the auth-worker process

local function http_client()
  if client == nil then
    client = dovecot.http.client({
      request_timeout_msecs = settings.timeout_ms,
      request_absolute_timeout_msecs = settings.timeout_ms,
      max_attempts = 1,
      user_agent = "varco-dovecot-lua",
    })
  end
  return client
end

-- read_secret returns the shared secret, or nil and why not. It reads the
-- file for every question (a few microseconds next to the HTTP request), so
-- that a new secret takes effect at once in every auth worker.
local function read_secret()
  local f, err = io.open(settings.secret_file, "r")
  if f == nil then
    return nil, "cannot read the secret file: " .. tostring(err)
  end
  local s = f:read("*l")
  f:close()
  s = s and s:match("^%s*(.-)%s*$") or ""
  if s == "" then
    return nil, "the secret file " .. settings.secret_file .. " is empty"
  end
  return s
end

-- json_string quotes s as a JSON string. Bytes of 0x80 and above pass as
-- they are: varco refuses text that is not UTF-8 as a wrong login.
local function json_string(s)
  s = tostring(s or "")
  return '"' .. s:gsub('[%c"\\]', function(c)
    if c == '"' then
      return '\\"'
    elseif c == "\\" then
      return "\\\\"
    end
    return string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

local function resource(req)
  if settings.archive_ports[tonumber(req.lport)] then
    return "archive"
  end
  return "mailbox"
end

function auth_password_verify(req, password)
  local protocol = protocols[req.service]
  if protocol == nil then
    return dovecot.auth.PASSDB_RESULT_USER_DISABLED, "service " .. tostring(req.service) .. " does not sign in with varco"
  end
  local key, why = read_secret()
  if key == nil then
    return dovecot.auth.PASSDB_RESULT_INTERNAL_FAILURE, "varco: " .. why
  end
  local body = "{" ..
    '"username":' .. json_string(req.user) ..
    ',"password":' .. json_string(password) ..
    ',"protocol":' .. json_string(protocol) ..
    ',"client_ip":' .. json_string(req.rip) ..
    ',"resource":' .. json_string(resource(req)) .. "}"
  local r = http_client():request({ url = settings.url, method = "POST" })
  r:add_header("Content-Type", "application/json")
  r:add_header("Authorization", "Bearer " .. key)
  r:set_payload(body)
  local res = r:submit()
  local status = res:status()
  if status == 200 and (res:payload() or ""):match('"result"%s*:%s*"ok"') then
    return dovecot.auth.PASSDB_RESULT_OK, {}
  elseif status == 401 or status == 400 then
    return dovecot.auth.PASSDB_RESULT_PASSWORD_MISMATCH, "varco: refused"
  end
  return dovecot.auth.PASSDB_RESULT_INTERNAL_FAILURE, "varco: HTTP " .. tostring(status) .. " " .. tostring(res:reason())
end

function script_init()
  return 0
end

function script_deinit()
end
