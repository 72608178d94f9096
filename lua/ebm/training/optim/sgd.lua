--[[ Stochastic gradient descent with momentum, Nesterov momentum and weight decay.

ARGS:
- params : a tensor or a table of tensors (updated in place)
- grads  : gradients, the same structure and shapes as params
- config : a table of hyper-parameters
  - config.lr           : learning rate (1e-3)
  - config.momentum     : momentum (0)
  - config.dampening    : dampening for momentum (0)
  - config.weight_decay : L2 penalty added to the gradient (0)
  - config.nesterov     : Nesterov momentum (false; needs momentum > 0, dampening 0)
  - config.lr_in_velocity : the velocity carries the learning rate (false): v = mu*v - lr*g',
                          p += v (Sutskever et al. 2013; Hinton's RBM guide), so a changing
                          lr scales only new gradients; v starts at zero. Not with nesterov
                          or dampening.
  - config.schedule     : optional function(step) -> lr, overriding config.lr
- state  : a table kept between calls (state.step, state.momentum[key])

RETURN:
- params, state
]]
local core = require "ebm.core"
local util = require "ebm.training.optim.util"

return function(params, grads, config, state)
  config = config or {}
  state = state or {}
  local mom = config.momentum or 0
  local damp = config.dampening or 0
  local wd = config.weight_decay or 0
  local nesterov = config.nesterov or false
  if nesterov and (mom <= 0 or damp ~= 0) then
    error("sgd: nesterov momentum needs momentum > 0 and dampening 0", 2)
  end
  local lrv = config.lr_in_velocity or false
  if lrv and (nesterov or damp ~= 0) then
    error("sgd: lr_in_velocity excludes nesterov and dampening", 2)
  end
  state.step = (state.step or 0) + 1
  local lr = util.lr(config, state.step, 1e-3)
  for _, e in ipairs(util.flatten(params, grads, "sgd")) do
    local buf = nil
    local first = false
    if mom ~= 0 or lrv then
      first = not (state.momentum and state.momentum[e.key])
      buf = util.buffer(state, "momentum", e.key, e.p)
    end
    core.sgd_step(e.p, e.g, buf, lr, mom, damp, wd, nesterov, first, lrv)
  end
  return params, state
end
