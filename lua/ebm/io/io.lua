-- ebm.io: tensors and checkpoints on disk (format: runtime/ckpt.h; versioned, CRC32,
-- written to a temporary file and renamed).
--
--   ebm.io.save(path, tensor)                 one tensor
--   ebm.io.load(path) -> tensor
--   ebm.io.save_checkpoint(path, {meta = <JSON-encodable table>, tensors = <tensors>})
--   ebm.io.load_checkpoint(path) -> {meta = table, tensors = <same structure>}
--   ebm.io.rng_state(rng) -> table of strings; ebm.io.set_rng_state(rng, table)
--
-- `tensors` may nest: {model = {W = t1, b = t2}, opt = {m = {t3, t4}}}; the structure is
-- stored in the tensor names ("model/W", "opt/m/#1") and rebuilt on load.

local cjson = require "cjson"
local core = require "ebm.core"
local sys = require "ebm.interp.sys"

local M = {}

local KIND_TENSOR = "ebm.tensor"

-- Flatten nested tensors into parallel name/tensor lists (sorted, so files are stable).
local function flatten(tensors, prefix, names, list, seen)
  if seen[tensors] then error("save_checkpoint: tensors table contains a cycle", 0) end
  seen[tensors] = true
  local keys = {}
  for k in pairs(tensors) do
    if math.type(k) ~= "integer" and type(k) ~= "string" then
      error("save_checkpoint: tensor keys must be strings or integers, got " .. type(k), 0)
    end
    if type(k) == "string" and (k:find("/", 1, true) or k:sub(1, 1) == "#" or k == "") then
      error(string.format("save_checkpoint: key '%s' may not be empty, contain '/' or start with '#'", k), 0)
    end
    keys[#keys + 1] = k
  end
  table.sort(keys, function(a, b)
    if type(a) == type(b) then return a < b end
    return type(a) == "number"
  end)
  for _, k in ipairs(keys) do
    local v = tensors[k]
    local name = prefix .. (math.type(k) == "integer" and ("#" .. k) or k)
    if core.is_tensor(v) then
      names[#names + 1], list[#list + 1] = name, v
    elseif type(v) == "table" then
      flatten(v, name .. "/", names, list, seen)
    else
      error(string.format("save_checkpoint: '%s' is a %s, not a tensor", name, type(v)), 0)
    end
  end
end

local function unflatten(names, list)
  local root = {}
  for i, name in ipairs(names) do
    local node, parts = root, {}
    for part in name:gmatch("[^/]+") do
      parts[#parts + 1] = part:sub(1, 1) == "#" and math.tointeger(tonumber(part:sub(2))) or part
    end
    for j = 1, #parts - 1 do
      node[parts[j]] = node[parts[j]] or {}
      node = node[parts[j]]
    end
    node[parts[#parts]] = list[i]
  end
  return root
end

-- Write meta (a table, JSON-encoded) and tensors (nested table of tensors) to path.
function M.save_checkpoint(path, ck)
  assert(type(path) == "string", "save_checkpoint: path must be a string")
  assert(type(ck) == "table", "save_checkpoint: expected {meta = ..., tensors = ...}")
  local okj, meta = pcall(cjson.encode, ck.meta or {})
  if not okj then error("save_checkpoint: meta is not JSON-encodable: " .. tostring(meta), 2) end
  local names, list = {}, {}
  flatten(ck.tensors or {}, "", names, list, {})
  -- temporary files PATH.tmp.PID of earlier writers killed during a save
  sys.remove_stale_temps(path:match("^(.*)/[^/]*$") or ".", path:match("[^/]*$"))
  core.ckpt_save(path, meta, names, list)
end

-- JSON numbers come back as floats; make integral ones Lua integers again (epochs, steps).
local function integers(v)
  if type(v) == "table" then
    for k, x in pairs(v) do v[k] = integers(x) end
    return v
  end
  if math.type(v) == "float" and v == math.floor(v) and math.abs(v) < 2 ^ 53 then return math.tointeger(v) end
  return v
end

-- Read a checkpoint: {meta = table, tensors = nested table}.
function M.load_checkpoint(path)
  assert(type(path) == "string", "load_checkpoint: path must be a string")
  local meta, names, list = core.ckpt_load(path)
  local okj, decoded = pcall(cjson.decode, meta)
  if not okj then error(path .. ": checkpoint metadata is not valid JSON: " .. tostring(decoded), 2) end
  return { meta = integers(decoded), tensors = unflatten(names, list) }
end

-- One tensor per file.
function M.save(path, t)
  if not core.is_tensor(t) then error("bad argument #2 to 'save' (ebm.Tensor expected)", 2) end
  core.ckpt_save(path, cjson.encode { kind = KIND_TENSOR }, { "tensor" }, { t })
end

function M.load(path)
  assert(type(path) == "string", "load: path must be a string")
  local meta, _, list = core.ckpt_load(path)
  local okj, m = pcall(cjson.decode, meta)
  if not okj or type(m) ~= "table" or m.kind ~= KIND_TENSOR or #list ~= 1 then
    error(path .. ": not a single-tensor file (use ebm.io.load_checkpoint)", 2)
  end
  return list[1]
end

-- Generator state as decimal strings (JSON numbers lose 64-bit integers).
function M.rng_state(r)
  local seed, stream, pos = r:state()
  return { seed = string.format("%d", seed), stream = string.format("%d", stream), pos = string.format("%d", pos) }
end

function M.set_rng_state(r, s)
  local function int(v, k)
    local i = math.tointeger(tonumber(v))
    if not i then error("set_rng_state: field '" .. k .. "' is not an integer", 3) end
    return i
  end
  return r:set_state(int(s.seed, "seed"), int(s.stream, "stream"), int(s.pos, "pos"))
end

return M
