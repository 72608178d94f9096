-- ebm.run: the run folder every training script writes.
--
--   local r = ebm.run.new{name = "digit3", config = opts}   -- runs/digit3/
--   local r = ebm.run.new{out = "/tmp/x", config = opts, resume = true}
--   r:log{epoch = 1, step = 47, data_energy = -310.2, ...}   -- one row of metrics.csv
--   r:path("samples", "epoch-001.png")                        -- a path inside the folder
--   r:metrics()                                               -- rows read back, as tables
--
-- Layout of a run folder:
--   config.json    all options, seed, versions (ebm, Lua, git commit), host, command line
--   metrics.csv    fixed header M.COLUMNS; one row per epoch and per N steps
--   model.ckpt     checkpoint (ebm.ckpt)
--   samples/       epoch-NNN.png grids of model samples next to real data
--   plots/         PNG plots of curves and histograms
--   report.html    one page summary (ebm.report)
--   lock           the owner of the folder (see below)
--
-- Ownership: a run folder has one owner at a time.
--   ebm.run.lock(dir[, name])  create dir if needed and own it (or, with name, the output
--                         dir/name, lock file dir/name.lock) until unlock or the end of the
--                         process; a second process gets the error
--                         "run folder 'D' is in use by pid P on HOST since TIME (COMMAND)"
--   ebm.run.unlock(dir[, name])  give it up (Run:close does, for the lock ebm.run.new took)
--   ebm.run.holder(dir[, name])  {pid=, host=, since=, command=} written by the owner, or nil
-- The lock is flock(2) on DIR/lock (runtime/lock.c), whose content names the owner. The
-- kernel drops it when its process ends, however it ends (exit, error, Ctrl-C, kill -9), so
-- a lock file left by a dead process is simply taken over. Taking a folder also removes the
-- temporary files (NAME.tmp.PID) of writers that died.
local base = require "ebm.base"
local sys = require "ebm.interp.sys"
local threads = require "ebm.interp.threads"
local lfs = require "lfs"
local cjson = require "cjson"
local core = require "ebm.core"

local M = {}

-- The columns of metrics.csv, in order. Missing values are written as empty fields.
M.COLUMNS = { "epoch", "step", "data_energy", "sample_energy", "energy_gap", "valid_pll",
  "grad_norm", "param_norm", "lr", "seconds", "train_log_p_y", "test_accuracy",
  -- sample quality (ebm.quality), on rows of their own at the epochs where it is measured
  "fd", "fd_floor", "fd_ceiling", "fd_position", "precision", "recall", "mem_ratio", "mem_copies" }

-- mkdir -p: create `dir` and its parents; error naming the path on failure.
function M.mkdirs(dir)
  local acc = dir:sub(1, 1) == "/" and "/" or ""
  for part in dir:gmatch("[^/]+") do
    acc = acc .. part .. "/"
    if lfs.attributes(acc, "mode") == nil then
      local ok, err = lfs.mkdir(acc)
      if not ok and lfs.attributes(acc, "mode") ~= "directory" then
        error(string.format("ebm.run: cannot create directory '%s': %s", acc, tostring(err)), 0)
      end
    end
  end
  if lfs.attributes(dir, "mode") ~= "directory" then
    error(string.format("ebm.run: '%s' exists and is not a directory", dir), 0)
  end
  return dir
end

-- Write `text` to `path` atomically: a temporary name in the same folder (PATH.tmp.PID),
-- then rename.
function M.write_file(path, text)
  local tmp = string.format("%s.tmp.%d", path, sys.pid())
  local f, err = io.open(tmp, "wb")
  if not f then error("ebm.run: cannot write '" .. path .. "': " .. tostring(err), 0) end
  local ok, werr = f:write(text)
  f:close()
  if not ok then os.remove(tmp); error("ebm.run: writing '" .. path .. "' failed: " .. tostring(werr), 0) end
  local rok, rerr = os.rename(tmp, path)
  if not rok then os.remove(tmp); error("ebm.run: cannot rename to '" .. path .. "': " .. tostring(rerr), 0) end
end

------------------------------------------------------------------------------------------
-- Ownership of a run folder

local held = {}          -- "dev:ino/lockname" -> {fd = lock descriptor, dir = path}

local function folder_key(dir)
  local at = lfs.attributes(dir)
  return at and (at.dev .. ":" .. at.ino) or dir
end

local function parse_holder(text)
  local h = {}
  for k, v in (text or ""):gmatch("(%w+)=([^\n]*)") do h[k] = v:gsub("%s+$", "") end
  h.pid = math.tointeger(tonumber(h.pid))
  return h.pid and h or nil
end

local function lock_name(name) return name and (name .. ".lock") or "lock" end

function M.holder(dir, name)
  return parse_holder(M.read_file(dir .. "/" .. lock_name(name)))
