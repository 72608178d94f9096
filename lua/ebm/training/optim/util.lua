-- ebm.optim.util: walking parameter/gradient structures and keeping state tensors.
local core = require "ebm.core"

local M = {}

-- Flatten a tensor or a (nested) table of tensors into a list of {key=, p=, g=} in a
-- stable order (keys sorted), pairing each tensor of `params` with the one at the same
-- place in `grads` (when given). Errors name the offending key.
function M.flatten(params, grads, fname)
  local out = {}
  local function walk(p, g, key)
    if core.is_tensor(p) then
      if grads ~= nil and not core.is_tensor(g) then
        error(string.format("%s: no gradient tensor for parameter '%s'", fname, key), 0)
      end
      if g ~= nil and p:numel() ~= g:numel() then
        error(string.format("%s: gradient for '%s' has %d elements, parameter has %d", fname, key, g:numel(), p:numel()), 0)
      end
      out[#out + 1] = { key = key, p = p, g = g }
    elseif type(p) == "table" then
      if grads ~= nil and type(g) ~= "table" then
        error(string.format("%s: gradients do not match parameters at '%s'", fname, key), 0)
      end
      local keys = {}
      for k in pairs(p) do keys[#keys + 1] = k end
      table.sort(keys, function(a, b)
        if type(a) == type(b) then return a < b end
        return type(a) == "number"
      end)
      for _, k in ipairs(keys) do
        walk(p[k], g and g[k], key == "" and tostring(k) or (key .. "." .. tostring(k)))
      end
    else
      error(string.format("%s: expected a tensor or a table of tensors at '%s', got %s", fname, key, type(p)), 0)
    end
  end
  walk(params, grads, "")
  if #out == 0 then error(fname .. ": no parameters", 2) end
  return out
end

-- state[field][key]: a zero tensor shaped like p, created once and kept (remade only
-- when the parameter's shape or dtype changed).
function M.buffer(state, field, key, p)
  state[field] = state[field] or {}
  local b = state[field][key]
  if b == nil or b:numel() ~= p:numel() or b:dtype() ~= p:dtype() then
    b = core.tensor_new(p:dtype(), p:size())
    state[field][key] = b
  end
  return b
end

-- Learning rate for this step: config.schedule(step) when given, else config.lr.
function M.lr(config, step, default)
  if config.schedule then return config.schedule(step) end
  return config.lr or default
end

return M
