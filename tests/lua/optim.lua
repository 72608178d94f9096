-- optim.lua - SGD and Adam against a hand-written Lua reference, Adam on a quadratic,
-- gradient clipping and learning-rate schedules.
local t = require "tap"

-- reference implementations on plain Lua arrays
local function ref_adam(p, g, m, v, step, c)
  local b1, b2, eps, wd = c.beta1 or 0.9, c.beta2 or 0.999, c.eps or 1e-8, c.weight_decay or 0
  for i = 1, #p do
    local gi = g[i] + wd * p[i]
    m[i] = b1 * m[i] + (1 - b1) * gi
    v[i] = b2 * v[i] + (1 - b2) * gi * gi
    local mh, vh = m[i] / (1 - b1 ^ step), v[i] / (1 - b2 ^ step)
    p[i] = p[i] - c.lr * mh / (math.sqrt(vh) + eps)
  end
end

local function ref_sgd(p, g, buf, first, c)
  local mu, wd = c.momentum or 0, c.weight_decay or 0
  for i = 1, #p do
    local gi = g[i] + wd * p[i]
    if mu ~= 0 then
      buf[i] = first and gi or mu * buf[i] + (1 - (c.dampening or 0)) * gi
      gi = c.nesterov and gi + mu * buf[i] or buf[i]
    end
    p[i] = p[i] - c.lr * gi
  end
end

local function maxdiff(tensor, list)
  local m, tl = 0, tensor:totable()
  for i = 1, #list do m = math.max(m, math.abs(tl[i] - list[i])) end
  return m
end

local rng = ebm.rng(t.seed(2024))
for _, cfg in ipairs {
  { lr = 0.01 },
  { lr = 0.05, beta1 = 0.8, beta2 = 0.99, eps = 1e-6, weight_decay = 0.1 },
} do
  local p = ebm.f64(7):normal(rng)
  local pl, m, v = p:totable(), {}, {}
  for i = 1, 7 do m[i], v[i] = 0, 0 end
  local state = {}
  for step = 1, 5 do
    local g = ebm.f64(7):normal(rng)
    ebm.optim.adam(p, g, cfg, state)
    ref_adam(pl, g:totable(), m, v, step, cfg)
  end
  t.cmp_ok(maxdiff(p, pl), "<", 1e-12, "adam matches the reference (wd=" .. (cfg.weight_decay or 0) .. ")")
  t.is(state.step, 5, "adam counts steps")
end

for _, cfg in ipairs {
  { lr = 0.1 },
  { lr = 0.1, momentum = 0.9, weight_decay = 0.01 },
  { lr = 0.1, momentum = 0.9, nesterov = true },
  { lr = 0.1, momentum = 0.5, dampening = 0.5 },
} do
  local p = ebm.f64(5):normal(rng)
  local pl, buf = p:totable(), {}
  local state = {}
  for step = 1, 4 do
    local g = ebm.f64(5):normal(rng)
    ebm.optim.sgd(p, g, cfg, state)
    ref_sgd(pl, g:totable(), buf, step == 1, cfg)
  end
  t.cmp_ok(maxdiff(p, pl), "<", 1e-12, string.format("sgd matches the reference (momentum=%s nesterov=%s)",
    cfg.momentum or 0, tostring(cfg.nesterov or false)))
end

