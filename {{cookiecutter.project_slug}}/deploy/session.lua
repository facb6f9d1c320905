-- Verify and read this app's session cookie inside nginx, with no call to
-- the app: for nginx's Lua module (Debian: libnginx-mod-http-lua, with
-- lua-zlib and lua-cjson). deploy/nginx.conf shows it in use.
--
--   local session = require "session"
--   local data, kind, detail = session.verify(cookie, secrets, options)
--
--   local user_id = session.session_user(cookie_header, secrets, options)
--
-- `secrets` lists the keys, the current one first, then the fallback keys
-- newest first. `options` may set `salt` (default "cookie-session"),
-- `max_age` in seconds (default the app's idle lifetime, 7 days) and `now`
-- (default the time of the request). A valid cookie gives
-- `data, nil, key_index`: the session as a Lua table, and the position of
-- the key that verified it, 0 for the current key. Any other gives
-- `nil, kind, detail`: `kind` is "malformed", "bad-signature", "expired"
-- or "future", the codes of tests/vectors/sessions.json, and `detail`
-- says why in words.
--
-- The rules are those of sessions/cookie.py, so that nginx, the app and the
-- Node verifier (tools/verify-session.mjs) agree on every cookie:
--   signing key = SHA1(salt .. "signer" .. secret)          ("django-concat")
--   signature   = HMAC-SHA1(signing key, payload "." timestamp), base64url

local base64 = require "ngx.base64"
local bit = require "bit"
local cjson = require "cjson"
local zlib = require "zlib"

local bor, bxor = bit.bor, bit.bxor
local byte, find, floor, format = string.byte, string.find, math.floor, string.format
local re_find, re_gmatch, re_match = ngx.re.find, ngx.re.gmatch, ngx.re.match

local _M = {}

-- DEFAULT_SALT in sessions/cookie.py
_M.DEFAULT_SALT = "cookie-session"
-- The default of the app's PERMANENT_SESSION_LIFETIME (config.py): 7 days.
_M.DEFAULT_MAX_AGE = 7 * 24 * 60 * 60
-- The default of the app's SESSION_ABSOLUTE_LIFETIME (config.py): 30 days.
_M.DEFAULT_MAX_LOGIN_AGE = 30 * 24 * 60 * 60
-- MIN_KEY_LENGTH in sessions/checks.py: the fewest bytes a key may have
-- outside debug and testing, where nginx runs.
_M.MIN_KEY_LENGTH = 32
-- SESSION_COOKIE_NAME's default in Flask.
_M.DEFAULT_COOKIE_NAME = "session"
-- CookieFormat.max_payload_size: inflating stops here, so that a few signed
-- kilobytes of zeros cannot become megabytes on every request.
_M.MAX_PAYLOAD_SIZE = 64 * 1024
-- StrictJSON.max_depth (sessions/strict_json.py): how deep arrays and objects may nest,
-- the session itself being the first level. Every reader of the format keeps
-- this limit, since each one's own gives up at another depth.
_M.MAX_DEPTH = 64

-- StrictJSON.max_safe_integer: the largest integer a JavaScript number
-- holds exactly, 2^53 - 1; written out too, for comparing decimal digits.
_M.MAX_SAFE_INTEGER = 2 ^ 53 - 1
local MAX_SAFE_INTEGER_DIGITS = format("%d", _M.MAX_SAFE_INTEGER)
-- The largest user id the app accepts (auth.py's MAX_USER_ID).
local MAX_USER_ID = 2 ^ 31 - 1
-- 9999-12-31 23:59:59 UTC: Python has no later date, so the app counts a
-- login whose end falls after it as no login at all.
local LAST_PYTHON_SECOND = 253402300799
-- The longest lifetime the app accepts: Python's timedelta ends at
-- 999,999,999 days.
local LONGEST_LIFETIME = 999999999 * 24 * 60 * 60
-- A compression ratio cannot pass about 1 : 1032, so inflating this much
-- input at a time never holds more than some 260 KB beyond the limit.
local INFLATE_CHUNK = 256

-- Three fields of the base64url alphabet, the first after a dot when it is
-- compressed: the shape sessions/cookie.py's COOKIE_SHAPE accepts, captured as
-- payload, timestamp and signature; \z, unlike $, refuses a final newline.
local COOKIE_SHAPE = [[^(\.?[A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\z]]
-- Never JSON, and cjson would stop reading at a NUL and ignore the rest.
local CONTROL_CHARACTER = [=[[\x00-\x08\x0b\x0c\x0e-\x1f]]=]
-- Where cjson may be more lenient than JSON: whitespace, which is allowed
-- between tokens but not raw inside a string, a digit before a dot that no
-- digit follows, and a minus sign before a dot (strtod reads "-.5").
local LENIENT_SPOT = [=[[\t\n\r]|[0-9]\.(?![0-9])|-\.]=]
-- JSON strings, skipped whole so that what is inside them is never taken
-- for a number, and numbers as strtod reads them, trailing dot included
-- and leading digits left out.
local JSON_TOKEN = [["(?:[^"\\]++|\\.)*+"|-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?]]
-- The tokens of JSON text, for finding the literal of a value in it.
local STRUCTURE_TOKEN = [=["(?:[^"\\]++|\\.)*+"|[^\s"{}[\],:]++|[{}[\],:]]=]
-- One cookie in a Cookie header, by Werkzeug 3.1's rules (werkzeug.sansio.http):
-- a name, then maybe "=" and a value, quoted with backslash escapes or
-- not, up to a ";" or the end.
local COOKIE_PAIR = [=[[ \t]*([^ \t=";]+)(?:[ \t]*=[ \t]*("(?:[^\\"]|\\.)*"|[^ \t";]*))?[ \t]*(?:;|\z)]=]
-- A backslash escape in a quoted cookie value: three octal digits or any
-- one character.
local COOKIE_ESCAPE = [[\\([0-3][0-7]{2}|.)]]

-- A decoder of its own, so that no other code in nginx can change its
-- settings. NaN, Infinity and hexadecimal numbers are not JSON: Python's
-- and JavaScript's parsers refuse them, so this one must too.
local json = cjson.new()
json.decode_invalid_numbers(false)
-- cjson counts the outermost object as the first level, as the format does.
json.decode_max_depth(_M.MAX_DEPTH)

local function failure(kind, detail)
    return nil, kind, kind == "malformed" and "malformed: " .. detail or detail
end

-- Whether two strings are equal, taking as long whatever bytes differ, so
-- that the time of a refusal tells nothing about the expected signature.
-- Neither nginx nor its Lua libraries offer such a comparison.
local function equal_in_constant_time(a, b)
    if #a ~= #b then
        return false
    end
    local difference = 0
    for i = 1, #a do
        difference = bor(difference, bxor(byte(a, i), byte(b, i)))
    end
    return difference == 0
end

-- The signing time: a big-endian unsigned integer of at most eight bytes,
-- as itsdangerous writes it, or nil if the field is not one.
local function decode_timestamp(field)
    local bytes = base64.decode_base64url(field)
    if not bytes or #bytes > 8 then
        return nil
    end
    local value = 0
    for i = 1, #bytes do
        value = value * 256 + byte(bytes, i)
    end
    return value
end

-- Signing keys by salt, then by secret: they depend on nothing else, and
-- deriving one costs as much as the HMAC itself. A deployment has a few
-- keys and one salt, so this stays small.
local signing_keys = {}

local function signing_key(salt, secret)
    local by_secret = signing_keys[salt]
    if not by_secret then
        by_secret = {}
        signing_keys[salt] = by_secret
    end
    local key = by_secret[secret]
    if not key then
        key = ngx.sha1_bin(salt .. "signer" .. secret)
        by_secret[secret] = key
    end
    return key
end

local function key_that_signed(signed, signature, secrets, salt)
    for index, secret in ipairs(secrets) do
        local mac = ngx.hmac_sha1(signing_key(salt, secret), signed)
        if equal_in_constant_time(mac, signature) then
            return index - 1
        end
    end
    return nil
end

local function inflate(compressed, limit)
    -- A window of 15 bits: zlib's format only. Without it lua-zlib would
    -- also inflate gzip, which Python and JavaScript refuse.
    local stream = zlib.inflate(15)
    local parts, size = {}, 0
    for start = 1, #compressed, INFLATE_CHUNK do
        local ok, output, finished = pcall(stream, compressed:sub(start, start + INFLATE_CHUNK - 1))
        if not ok or not output then
            return nil, "the compressed payload is corrupt"
        end
        size = size + #output
        if size > limit then
            return nil, format("the compressed payload inflates past %d bytes", limit)
        end
        parts[#parts + 1] = output
        if finished then
            return table.concat(parts)
        end
    end
    return nil, "the compressed payload is cut short"
end

-- Whether an integer written in JSON lies outside +-(2^53 - 1), where
-- JavaScript would round it and Python would not.
local function beyond_safe_integers(literal)
    local digits = literal:gsub("^-", "")
    return #digits > #MAX_SAFE_INTEGER_DIGITS
        or (#digits == #MAX_SAFE_INTEGER_DIGITS and digits > MAX_SAFE_INTEGER_DIGITS)
end

-- Read the JSON text token by token for what cjson lets through but
-- Python and JavaScript refuse: a raw tab or line break inside a string,
-- a number ending in a dot (strtod reads "1." as 1) or starting with one
-- after its minus sign ("-.5"), and an integer
-- beyond 2^53 - 1 (cjson, like JavaScript, rounds it to the nearest double).
local function strict_json_problem(text)
    for token in re_gmatch(text, JSON_TOKEN, "jo") do
        token = token[0]
        if byte(token) == 34 then -- a string
            if find(token, "[\t\n\r]") then
                return "a string holds a raw control character"
            end
        elseif find(token, "%.$") or find(token, "%.[eE]") or find(token, "^-?%.") then
            return format("the number %s is not JSON", token)
        elseif not find(token, "[.eE]") and beyond_safe_integers(token) then
            return format("the integer %s is beyond 2^53 - 1", token)
        end
    end
    return nil
end

-- Walk the decoded values for numbers JSON cannot mean: 1e400 decodes to
-- infinity. Returns a problem, or whether an integral number is too large
-- to have been read exactly, which only the JSON text can settle.
local function walk_numbers(value)
    local needs_text = false
    for _, item in pairs(value) do
        local kind = type(item)
        if kind == "number" then
            if item ~= item or item == math.huge or item == -math.huge then
                return "a number is out of range"
            end
            if floor(item) == item and (item > 2 ^ 53 - 1 or item < -(2 ^ 53 - 1)) then
                needs_text = true
            end
        elseif kind == "table" then
            local problem, nested_needs_text = walk_numbers(item)
            if problem then
                return problem
            end
            needs_text = needs_text or nested_needs_text
        end
    end
    return nil, needs_text
end

-- The session in a payload field: base64url JSON, or base64url zlib JSON
-- behind a leading ".". It must be UTF-8 JSON holding an object. Gives the
-- session and its JSON text, or nil and the problem.
local function decode_payload(field)
    local compressed = byte(field) == 46 -- "."
    local text = base64.decode_base64url(compressed and field:sub(2) or field)
    if not text then
        return nil, "the payload is not base64url"
    end
    if compressed then
        local problem
        text, problem = inflate(text, _M.MAX_PAYLOAD_SIZE)
        if not text then
            return nil, problem
        end
    end
    if re_find(text, CONTROL_CHARACTER, "jo") then
        return nil, "a control character outside the JSON grammar"
    end
    -- PCRE checks the subject of a UTF-8 match, refusing what Python's and
    -- JavaScript's strict UTF-8 decoders refuse, encoded surrogates included.
    if not re_find(text, [[\A]], "ujo") then
        return nil, "the payload is not UTF-8"
    end
    -- cjson reads an empty object and an empty array alike, as an empty table.
    if not find(text, "^[ \t\n\r]*{") then
        return nil, "the payload is not a JSON object"
    end
    -- cjson refuses a lone surrogate escape such as \ud800 by itself.
    local ok, data = pcall(json.decode, text)
    if not ok then
        return nil, "undecodable payload: " .. data
    end
    local problem, needs_text = walk_numbers(data)
    if not problem and (needs_text or re_find(text, LENIENT_SPOT, "jo")) then
        problem = strict_json_problem(text)
    end
    if problem then
        return nil, problem
    end
    return data, text
end

-- verify(), also giving the session's JSON text.
local function verified(cookie, secrets, options)
    options = options or {}
    local salt = options.salt or _M.DEFAULT_SALT
    local max_age = floor(options.max_age or _M.DEFAULT_MAX_AGE)
    local now = floor(options.now or ngx.time())
    if type(secrets) ~= "table" or #secrets == 0 then
        error("session.verify needs at least one secret key", 3)
    end

    local fields = type(cookie) == "string" and re_match(cookie, COOKIE_SHAPE, "jo")
    if not fields then
        return failure("malformed", "not three base64url fields")
    end
    local payload_field, timestamp_field, signature_field = fields[1], fields[2], fields[3]

    -- The last base64 character has spare bits that decoding ignores: only
    -- the one canonical spelling of a signature is accepted, or every
    -- signature would have four.
    local signature = base64.decode_base64url(signature_field)
    if not signature or base64.encode_base64url(signature) ~= signature_field then
        return failure("malformed", "the signature is not canonical")
    end
    -- itsdangerous counts an unreadable timestamp as a bad signature,
    -- whichever key is tried.
    local signed_at = decode_timestamp(timestamp_field)
    local signed = payload_field .. "." .. timestamp_field
    local key_index = signed_at and key_that_signed(signed, signature, secrets, salt)
    if not key_index then
        return failure("bad-signature", "bad signature: no current or fallback key made it")
    end

    -- Only now, with the signature checked, do the time and payload count.
    local age = now - signed_at
    if age > max_age then
        return failure("expired", format("expired: signed %d s ago, the limit is %d s", age, max_age))
    end
    if age < 0 then
        return failure("future", format("future-dated: signed %d s from now", -age))
    end
    local data, text = decode_payload(payload_field)
    if not data then
        return failure("malformed", text)
    end
    return data, nil, key_index, text
end

function _M.verify(cookie, secrets, options)
    local data, kind, detail = verified(cookie, secrets, options)
    return data, kind, detail
end

-- The value of the cookie `name` in a Cookie header, as Werkzeug 3.1 reads
-- it for the app: names match case and all, the first of a repeated name
-- wins, and a quoted value loses its quotes and backslash escapes. A part
-- that is no cookie is skipped up to the next ";". Gives nil without one.
local function cookie_value(header, name)
    local context = { pos = 1 }
    while true do
        local start = context.pos
        local pair = re_match(header, COOKIE_PAIR, "ajo", context)
        if not pair then
            local semicolon = find(header, ";", start, true)
            if not semicolon then
                return nil
            end
            context.pos = semicolon + 1
        elseif pair[1] == name then
            local value = pair[2] or ""
            if byte(value) ~= 34 then -- a token, not a quoted string
                return value
            end
            return (ngx.re.gsub(value:sub(2, -2), COOKIE_ESCAPE, function(escape)
                local escaped = escape[1]
                return #escaped == 1 and escaped or string.char(tonumber(escaped, 8))
            end, "jo"))
        end
    end
end

-- The Cookie header as the app receives it: gunicorn, like Werkzeug's own
-- server, joins a repeated header with ",", which does not end a cookie.
local function cookie_header_text(header)
    if type(header) == "table" then
        return table.concat(header, ",")
    end
    return header
end

-- The literals of the top-level values of a JSON object's text, by key:
-- cjson reads 1.0 as 1, while to Python 1.0 is a float, so whether a
-- number is an integer shows in its text alone. The last of a repeated
-- key counts, as in both decoders. The text is JSON that decoded already.
local function top_level_literals(text)
    local literals, depth, key, expecting = {}, 0, nil, "key"
    local context = { pos = 1 }
    while true do
        local from, to = re_find(text, STRUCTURE_TOKEN, "jo", context)
        if not from then
            return literals
        end
        local first = byte(text, from)
        if first == 123 or first == 91 then -- { [
            if depth == 1 then
                literals[key] = "{"
            end
            depth = depth + 1
        elseif first == 125 or first == 93 then -- } ]
            depth = depth - 1
        elseif depth == 1 then
            if first == 58 then -- :
                expecting = "value"
            elseif first == 44 then -- ,
                expecting = "key"
            elseif expecting == "key" then
                key = text:sub(from + 1, to - 1)
                if find(key, "\\", 1, true) then
                    key = json.decode(text:sub(from, to))
                end
            else
                literals[key] = text:sub(from, to)
            end
        end
    end
end

-- Whether a JSON literal is an integer to Python: digits, no fraction, no
-- exponent.
local function is_integer_literal(literal)
    return literal ~= nil and find(literal, "^%-?%d+$") ~= nil
end

-- The user a verified session is signed in as, by the app's rules
-- (auth.py's holds_a_login and login_deadline), or nil.
local function login_user(data, text, max_login_age, now)
    local user_id, epoch, issued_at = data.user_id, data.epoch, data.issued_at
    if type(user_id) ~= "number" or type(epoch) ~= "number" or type(issued_at) ~= "number" then
        return nil
    end
    local literals = top_level_literals(text)
    if not (is_integer_literal(literals.user_id) and is_integer_literal(literals.epoch)
            and is_integer_literal(literals.issued_at)) then
        return nil
    end
    if user_id < 1 or user_id > MAX_USER_ID or issued_at < 0 then
        return nil
    end
    -- A login ends max_login_age after it began, however active the
    -- session, and with no end before Python's last date.
    if now - issued_at > max_login_age or issued_at + max_login_age > LAST_PYTHON_SECOND then
        return nil
    end
    return user_id
end

-- The id of the user the request's session cookie signs in, or nil: the
-- whole of what the app decides before it looks at the database. The
-- cookie is read out of the raw Cookie header as the app reads it, a
-- string, or the list ngx.req.get_headers(0) gives for a repeated header.
-- `options` may set `cookie_name` (default "session"), `salt`, `max_age`
-- and `max_login_age` in seconds (default the app's two lifetimes, as the
-- environment sets them; see lifetimes_from_environment) and `now`.
function _M.session_user(cookie_header, secrets, options)
    options = options or {}
    local header = cookie_header_text(cookie_header)
    local cookie = type(header) == "string"
        and cookie_value(header, options.cookie_name or _M.DEFAULT_COOKIE_NAME)
    if not cookie or cookie == "" then
        return nil
    end
    local now = floor(options.now or ngx.time())
    local data, _, _, text = verified(cookie, secrets, {
        salt = options.salt,
        max_age = options.max_age or _M.max_age,
        now = now,
    })
    if not data then
        return nil
    end
    return login_user(data, text, options.max_login_age or _M.max_login_age, now)
end

-- A lifetime in seconds from the environment variable `name`, read as the
-- app reads it (config.py's lifetime()): JSON for a number above 0, up to
-- Python's longest timedelta. Unset or empty gives `default`.
local function lifetime_from_environment(getenv, name, default)
    local text = getenv(name)
    if text == nil or text == "" then
        return default
    end
    -- Flask keeps a value that is not JSON as text, which the app refuses.
    local ok, seconds = pcall(json.decode, text)
    if not ok or type(seconds) ~= "number" or strict_json_problem(text)
            or seconds <= 0 or seconds > LONGEST_LIFETIME then
        error(format("%s must be a number of seconds above 0, as the app requires, not %q",
            name, text), 0)
    end
    return seconds
end

-- The app's two lifetimes from its own environment variables:
-- FLASK_PERMANENT_SESSION_LIFETIME, the idle timeout, and
-- FLASK_SESSION_ABSOLUTE_LIFETIME, the most a login lasts, each in seconds
-- and defaulting as in the app. Raises an error naming the variable for a
-- value the app would refuse. The module reads them when it is loaded, in
-- init_by_lua, so that nginx does not start with a bad one.
function _M.lifetimes_from_environment(getenv)
    getenv = getenv or os.getenv
    return lifetime_from_environment(getenv, "FLASK_PERMANENT_SESSION_LIFETIME", _M.DEFAULT_MAX_AGE),
        lifetime_from_environment(getenv, "FLASK_SESSION_ABSOLUTE_LIFETIME", _M.DEFAULT_MAX_LOGIN_AGE)
end

-- The keys from the app's own environment variables, the current first:
-- FLASK_SECRET_KEY, and FLASK_SECRET_KEY_FALLBACKS, a JSON list of old keys
-- in the app's order (newest last). Flask reads a value that parses as
-- JSON as JSON, so this does too. Keys shorter than MIN_KEY_LENGTH bytes
-- are refused, as the app refuses them in production. Raises an error naming the variable for
-- a setting the app would refuse or misread; call it from init_by_lua, so
-- that nginx does not start with it.
function _M.secrets_from_environment(getenv)
    getenv = getenv or os.getenv
    local current = getenv("FLASK_SECRET_KEY")
    if current == nil or current == "" then
        error("FLASK_SECRET_KEY is not set: give nginx the app's key (env FLASK_SECRET_KEY;)", 0)
    end
    local ok, decoded = pcall(json.decode, current)
    if ok then
        if type(decoded) ~= "string" then
            error("FLASK_SECRET_KEY parses as JSON but not as a string; quote it", 0)
        end
        current = decoded
    end
    local secrets = { current }
    local fallbacks = getenv("FLASK_SECRET_KEY_FALLBACKS")
    if fallbacks == nil or fallbacks == "" then
        fallbacks = "[]"
    end
    ok, decoded = pcall(json.decode, fallbacks)
    if not ok or type(decoded) ~= "table" or (next(decoded) ~= nil and #decoded == 0) then
        error('FLASK_SECRET_KEY_FALLBACKS must be a JSON list of old keys, such as ["old key"]', 0)
    end
    for index = #decoded, 1, -1 do
        if type(decoded[index]) ~= "string" or decoded[index] == "" then
            error("FLASK_SECRET_KEY_FALLBACKS must hold keys as JSON strings", 0)
        end
        secrets[#secrets + 1] = decoded[index]
    end
    -- A short key can be guessed from one cookie, offline.
    for index, secret in ipairs(secrets) do
        if #secret < _M.MIN_KEY_LENGTH then
            error(format("%s is %d bytes; the app requires at least %d",
                index == 1 and "FLASK_SECRET_KEY" or "a key in FLASK_SECRET_KEY_FALLBACKS",
                #secret, _M.MIN_KEY_LENGTH), 0)
        end
    end
    return secrets
end

-- What session_user() takes when not told: the app's lifetimes.
_M.max_age, _M.max_login_age = _M.lifetimes_from_environment()

return _M
