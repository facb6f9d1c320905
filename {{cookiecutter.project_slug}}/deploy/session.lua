-- Verify and read this app's session cookie inside nginx, with no call to
-- the app: for nginx's Lua module (Debian: libnginx-mod-http-lua, with
-- lua-zlib and lua-cjson). deploy/nginx.conf shows it in use.
--
--   local session = require "session"
--   local data, kind, detail = session.verify(cookie, secrets, options)
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
-- The app's PERMANENT_SESSION_LIFETIME (create_app): 7 days.
_M.DEFAULT_MAX_AGE = 7 * 24 * 60 * 60
-- The app's SESSION_ABSOLUTE_LIFETIME (create_app): 30 days.
_M.DEFAULT_MAX_LOGIN_AGE = 30 * 24 * 60 * 60
-- CookieFormat.max_payload_size: inflating stops here, so that a few signed
-- kilobytes of zeros cannot become megabytes on every request.
_M.MAX_PAYLOAD_SIZE = 64 * 1024
-- StrictJSON.max_depth (sessions/strict_json.py): how deep arrays and objects may nest,
-- the session itself being the first level. Every reader of the format keeps
-- this limit, since each one's own gives up at another depth.
_M.MAX_DEPTH = 64

-- The largest integer a JavaScript number holds exactly, written out for
-- comparing decimal digits: 2^53 - 1.
local MAX_SAFE_INTEGER_DIGITS = "9007199254740991"
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
-- between tokens but not raw inside a string, and a digit before a dot
-- that no digit follows.
local LENIENT_SPOT = [=[[\t\n\r]|[0-9]\.(?![0-9])]=]
-- JSON strings, skipped whole so that what is inside them is never taken
-- for a number, and numbers as strtod reads them, trailing dot included.
local JSON_TOKEN = [["(?:[^"\\]++|\\.)*+"|-?[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?]]

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
    local stream = zlib.inflate()
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
-- a number ending in a dot (strtod reads "1." as 1), and an integer
-- beyond 2^53 - 1 (cjson, like JavaScript, rounds it to the nearest double).
local function strict_json_problem(text)
    for token in re_gmatch(text, JSON_TOKEN, "jo") do
        token = token[0]
        if byte(token) == 34 then -- a string
            if find(token, "[\t\n\r]") then
                return "a string holds a raw control character"
            end
        elseif find(token, "%.$") or find(token, "%.[eE]") then
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
-- behind a leading ".". It must be UTF-8 JSON holding an object.
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
    return data
end

function _M.verify(cookie, secrets, options)
    options = options or {}
    local salt = options.salt or _M.DEFAULT_SALT
    local max_age = options.max_age or _M.DEFAULT_MAX_AGE
    local now = floor(options.now or ngx.time())
    if type(secrets) ~= "table" or #secrets == 0 then
        error("session.verify needs at least one secret key", 2)
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
    local data, problem = decode_payload(payload_field)
    if not data then
        return failure("malformed", problem)
    end
    return data, nil, key_index
end

-- The id of the user a verified session is signed in as, or nil. Like the
-- app, it ends a login `max_login_age` seconds after it began (default the
-- app's absolute lifetime, 30 days), however active the session.
function _M.signed_in_user(data, options)
    options = options or {}
    local max_login_age = options.max_login_age or _M.DEFAULT_MAX_LOGIN_AGE
    local now = options.now or ngx.time()
    local user_id, issued_at = data.user_id, data.issued_at
    if type(user_id) ~= "number" or type(issued_at) ~= "number" then
        return nil
    end
    if floor(user_id) ~= user_id or now - issued_at > max_login_age then
        return nil
    end
    return user_id
end

-- The keys from the app's own environment variables, the current first:
-- FLASK_SECRET_KEY, and FLASK_SECRET_KEY_FALLBACKS, a JSON list of old keys
-- in the app's order (newest last). Flask reads a value that parses as
-- JSON as JSON, so this does too. Raises an error naming the variable for
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
        return secrets
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
    return secrets
end

return _M
