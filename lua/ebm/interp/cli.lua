-- ebm.cli: command-line options and error reporting for the scripts, on top of Debian's
-- lua-argparse.
--
--   local cli = ebm.cli                                 -- (require "ebm.interp.cli")
--   local p = cli.parser("x.lua", "What x does.")        -- an argparse parser, plus --debug
--   p:option("--epochs", "Passes.", "20"):convert(cli.posint)
--   p:option("--lr", "Learning rate.", "0.03"):convert(cli.number { above = 0 })
--   p:option("--out", "Run folder."):convert(cli.outdir)
--   local a = cli.parse(p)        -- a mistake: "x.lua: --epochs: must be a positive integer,
--                                 -- got -1" on stderr, exit status 2
--   cli.main(function() ... end)  -- the script's work; errors a user causes: one line, exit 1
--
-- Converters (argparse's :convert; the option's name is put in front of their message):
--   cli.int(lo, hi)        integer in lo..hi (either bound may be nil); cli.posint = int(1),
--                          cli.count = int(0)
--   cli.number{min=, max=, above=, below=}   finite number, min <= x <= max, above < x < below
--   cli.list(conv)         comma-separated list, each item through conv (an empty list is refused)
--   cli.file               an existing readable file
--   cli.dir                an existing folder
--   cli.outdir             a folder to write in: not '', not an existing file, and its nearest
--                          existing parent folder accepts new files (checked by creating one)
--   cli.outfile            a file to write: the same checks, and not an existing folder
--   cli.converter(fn)      a script's own converter fn(s) -> value | nil, message
-- Choice lists use argparse's own :choices {...}. A negative number is read as a value:
-- `--epochs -1` reaches the converter (argparse alone reads '-1' as an unknown option).
--
-- Errors: cli.usage(fmt, ...) (status 2) and cli.fail(fmt, ...) (status 1) raise a user error;
-- inside cli.main it prints one line `x.lua: message`. Any other message raised on purpose
-- (error("...") in the library, luaL_error in the C runtime: a missing or corrupt file, a
-- folder that cannot be written) is printed the same way, without its `file.lua:12:`
-- position. Lua's own run-time errors ("attempt to index a nil value", "assertion failed!",
-- "bad argument #1 to ...") are bugs: printed with their traceback. --debug or
-- EBMLUA_DEBUG=1 prints the traceback of every error.
--
-- Training options shared by train_digit.lua, train_all_digits.lua and bench_train.lua:
--   cli.train_options(p, {skip = {"--out", ...}})   declare them on parser p
--   cfg = cli.train_config(a)                        argparse result -> config (or cli.usage)
local lfs = require "lfs"
local argparse = require "argparse"
local sys = require "ebm.interp.sys"

local M = {}

M.name = "ebmlua"        -- the script's name in messages (set by cli.parser)
M.debug = os.getenv("EBMLUA_DEBUG") ~= nil and os.getenv("EBMLUA_DEBUG") ~= "" and os.getenv("EBMLUA_DEBUG") ~= "0"

------------------------------------------------------------------------------------------
-- User errors

local UserError = {}
UserError.__index = UserError
UserError.__tostring = function(e) return e.msg end

local function raise(status, fmt, ...)
  local msg = select("#", ...) > 0 and string.format(fmt, ...) or tostring(fmt)
  error(setmetatable({ msg = msg, status = status }, UserError), 0)
end

-- A usage error (exit status 2) / any other error the user caused (exit status 1).
function M.usage(fmt, ...) raise(2, fmt, ...) end
function M.fail(fmt, ...) raise(1, fmt, ...) end

-- The first line of a message, without the `path/file.lua:NN:` positions Lua puts in front.
function M.oneline(msg)
  msg = tostring(msg):match("^[^\n]*")
  msg = msg:gsub("[^%s:]*%.lua:%d+: ", "")
  return msg
end

-- Print "name: message" on stderr and exit.
local function exit_with(msg, status)
  io.stderr:write(M.name, ": ", msg, "\n")
  io.stderr:flush()
  os.exit(status)
end

-- Is an error one of Lua's own run-time errors (a bug in the program, not a message for
-- the user)? Messages raised on purpose (error("..."), luaL_error in the C runtime) are not.
local BUG = { "attempt to ", "assertion failed!", "bad argument #", "stack overflow", "table index is ",
  "invalid key to 'next'", "invalid value (at index", "wrong number of arguments", "object is not a" }
local function is_bug(msg)
  msg = msg:gsub("^[^%s:]*%.lua:%d+: ", "")
  for _, b in ipairs(BUG) do
    if msg:find(b, 1, true) then return true end
  end
  return false
end

