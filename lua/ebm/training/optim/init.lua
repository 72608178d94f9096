-- ebm.optim: optimisers in the style of torch/optim, one algorithm per file.
--
--   ebm.optim.sgd(params, grads, config, state)     -- optim/sgd.lua
--   ebm.optim.adam(params, grads, config, state)    -- optim/adam.lua
--   ebm.optim.clip_grad_norm(grads, max_norm) -> norm before clipping
--   ebm.optim.schedule.step/cosine/exponential/warmup{...} -> function(step) -> lr
--
-- params and grads are tensors, or tables of tensors (lists, name -> tensor maps, nested
-- tables), with the same structure and shapes. The arithmetic runs in C over whole
-- tensors (runtime/optim.c); `state` is a table the caller keeps between steps.

local util = require "ebm.training.optim.util"
local sgd = require "ebm.training.optim.sgd"
local adam = require "ebm.training.optim.adam"
local schedule = require "ebm.training.optim.schedule"

local M = { sgd = sgd, adam = adam, schedule = schedule }

local function list_norm(list)
  local sq = 0
  for _, e in ipairs(list) do sq = sq + e.p:norm() ^ 2 end
  return math.sqrt(sq)
end

-- Joint L2 norm of a tensor or table of tensors (no change).
function M.norm(tensors)
  return list_norm(util.flatten(tensors, nil, "norm"))
end

-- Scale all gradient tensors in place so that their joint L2 norm is at most max_norm.
-- Returns the norm before clipping.
function M.clip_grad_norm(grads, max_norm)
  assert(type(max_norm) == "number" and max_norm > 0, "clip_grad_norm: max_norm must be a positive number")
  local list = util.flatten(grads, nil, "clip_grad_norm")
  local norm = list_norm(list)
  if norm > max_norm then
    local s = max_norm / (norm + 1e-6)
    for _, e in ipairs(list) do e.p:mul(s) end
  end
  return norm
end

return M
