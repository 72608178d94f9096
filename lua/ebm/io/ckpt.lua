-- ebm.ckpt: training checkpoints (model + optimiser + progress + RNG counters) on top of
-- ebm.io's checkpoint files (versioned, CRC32-checked, written to a temporary name and
-- renamed).
--
--   ebm.ckpt.save(path, trainer)      -- after an epoch
--   ebm.ckpt.restore(path, trainer)   -- a fresh trainer built with the same config
--   meta = ebm.ckpt.read_meta(path)   -- {format, version, config, model, epoch, steps, ...}
--   ebm.ckpt.load_model(path)         -- model (and meta) only, for sampling scripts
--
-- Contents: meta (JSON): format "ebmlua-train", version, config, the model's spec, epoch,
-- steps, training seconds, the sampler's step counter, optimiser scalars (Adam's step);
-- tensors: params/<name>, optim/<field>/<name> (moment buffers), chains (PCD).
-- Every random draw of training is a function of (seed, epoch, step, sampler counter), so
-- these counters are the whole RNG state: restoring them continues the run bit-identically.
-- Errors (missing, truncated, corrupt file, other format, different model) are one-line
-- messages starting with the path.
local base = require "ebm.base"
local tensor_io = require "ebm.io.io"
local run = require "ebm.io.run"
local presets = require "ebm.models.presets"

local M = {}

M.FORMAT = "ebmlua-train"
M.VERSION = 1

-- Split a table into JSON scalars and tensor tables (optimiser state).
local function split_state(st)
  local scalars, tensors = {}, {}
  for k, v in pairs(st) do
    if type(v) == "number" or type(v) == "string" or type(v) == "boolean" then scalars[k] = v
    elseif type(v) == "table" or base.is_tensor(v) then tensors[k] = v end
  end
  return scalars, tensors
end

local function json_safe(t)
  local out = {}
  for k, v in pairs(t) do
    local tv = type(v)
    if tv == "number" or tv == "string" or tv == "boolean" then out[k] = v
    elseif tv == "table" then out[k] = json_safe(v) end
  end
  return out
end

-- Write trainer `tr`'s state to `path`.
function M.save(path, tr)
  local scalars, otensors = split_state(tr.ostate)
  local meta = {
    format = M.FORMAT, version = M.VERSION,
    config = json_safe(tr.cfg),
    model = json_safe(tr.model.spec or {}),
    nparams = tr.model:nparams(),
    epoch = tr.epoch_done, steps = tr.steps, seconds = tr.seconds,
    sampler = { seed = tr.sampler.seed, step = tr.sampler.step },
    optim = scalars,
    ebm_version = base.version,
  }
  local tensors = { params = tr.params, optim = otensors }
  if tr.chains then tensors.chains = tr.chains end
  tensor_io.save_checkpoint(path, { meta = meta, tensors = tensors })
  return path
end

-- Load and check format/version. Errors are one line: "<path>: <reason>".
local function load(path)
  local ok, ck = pcall(tensor_io.load_checkpoint, path)
  if not ok then
    local msg = tostring(ck):gsub("^[^:]*:%d+: ", "")
    if not msg:find(path, 1, true) then msg = path .. ": " .. msg end
    error(msg, 0)
  end
  local meta = ck.meta
  if type(meta) ~= "table" or meta.format ~= M.FORMAT then
    error(path .. ": not a training checkpoint (format '" .. tostring(type(meta) == "table" and meta.format) .. "')", 0)
  end
  if meta.version ~= M.VERSION then
    error(string.format("%s: checkpoint version %s, this ebmlua reads version %d", path, tostring(meta.version), M.VERSION), 0)
  end
  return ck
end

function M.read_meta(path) return load(path).meta end

-- Compare the options in `keys` between a checkpoint's config and `cfg`; error on the first
-- difference ("... was trained with --model potts, not --model seed").
function M.check_config(meta, cfg, keys)
  local old = meta.config or {}
  for _, k in ipairs(keys) do
    local a, b = old[k], cfg[k]
    local same = a == b or (type(a) == "number" and type(b) == "number" and a == b)
      or ((a == nil or a == false) and (b == nil or b == false))
    if not same then
      local function show(v) -- JSON numbers come back as floats: 20.0 reads as 20
        return (math.type(v) == "float" and v == math.floor(v) and math.abs(v) < 2 ^ 53) and
          string.format("%d", v) or tostring(v)
      end
      error(string.format("checkpoint was trained with --%s %s, not %s", k:gsub("_", "-"), show(a), show(b)), 0)
    end
  end
end

-- Same JSON-level value (numbers compared numerically).
local function same(a, b)
  if type(a) == "number" and type(b) == "number" then return a == b end
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

-- Restore a checkpoint into trainer `tr` (built from the same config). Returns meta.
function M.restore(path, tr)
  local ck = load(path)
  local meta, ts = ck.meta, ck.tensors
  if not same(meta.model, json_safe(tr.model.spec or {})) then
    error(path .. ": checkpoint holds a different model (" .. run.json_encode(meta.model):gsub("%s+", " ") .. ")", 0)
  end
  local params, order = tr.model:params()
  for _, name in ipairs(order) do
    local t = ts.params and ts.params[name]
    if not t then error(path .. ": checkpoint lacks parameter '" .. name .. "'", 0) end
    local p = params[name]
    if t:numel() ~= p:numel() or t:dim() ~= p:dim() then
      error(path .. ": parameter '" .. name .. "' has a different shape in the checkpoint", 0)
    end
    p:copy(t)
  end
  tr.model:materialise()
  tr.ostate = {}
  for k, v in pairs(meta.optim or {}) do tr.ostate[k] = v end
  for k, v in pairs(ts.optim or {}) do tr.ostate[k] = v end
  if tr.cfg.pcd then
    if not ts.chains then error(path .. ": checkpoint of a PCD run lacks its chains", 0) end
    tr.chains = ts.chains
  end
  tr.epoch_done, tr.steps, tr.seconds = meta.epoch, meta.steps, meta.seconds or 0
  tr.sampler.step = meta.sampler.step
  return meta
end

-- The model of a checkpoint (rebuilt from its config), with its parameters, and the meta.
function M.load_model(path)
  local ck = load(path)
  local cfg = ck.meta.config
  local m = presets.build(cfg)
  local params, order = m:params()
  for _, name in ipairs(order) do
    local t = ck.tensors.params and ck.tensors.params[name]
    if not t or t:numel() ~= params[name]:numel() then error(path .. ": parameter '" .. name .. "' missing or mismatched", 0) end
    params[name]:copy(t)
  end
  m:materialise()
  return m, ck.meta
end

return M