-- Run fn(...) with the script's error policy (see the top of the file). Returns fn's results.
function M.main(fn, ...)
  local res = table.pack(xpcall(fn, function(e)
    if getmetatable(e) == UserError then
      if M.debug then e.msg = debug.traceback(e.msg, 2); e.raw = true end
      return e
    end
    local msg = type(e) == "string" and e or tostring(e)
    if M.debug or type(e) ~= "string" or is_bug(msg) then
      return setmetatable({ msg = debug.traceback(msg, 2), status = 1, raw = true }, UserError)
    end
    return setmetatable({ msg = msg, status = 1 }, UserError)
  end, ...))
  if res[1] then return table.unpack(res, 2, res.n) end
  local e = res[2]
  if e.raw then exit_with(e.msg, e.status) end
  exit_with(M.oneline(e.msg), e.status)
end

------------------------------------------------------------------------------------------
-- Converters

local CONVERTERS = setmetatable({}, { __mode = "k" })
local function converter(fn) CONVERTERS[fn] = true; return fn end
-- A script's own converter fn(s) -> value or nil, message: messages get the option's name too.
M.converter = converter

local function show(s) return (tostring(s):gsub("[%c]", "?")) end

-- Integer in lo..hi (nil: unbounded).
function M.int(lo, hi)
  local what
  if lo == 1 and not hi then what = "a positive integer"
  elseif lo == 0 and not hi then what = "a non-negative integer"
  elseif lo and hi then what = string.format("an integer in %d..%d", lo, hi)
  elseif lo then what = string.format("an integer >= %d", lo)
  elseif hi then what = string.format("an integer <= %d", hi)
  else what = "an integer" end
  return converter(function(s)
    local v = math.tointeger(tonumber(s))
    if v == nil or (lo and v < lo) or (hi and v > hi) then
      return nil, string.format("must be %s, got '%s'", what, show(s))
    end
    return v
  end)
end
M.posint = M.int(1)
M.count = M.int(0)

