--[[ Adam (Kingma & Ba, 2015), with L2 or decoupled (AdamW) weight decay.

ARGS:
- params : a tensor or a table of tensors (updated in place)
- grads  : gradients, the same structure and shapes as params
- config : a table of hyper-parameters
  - config.lr           : learning rate (1e-3)
  - config.beta1        : first moment decay (0.9)
  - config.beta2        : second moment decay (0.999)
  - config.eps          : added to the denominator (1e-8)
  - config.weight_decay : weight decay (0)
  - config.decoupled    : apply weight decay as p -= lr*wd*p (AdamW) instead of L2 (false)
  - config.schedule     : optional function(step) -> lr, overriding config.lr
- state  : a table kept between calls (state.step, state.m[key], state.v[key])

RETURN:
- params, state
]]
local core = require "ebm.core"
local util = require "ebm.training.optim.util"

return function(params, grads, config, state)
  config = config or {}
  state = state or {}
  local b1, b2 = config.beta1 or 0.9, config.beta2 or 0.999
  local eps, wd = config.eps or 1e-8, config.weight_decay or 0
  if not (b1 >= 0 and b1 < 1 and b2 >= 0 and b2 < 1) then error("adam: beta1 and beta2 must be in [0, 1)", 2) end
  state.step = (state.step or 0) + 1
  local lr = util.lr(config, state.step, 1e-3)
  for _, e in ipairs(util.flatten(params, grads, "adam")) do
    local m = util.buffer(state, "m", e.key, e.p)
    local v = util.buffer(state, "v", e.key, e.p)
    core.adam_step(e.p, e.g, m, v, lr, b1, b2, eps, wd, config.decoupled or false, state.step)
  end
  return params, state
end
