-- rbm16.lua - the fixture the AIS tests share: a 100-visible, 16-hidden RBM with random
-- weights of moderate size and data-like biases, its exact log Z (65536 hidden states
-- enumerated) and a base-rate vector equal to its visible biases.
local ebm = require "ebm"

return function()
  local m = ebm.rbm.new{nv = 100, nh = 16, seed = 7, init_sd = 0.25, side = 10}
  local g = ebm.rng(3)
  m.b:normal(g, -1, 0.5)
  m.c:normal(g, 0, 0.5)
  return m, m:exact_logz(), ebm.f32(m.D):copy(m.b)
end