-- Finite number with bounds: min <= x <= max, above < x < below (any may be nil).
function M.number(b)
  b = b or {}
  local parts = {}
  if b.min then parts[#parts + 1] = ">= " .. b.min end
  if b.above then parts[#parts + 1] = "> " .. b.above end
  if b.max then parts[#parts + 1] = "<= " .. b.max end
  if b.below then parts[#parts + 1] = "< " .. b.below end
  local what = "a number" .. (#parts > 0 and (" " .. table.concat(parts, " and ")) or "")
  return converter(function(s)
    local v = tonumber(s)
    if v == nil or v ~= v or v == math.huge or v == -math.huge or (b.min and v < b.min) or (b.max and v > b.max)
      or (b.above and v <= b.above) or (b.below and v >= b.below) then
      return nil, string.format("must be %s, got '%s'", what, show(s))
    end
    return v
  end)
end

-- Comma-separated list of values read by conv.
function M.list(conv)
  return converter(function(s)
    local out = {}
    for item in tostring(s):gmatch("[^,]+") do
      local v, err = conv(item)
      if v == nil then return nil, "items " .. err:gsub("^must", "must each") .. " (in '" .. show(s) .. "')" end
      out[#out + 1] = v
    end
    if #out == 0 then return nil, "needs a comma-separated list, got '" .. show(s) .. "'" end
    return out
  end)
end

M.file = converter(function(s)
  if s == "" then return nil, "needs a file name" end
  local mode = lfs.attributes(s, "mode")
  if mode == nil then return nil, "'" .. show(s) .. "' not found" end
  if mode == "directory" then return nil, "'" .. show(s) .. "' is a folder, not a file" end
  local f, err = io.open(s, "rb")
  if not f then return nil, "cannot read " .. show(err) end
  f:close()
  return s
end)

M.dir = converter(function(s)
  if s == "" then return nil, "needs a folder name" end
  local mode = lfs.attributes(s, "mode")
  if mode == nil then return nil, "no such folder '" .. show(s) .. "'" end
  if mode ~= "directory" then return nil, "'" .. show(s) .. "' is not a folder" end
  return s
end)

-- Can new files be made under `path` (a folder to create or fill)? Walks up to the nearest
-- existing parent, which must be a folder that accepts a new file (created and removed).
local function writable_under(path)
  local p = path
  while true do
    local mode = lfs.attributes(p, "mode")
    if mode == "directory" then break end
    if mode ~= nil then return nil, string.format("'%s' is not a folder", show(p)) end
    local parent = p:match("^(.*[^/])/+[^/]+/*$")
    if parent == nil then p = p:sub(1, 1) == "/" and "/" or "." else p = parent end
  end
  local probe = string.format("%s/.ebm-write-test.tmp.%d", p, sys.pid())
  local f, err = io.open(probe, "wb")
  if not f then return nil, string.format("cannot write in '%s': %s", show(p), show(err):gsub("^[^:]*: ", "")) end
  f:close()
  os.remove(probe)
  return true
end

M.outdir = converter(function(s)
  if s == "" then return nil, "needs a folder name, got ''" end
  local mode = lfs.attributes(s, "mode")
  if mode ~= nil and mode ~= "directory" then return nil, "'" .. show(s) .. "' exists and is not a folder" end
  local ok, err = writable_under(s)
  if not ok then return nil, err end
  return s
end)

M.outfile = converter(function(s)
  if s == "" then return nil, "needs a file name, got ''" end
  if s:match("/$") or lfs.attributes(s, "mode") == "directory" then return nil, "'" .. show(s) .. "' is a folder, not a file" end
  local parent = s:match("^(.*)/[^/]*$")
  if parent == "" then parent = "/" end
  local ok, err = writable_under(parent or ".")
  if not ok then return nil, err end
  return s
end)

-- Refuse a request for more memory than the machine has: `bytes` needed, `what` the option
-- that asked for it (e.g. "--batch 100000000").
function M.fits(bytes, what)
  local f = io.open("/proc/meminfo", "r")
  local total = f and tonumber(f:read("a"):match("MemTotal:%s*(%d+)")) or nil
  if f then f:close() end
  total = total and total * 1024 or 2 ^ 50
  if bytes > total then
    M.usage("%s needs at least %.3g GB of memory; this machine has %.3g GB", what, bytes / 1e9, total / 1e9)
  end
end

------------------------------------------------------------------------------------------
-- Parsing

-- argparse parser named `name` (used in every message) with a --debug flag.
function M.parser(name, description, epilog)
  M.name = name
  local p = argparse(name, description, epilog)
  p:flag("--debug", "Print the traceback of an error (also: environment EBMLUA_DEBUG=1).")
  return p
end

local function is_negative_number(s)
  return s:sub(1, 1) == "-" and (tonumber(s) ~= nil or s:match("^%-%.?%d") ~= nil or s == "-inf" or s == "-nan")
end

-- Put the option name in front of each cli converter's message.
local function name_converters(list)
  for _, el in ipairs(list) do
    local conv = el._convert
    if type(conv) == "function" and CONVERTERS[conv] then
      local name = el._name
      for _, alias in ipairs(el._aliases or {}) do
        if alias:sub(1, 2) == "--" then name = alias; break end
      end
      el._convert = function(s)
        local v, err = conv(s)
        if v == nil then return nil, name .. ": " .. err end
        return v
      end
    end
  end
end

-- Parse `args` (default: the script's arg table) with parser p; a mistake prints one line
-- and exits with status 2. Returns argparse's result table.
-- (Reads argparse 0.7's element fields _options, _arguments, _aliases, _maxargs, _name and
-- _convert: Debian's lua-argparse 0.7.1; tests/lua/cli.lua fails if a version changes them.)
function M.parse(p, args)
  args = args or _G.arg or {}
  -- options that take a value: a negative number right after one of them is its value
  local takes = {}
  for _, o in ipairs(p._options) do
    if o._maxargs > 0 then for _, alias in ipairs(o._aliases) do takes[alias] = true end end
  end
  local out, tail, plain = {}, {}, false
  for i = 1, #args do
    local s = args[i]
    if plain or not is_negative_number(s) then
      if s == "--" then plain = true end
      out[#out + 1] = s
    elseif #out > 0 and takes[out[#out]] and not plain then
      local prev = out[#out]
      out[#out] = prev .. (prev:sub(2, 2) == "-" and "=" or "") .. s
    else
      tail[#tail + 1] = s   -- a negative positional argument: after '--'
    end
  end
  if #tail > 0 then
    if not plain then out[#out + 1] = "--" end
    for _, s in ipairs(tail) do out[#out + 1] = s end
  end
  name_converters(p._options)
  name_converters(p._arguments)
  local ok, res = p:pparse(out)
  if not ok then exit_with(M.oneline(res), 2) end
  if res.debug then M.debug = true end
  return res
end

------------------------------------------------------------------------------------------
-- Training options (train_digit.lua, train_all_digits.lua, bench_train.lua)

local function run_name(s)
  if s == "" or s:find("[/%c]") then return nil, "must be a non-empty name without '/', got '" .. show(s) .. "'" end
  return s
end
converter(run_name)

-- The models of ebm.digits that are not grid presets: binary pixels only (ebm.train.OTHER_MODELS).
local BINARY_MODELS = { latent = true, ["latent-edge"] = true, rbm = true }

-- name, help, default (a string, as typed), converter, choices; flags have flag = true.
-- Help of every script's --threads option.
M.THREADS_HELP = "CPU threads (default: automatic, the cores not busy with other programs; results do not depend on it)."

M.TRAIN = {
  { "--levels", "Grey levels per pixel: 2, 4 or 16.", "4", M.int(2, 16), { "2", "4", "16" } },
  { "--model", "Model: the grid presets seed, potts, potts-edge, 8nbr; latent, latent-edge, rbm (ebm.digits).", "rbm",
    nil, { "seed", "potts", "potts-edge", "8nbr", "latent", "latent-edge", "rbm" } },
  { "--epochs", "Passes over the training images.", "20", M.posint },
  { "--batch", "Images per update (and persistent chains with --pcd).", "128", M.posint },
  { "--lr", "Learning rate.", "0.03", M.number { above = 0 } },
  { "--cd-steps", "Gibbs sweeps per update (k of CD-k).", "10", M.posint },
  { "--pcd", "Persistent CD (the default): keep the negative chains across updates.", flag = true },
  { "--cd", "Plain CD-k instead: restart the negative chains at each batch.", flag = true },
  { "--beta", "Inverse temperature of the model.", "1", M.number { above = 0 } },
  { "--optim", "Optimiser: adam or sgd (momentum 0.9).", "adam", nil, { "adam", "sgd" } },
  { "--clip", "Clip the gradient norm to this value (0: no clipping).", "0", M.number { min = 0 } },
  { "--weight-decay", "L2 weight decay.", "0", M.number { min = 0 } },
  { "--schedule", "Learning-rate schedule: cosine (decay to 5% of --lr) or constant.", "cosine", nil, { "constant", "cosine" } },
  { "--init", "Initial biases: marginals (log pixel frequencies), zero or random.", "marginals", nil, { "marginals", "zero", "random" } },
  { "--seed", "Seed of every random choice (split, batches, Gibbs).", "1", M.int() },
  { "--valid", "Fraction of the training images held out for validation.", "0.1", M.number { min = 0, below = 1 } },
  { "--limit", "Use at most this many images of the digit (0: all).", "0", M.count },
  { "--log-every", "Also log a metrics row every N updates (0: per epoch only).", "10", M.count },
  { "--sample-sweeps", "Gibbs sweeps for the sample grid of each epoch.", "200", M.count },
  { "--name", "Run name (folder runs/NAME).", nil, run_name },
  { "--out", "Run folder (instead of runs/NAME).", nil, M.outdir },
  { "--resume", "Continue from a checkpoint (default: OUT/model.ckpt).", nil, nil, nil, args = "?" },
  { "--stop-after", "Stop after this epoch (as if interrupted; for tests).", "0", M.count },
  { "--threads", M.THREADS_HELP, nil, M.int(1, 1024) },
  { "--quiet", "No progress output.", flag = true },
}

local function key_of(name) return (name:gsub("^%-%-", ""):gsub("%-", "_")) end

-- Declare the training options on parser p, except those named in opts.skip.
function M.train_options(p, opts)
  local skip = {}
  for _, n in ipairs(opts and opts.skip or {}) do skip[n] = true end
  for _, o in ipairs(M.TRAIN) do
    if not skip[o[1]] then
      if o.flag then
        p:flag(o[1], o[2])
      else
        local opt = p:option(o[1], o[2], o[3])
        if o[5] then opt:choices(o[5]) end
        if o[4] then opt:convert(o[4]) end
        if o.args then opt:args(o.args) end
      end
    end
  end
end

-- argparse result of a parser with the training options (and a `digit` argument, '0'..'9'
-- or 'all') -> the config table of ebm.train.run_digit. A mistake raises cli.usage.
function M.train_config(a)
  local cfg = {}
  for _, o in ipairs(M.TRAIN) do
    local key = key_of(o[1])
    local v = a[key]
    if v == nil and o[3] ~= nil then v = o[4] and assert(o[4](o[3])) or o[3] end
    if o.flag then v = v and true or nil end
    cfg[key] = v
  end
  if type(cfg.resume) == "table" then cfg.resume = cfg.resume[1] or true end
  if cfg.cd and cfg.pcd then M.usage("--cd and --pcd exclude each other") end
  cfg.pcd = not cfg.cd
  cfg.cd = nil
  local d = a.digit
  if d == "all" then
    cfg.digit = "all"
  else
    cfg.digit = math.tointeger(tonumber(d))
    if cfg.digit == nil or cfg.digit < 0 or cfg.digit > 9 then
      M.usage("digit must be 0-9 or 'all', got '%s'", show(d))
    end
  end
  if BINARY_MODELS[cfg.model] and cfg.levels ~= 2 then
    M.usage("--model %s models binary pixels: --levels must be 2", cfg.model)
  end
  -- the largest buffers: persistent chains (or a batch) of 28x28 u8 states, twice
  M.fits(2 * 784 * cfg.batch, "--batch " .. cfg.batch)
  return cfg
end

return M