-- lr_in_velocity (the RBM trainer's form): vel = mu*vel - lr*(g + wd*p); p += vel, the
-- velocity starting at zero, with lr and momentum changing between steps (a changing lr must
-- scale only the new gradient, which the default form cannot do) and momentum 0 steps.
do
  local p = ebm.f64(6):normal(rng)
  local pl, vel = p:totable(), {}
  for i = 1, 6 do vel[i] = 0 end
  local state = {}
  local sched = { { 0.1, 0 }, { 0.1, 0.5 }, { 0.05, 0.5 }, { 0.02, 0.9 }, { 0.01, 0.9 } }
  for _, s in ipairs(sched) do
    local lr, mu, wd = s[1], s[2], 0.01
    local g = ebm.f64(6):normal(rng)
    ebm.optim.sgd(p, g, { lr = lr, momentum = mu, weight_decay = wd, lr_in_velocity = true }, state)
    local gl = g:totable()
    for i = 1, 6 do
      vel[i] = mu * vel[i] - lr * (gl[i] + wd * pl[i])
      pl[i] = pl[i] + vel[i]
    end
  end
  t.cmp_ok(maxdiff(p, pl), "<", 1e-12, "sgd lr_in_velocity matches the reference (changing lr, momentum 0 steps)")
  t.cmp_ok(maxdiff(state.momentum[""], vel), "<", 1e-12, "its velocity buffer holds lr-scaled steps")
  t.error_like(function() ebm.optim.sgd(ebm.f32(2), ebm.f32(2), { momentum = 0.9, nesterov = true, lr_in_velocity = true }) end,
    "lr_in_velocity", "lr_in_velocity excludes nesterov")
end

-- tables of parameters (map and list); state tensors are kept, not reallocated
local params = { W = ebm.f32(3, 2):fill(1), b = ebm.f32(2):fill(-1) }
local grads = { W = ebm.f32(3, 2):fill(0.5), b = ebm.f32(2):fill(-0.5) }
local st = {}
ebm.optim.adam(params, grads, { lr = 0.1 }, st)
local mW = st.m.W
ebm.optim.adam(params, grads, { lr = 0.1 }, st)
t.ok(rawequal(st.m.W, mW), "moment tensors persist across steps")
t.near(params.W:get(1, 1), 0.8, 1e-5, "first Adam steps move by lr each (sign of gradient)")
t.near(params.b:get(2), -0.8, 1e-5, "map of parameters: b updated too")
local plist = { ebm.f32(2):fill(1) }
ebm.optim.sgd(plist, { ebm.f32(2):fill(2) }, { lr = 0.25 })
t.near(plist[1]:get(1), 0.5, 1e-7, "list of parameters")

-- Adam minimises a quadratic 0.5 * sum a_i (x_i - c_i)^2
local a = ebm.f64 { 1, 10, 0.1, 3 }
local c = ebm.f64 { 1, -2, 3, 0.5 }
local x = ebm.f64(4)
local state = {}
for _ = 1, 3000 do
  local g = ebm.mul(a, x - c)
  ebm.optim.adam(x, g, { lr = 0.05 }, state)
end
t.cmp_ok((x - c):abs():max(), "<", 1e-3, "adam reaches the minimum of a quadratic")

-- errors
t.error_like(function() ebm.optim.adam({ w = ebm.f32(2) }, {}, {}) end, "no gradient tensor for parameter 'w'", "missing gradient")
t.error_like(function() ebm.optim.adam(ebm.f32(2), ebm.f64(2), {}) end, "f32 or all f64", "dtype mismatch")
t.error_like(function() ebm.optim.sgd(ebm.f32(2), ebm.f32(3), {}) end, "3 elements", "size mismatch")
t.error_like(function() ebm.optim.sgd(ebm.u8(2), ebm.u8(2), {}) end, "f32 or all f64", "u8 parameters refused")
t.error_like(function() ebm.optim.sgd(ebm.f32(2), ebm.f32(2), { nesterov = true }) end, "nesterov", "nesterov needs momentum")

-- clipping
local g1, g2 = ebm.f32 { 3, 0 }, ebm.f32 { 0, 4 }
local norm = ebm.optim.clip_grad_norm({ g1, g2 }, 1)
t.near(norm, 5, 1e-6, "clip_grad_norm returns the norm before clipping")
t.near(ebm.optim.norm({ g1, g2 }), 1, 1e-5, "after clipping the joint norm is max_norm")
local g3 = ebm.f32 { 0.3, 0.4 }
ebm.optim.clip_grad_norm(g3, 1)
t.near(g3:get(1), 0.3, 1e-7, "small gradients untouched")

-- schedules
local S = ebm.optim.schedule
t.near(S.step { lr = 1, step_size = 10, gamma = 0.5 }(21), 0.25, 1e-12, "step schedule")
t.near(S.exponential { lr = 2, gamma = 0.9 }(3), 2 * 0.81, 1e-12, "exponential schedule")
local cos = S.cosine { lr = 1, total = 100, lr_min = 0.1 }
t.ok(math.abs(cos(1) - 1) < 1e-12 and math.abs(cos(51) - 0.55) < 1e-12 and math.abs(cos(500) - 0.1) < 1e-12, "cosine schedule")
local wu = S.warmup { steps = 4, after = cos }
t.near(wu(1), 0.25, 1e-12, "warmup ramps")
t.near(wu(51), cos(51), 1e-12, "after warmup the wrapped schedule")
local stt, pp = {}, ebm.f64 { 0 }
ebm.optim.sgd(pp, ebm.f64 { 1 }, { schedule = S.exponential { lr = 1, gamma = 0.5 } }, stt)
ebm.optim.sgd(pp, ebm.f64 { 1 }, { schedule = S.exponential { lr = 1, gamma = 0.5 } }, stt)
t.near(pp:get(1), -1.5, 1e-12, "config.schedule drives the learning rate")
t.error_like(function() S.cosine { lr = 1 } end, "total", "schedule with a missing field")

t.done_testing()