end

local function hostname()
  return (M.read_file("/etc/hostname") or M.read_file("/proc/sys/kernel/hostname") or "?"):gsub("%s+$", "")
end

function M.lock(dir, name)
  dir = (dir:gsub("/+$", ""))
  if dir == "" then error("ebm.run: empty run folder name", 0) end
  M.mkdirs(dir)
  local key = folder_key(dir) .. "/" .. lock_name(name)
  if held[key] then return true end
  local path = dir .. "/" .. lock_name(name)
  local what = name and string.format("'%s/%s'", dir, name) or string.format("run folder '%s'", dir)
  local info = string.format("pid=%d\nhost=%s\nsince=%s\ncommand=%s\n", sys.pid(), hostname(),
    os.date("!%Y-%m-%dT%H:%M:%SZ"), (M.command_line() or "?"):gsub("[%c]", " "))
  local fd, status, detail = core.sys_lock(path, info)
  if not fd then
    if status ~= "busy" then error("ebm.run: " .. detail, 0) end
    local h = parse_holder(detail)
    if h then
      error(string.format("%s is in use by pid %d on %s since %s (%s)", what, h.pid, h.host or "?",
        h.since or "?", h.command or "?"), 0)
    end
    error(string.format("%s is in use by another process", what), 0)
  end
  held[key] = { fd = fd, dir = dir }
  for _, sub in ipairs { "", "/samples", "/plots" } do sys.remove_stale_temps(dir .. sub) end
  return true
end

function M.unlock(dir, name)
  local key = folder_key((dir:gsub("/+$", ""))) .. "/" .. lock_name(name)
  local h = held[key]
  if not h then return false end
  held[key] = nil
  core.sys_unlock(h.fd)
  return true
end

-- The whole file at path, or nil (ebm.sys.read_file; the run code and its callers use it)
M.read_file = sys.read_file

-- The keys of table t as (key string, value) pairs sorted by the string: a stable order
-- for config files, reports and sweep names.
function M.sorted_pairs(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  local out = {}
  for i, k in ipairs(keys) do
    local v = t[k]
    if v == nil then v = t[tonumber(k)] end
    out[i] = { k, v }
  end
  return out
end

-- JSON with sorted keys and two-space indentation (stable, diffable config files).
local function json_encode(v, indent)
  indent = indent or ""
  local t = type(v)
  if t == "table" then
    local n = #v
    local is_array = n > 0 or next(v) == nil
    if is_array then
      for k in pairs(v) do
        if math.type(k) ~= "integer" or k < 1 or k > n then is_array = false break end
      end
    end
    local inner = indent .. "  "
    local parts = {}
    if is_array then
      if n == 0 then return "[]" end
      for i = 1, n do parts[i] = inner .. json_encode(v[i], inner) end
      return "[\n" .. table.concat(parts, ",\n") .. "\n" .. indent .. "]"
    end
    for i, kv in ipairs(M.sorted_pairs(v)) do
      parts[i] = inner .. json_encode(kv[1]) .. ": " .. json_encode(kv[2], inner)
    end
    return "{\n" .. table.concat(parts, ",\n") .. "\n" .. indent .. "}"
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    if math.type(v) == "integer" then return tostring(v) end
    local s = string.format("%.15g", v)
    if tonumber(s) ~= v then s = string.format("%.17g", v) end
    if not s:find("[%.eEn]") then s = s .. ".0" end
    return s
  elseif t == "string" then
    return (cjson.encode(v):gsub("\\/", "/"))
  elseif t == "boolean" then
    return tostring(v)
  elseif v == nil or v == cjson.null then
    return "null"
  end
  return cjson.encode(tostring(v))
end
M.json_encode = json_encode

function M.write_json(path, v) M.write_file(path, json_encode(v) .. "\n") end

function M.read_json(path)
  local s = M.read_file(path)
  if not s then return nil, "cannot read " .. path end
  local ok, v = pcall(cjson.decode, s)
  if not ok then return nil, path .. ": " .. tostring(v) end
  return v
end

-- Format one metrics value: integers plain, numbers with 7 significant digits, nil empty.
local function fmt(v)
  if v == nil or v ~= v then return "" end
  if math.type(v) == "integer" then return tostring(v) end
  if type(v) == "number" then return string.format("%.7g", v) end
  return tostring(v)
end

-- Parse a metrics.csv file into a list of rows (tables keyed by column name, numbers).
function M.read_metrics(path)
  local rows = {}
  local f = io.open(path, "r")
  if not f then return rows end
  local header
  for line in f:lines() do
    local fields = {}
    for field in (line .. ","):gmatch("([^,]*),") do fields[#fields + 1] = field end
    if not header then
      header = fields
    else
      local row = {}
      for i, name in ipairs(header) do
        local s = fields[i]
        if s ~= nil and s ~= "" then row[name] = tonumber(s) or s end
      end
      rows[#rows + 1] = row
    end
  end
  f:close()
  return rows
end

local Run = {}
Run.__index = Run

-- Path inside the run folder: r:path("samples", "epoch-001.png").
function Run:path(...)
  local p = self.dir
  for _, part in ipairs { ... } do p = p .. "/" .. part end
  return p
end

-- Append one row to metrics.csv and flush it (a crash loses at most the current row).
function Run:log(row)
  local f = self.metrics_file
  local out = {}
  for i, name in ipairs(M.COLUMNS) do out[i] = fmt(row[name]) end
  f:write(table.concat(out, ","), "\n")
  f:flush()
end

function Run:metrics() return M.read_metrics(self:path("metrics.csv")) end

-- Keep only the metrics rows with step <= `step` (used when resuming from a checkpoint
-- written at `step`, so the file matches an uninterrupted run).
function Run:truncate_metrics(step)
  if self.metrics_file then self.metrics_file:close() end
  local keep = {}
  for _, r in ipairs(self:metrics()) do
    if (r.step or 0) <= step then keep[#keep + 1] = r end
  end
  local lines = { table.concat(M.COLUMNS, ",") }
  for _, r in ipairs(keep) do
    local out = {}
    for i, name in ipairs(M.COLUMNS) do out[i] = fmt(r[name]) end
    lines[#lines + 1] = table.concat(out, ",")
  end
  M.write_file(self:path("metrics.csv"), table.concat(lines, "\n") .. "\n")
  self.metrics_file = assert(io.open(self:path("metrics.csv"), "a"))
end

-- Write the config.json again (e.g. after adding derived values).
function Run:save_config()
  M.write_json(self:path("config.json"), self.meta)
end

function Run:close()
  if self.metrics_file then self.metrics_file:close(); self.metrics_file = nil end
  if self.own_lock then M.unlock(self.dir); self.own_lock = nil end
end

-- ebm.run.new{name=, out=, root="runs", config={...}, seed=, resume=false}
-- Creates the folder (runs/<name>/ or `out`), samples/ and plots/, writes config.json
-- and opens metrics.csv. A fresh run in an existing folder replaces the files runs write
-- (metrics.csv, config.json, summary.json, samples/*.png, plots/*.png); with resume=true
-- they are kept and appended to.
function M.new(opts)
  assert(type(opts) == "table", "ebm.run.new: expected a table of options")
  local dir = opts.out
  if not dir then
    local name = opts.name or os.date("!run-%Y%m%d-%H%M%S")
    if type(name) ~= "string" or name == "" or name:find("[/%c]") then
      error("ebm.run.new: 'name' must be a non-empty string without '/'", 2)
    end
    dir = (opts.root or "runs") .. "/" .. name
  end
  dir = dir:gsub("/+$", "")
  M.mkdirs(dir)
  local own_lock = not held[folder_key(dir) .. "/lock"]
  M.lock(dir)
  M.mkdirs(dir .. "/samples")
  M.mkdirs(dir .. "/plots")
  local r = setmetatable({ dir = dir, config = opts.config or {}, own_lock = own_lock }, Run)
  r.meta = {
    config = r.config,
    seed = opts.seed or r.config.seed,
    versions = { ebm = base.version, lua = _VERSION, git = sys.git_commit() },
    created = os.date("!%Y-%m-%dT%H:%M:%SZ"),
    host = (M.read_file("/etc/hostname") or ""):gsub("%s+$", ""),
    threads = threads(),
    command = M.command_line(),
  }
  local mpath = dir .. "/metrics.csv"
  if opts.resume then
    local old = M.read_json(dir .. "/config.json")
    if old and old.created then r.meta.created = old.created end
    r.meta.resumed = os.date("!%Y-%m-%dT%H:%M:%SZ")
  else
    -- a fresh run owns the folder's generated files: drop those of an earlier run
    os.remove(mpath)
    for _, sub in ipairs { "samples", "plots" } do
      for f in lfs.dir(dir .. "/" .. sub) do
        if f:match("%.png$") then os.remove(dir .. "/" .. sub .. "/" .. f) end
      end
    end
    os.remove(dir .. "/summary.json")
  end
  r:save_config()
  local exists = lfs.attributes(mpath, "size")
  r.metrics_file = assert(io.open(mpath, "a"))
  if not exists or exists == 0 then
    r.metrics_file:write(table.concat(M.COLUMNS, ","), "\n")
    r.metrics_file:flush()
  end
  return r
end

-- The command line that started this process, for config.json (nil in the REPL).
function M.command_line()
  if type(arg) ~= "table" or arg[0] == nil then return nil end
  local parts = { arg[0] }
  for i = 1, #arg do parts[#parts + 1] = arg[i] end
  return table.concat(parts, " ")
end

return M
