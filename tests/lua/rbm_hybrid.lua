-- rbm_hybrid.lua - the discriminative term of hybrid training (gradient of log p(y|x) against
-- central finite differences of a log p(y|x) computed here from free energies), centring
-- (the C rewrite against the formula spelt out in Lua, identity at zero offsets, and the
-- same result as plain gradient ascent in the centred coordinates), and training with both.
local t = require "tap"
local ebm = require "ebm"
local core = ebm.core

-- mean over rows of log p(y_r | x_r), from F(x, y) for every label y (f64 free energies).
local function mean_logp(m, x)
  local n, off = x:size(1), m.nv * (m.K - 1)
  local xx = x:clone()
  local lab = xx:narrow(2, off + 1, m.nl)
  local negF = {}
  for y = 1, m.nl do
    lab:zero()
    lab:select(2, y):fill(1)
    negF[y] = m:free_energy(xx)
  end
  local s = 0
  for r = 1, n do
    local mx = -math.huge
    for y = 1, m.nl do mx = math.max(mx, -negF[y]:get(r)) end
    local z, yt = 0, nil
    for y = 1, m.nl do
      z = z + math.exp(-negF[y]:get(r) - mx)
      if x:get(r, off + y) == 1 then yt = y end
    end
    s = s + (-negF[yt]:get(r)) - (mx + math.log(z))
  end
  return s / n
end

local function rand_fill(tensor, g, sd)
  tensor:normal(g, 0, sd)
  return tensor
end

for _, K in ipairs {2, 3} do
  local m = ebm.rbm.new{nv = 4, K = K, nl = 3, nh = 3, seed = 2, init_sd = 0.7, side = 2}
  local g = core.rng(11 + K)
  rand_fill(m.b, g, 0.5); rand_fill(m.c, g, 0.5)
  local v = ebm.u8{{0, 1, K - 1, 1}, {K - 1, 0, 0, 1}, {1, 1, 0, 0}, {0, K - 1, 1, 1}, {1, 0, 1, 0}}
  for i = 1, v:numel() do v:view(-1):set(i, math.min(v:view(-1):get(i), K - 1)) end
  local x = m:encode(v, ebm.i32{0, 2, 1, 2, 0})
  local gW, gb, gc = ebm.f32(m.nh, m.D), ebm.f32(m.D), ebm.f32(m.nh)
  local ll = core.rbm_disc_grad(m, x, 1.0, gW, gb, gc)
  t.near(ll, mean_logp(m, x), 1e-4, ("K=%d: rbm_disc_grad returns mean log p(y|x)"):format(K))
  local worst = 0
  local eps = 1e-2
  local function check(param, grad)
    for i = 1, param:numel() do
      local p, gv = param:view(-1), grad:view(-1)
      local old = p:get(i)
      p:set(i, old + eps); local up = mean_logp(m, x)
      p:set(i, old - eps); local dn = mean_logp(m, x)
      p:set(i, old)
      local fd = (up - dn) / (2 * eps)
      worst = math.max(worst, math.abs(fd - gv:get(i)) / (1e-2 + math.abs(fd)))
    end
  end
  check(m.W, gW); check(m.b, gb); check(m.c, gc)
  t.cmp_ok(worst, "<", 2e-3, ("K=%d: discriminative gradient matches finite differences (worst rel. error %.1e)"):format(K, worst))
  -- alpha scales and accumulates: adding with alpha 2 onto the alpha-1 result gives 3x.
  local gW3 = gW:clone()
  core.rbm_disc_grad(m, x, 2.0, gW3, gb:clone(), gc:clone())
  t.near(gW3:get(2, 1), 3 * gW:get(2, 1), 1e-5, "alpha scales the term, which is added to the gradient")
  -- pixel biases do not enter p(y|x)
  t.is(gb:get(1), 0.0, "pixel-bias gradient of log p(y|x) is zero")
end

-- A row whose label group is not one-hot is an argument error, and nothing is added.
do
  local m = ebm.rbm.new{nv = 2, nl = 2, nh = 2, side = 1}
  local gW, gb, gc = ebm.f32(2, 4), ebm.f32(4), ebm.f32(2)
  t.error_like(function() core.rbm_disc_grad(m, ebm.f32{{1, 0, 0, 0}}, 1, gW, gb, gc) end, "one%-hot",
    "a row without a label is refused")
  t.is(gW:norm(), 0.0, "nothing added on error")
  local m0 = ebm.rbm.new{nv = 2, nh = 2, side = 1}
  t.error_like(function() core.rbm_disc_grad(m0, ebm.f32(1, 2), 1, ebm.f32(2, 2), ebm.f32(2), ebm.f32(2)) end,
    "label group", "a model without labels is refused")
end

-- Centring: C against the formula in Lua.
do
  local m = ebm.rbm.new{nv = 5, nh = 4, seed = 3, side = 1}
  local g = core.rng(5)
  local gW, gb, gc = rand_fill(ebm.f32(4, 5), g, 1), rand_fill(ebm.f32(5), g, 1), rand_fill(ebm.f32(4), g, 1)
  local mu, lam = ebm.f32(5):uniform(g), ebm.f32(4):uniform(g)
  local W2, b2, c2 = gW:clone(), gb:clone(), gc:clone()
  core.rbm_center_grad(m, mu, lam, W2, b2, c2)
  local err = 0
  local Wc = {}
  for j = 1, 4 do
    Wc[j] = {}
    for i = 1, 5 do
      Wc[j][i] = gW:get(j, i) - lam:get(j) * gb:get(i) - gc:get(j) * mu:get(i)
      err = math.max(err, math.abs(Wc[j][i] - W2:get(j, i)))
    end
  end
  for i = 1, 5 do
    local s = gb:get(i)
    for j = 1, 4 do s = s - Wc[j][i] * lam:get(j) end
    err = math.max(err, math.abs(s - b2:get(i)))
  end
  for j = 1, 4 do
    local s = gc:get(j)
    for i = 1, 5 do s = s - Wc[j][i] * mu:get(i) end
    err = math.max(err, math.abs(s - c2:get(j)))
  end
  t.cmp_ok(err, "<", 1e-5, "rbm_center_grad follows the centred-gradient formula")
  local W3, b3, c3 = gW:clone(), gb:clone(), gc:clone()
  core.rbm_center_grad(m, ebm.f32(5), ebm.f32(4), W3, b3, c3)
  t.is_deeply({W3:totable(), b3:totable(), c3:totable()}, {gW:totable(), gb:totable(), gc:totable()},
    "zero offsets leave the gradient unchanged")
end

-- Centring is plain gradient ascent in the centred coordinates: the energy of every (x, h)
-- after the centred step equals the energy of a centred model (W + lr gWc, bt + lr gb,
-- ct + lr gc) with the same offsets, up to a constant.
do
  local m = ebm.rbm.new{nv = 3, nh = 2, seed = 4, init_sd = 0.5, side = 1}
  local g = core.rng(9)
  rand_fill(m.b, g, 0.3); rand_fill(m.c, g, 0.3)
  local mu, lam = ebm.f32{0.2, 0.7, 0.4}, ebm.f32{0.3, 0.6}
  local gW, gb, gc = rand_fill(ebm.f32(2, 3), g, 1), rand_fill(ebm.f32(3), g, 1), rand_fill(ebm.f32(2), g, 1)
  -- centred parameters of the current model: bt = b + W^T lam, ct = c + W mu
  local function centred(W, b, c)
    local bt, ct = {}, {}
    for i = 1, 3 do bt[i] = b:get(i); for j = 1, 2 do bt[i] = bt[i] + W:get(j, i) * lam:get(j) end end
    for j = 1, 2 do ct[j] = c:get(j); for i = 1, 3 do ct[j] = ct[j] + W:get(j, i) * mu:get(i) end end
    return bt, ct
  end
  local bt, ct = centred(m.W, m.b, m.c)
  local lr = 0.1
  local Wc, bc, cc = gW:clone(), gb:clone(), gc:clone()
  core.rbm_center_grad(m, mu, lam, Wc, bc, cc)
  local W1, b1, c1 = m.W:clone():add(Wc:clone():mul(lr)), m.b:clone():add(bc:clone():mul(lr)),
                     m.c:clone():add(cc:clone():mul(lr))
  local bt1, ct1 = centred(W1, b1, c1)
  local err = 0
  for i = 1, 3 do err = math.max(err, math.abs(bt1[i] - (bt[i] + lr * gb:get(i)))) end
  for j = 1, 2 do err = math.max(err, math.abs(ct1[j] - (ct[j] + lr * gc:get(j)))) end
  t.cmp_ok(err, "<", 1e-5, "the centred step moves the centred biases by lr * (<x>, <h>) differences")
end

-- Training a label model with centring and the hybrid term: p(y|x) learns the labels and the
-- exact mass still goes to the data.
do
  local r = ebm.rbm.new{nv = 8, nl = 2, nh = 4, seed = 1, side = 1}
  local data = r:encode(ebm.u8{{1, 1, 1, 1, 0, 0, 0, 0}, {0, 0, 0, 0, 1, 1, 1, 1}}, ebm.i32{0, 1})
  r:init_biases(data)
  r:init_centering(data)
  t.near(r.mu:get(1), 0.5, 1e-6, "visible offset is the data mean")
  local ll
  for _ = 1, 1000 do
    _, ll = r:cd_step(data, {k = 1, lr = 0.05, momentum = 0.5, pcd = true, chains = 50, center = true, disc = 1})
  end
  t.cmp_ok(ll, ">", math.log(0.95), "hybrid training: p(y|x) > 0.95 on the training rows")
  local F, lz = r:free_energy(data), r:exact_logz()
  t.cmp_ok(math.exp(-F:get(1) - lz) + math.exp(-F:get(2) - lz), ">", 0.7,
    "centred hybrid PCD puts > 70% of the exact mass on the two labelled patterns")
  -- one more step: lam <- 0.99 lam + 0.01 <p(h|x)>_data under the parameters before the step
  local h = ebm.f32(2, r.nh)
  core.rbm_hidden_probs(r, data, h, 1.0)
  local want = r.lam:clone():mul(0.99):add(h:mean(1):mul(0.01))
  r:cd_step(data, {k = 1, lr = 0.05, pcd = true, chains = 50, center = true})
  local e = 0
  for j = 1, r.nh do e = math.max(e, math.abs(r.lam:get(j) - want:get(j))) end
  t.cmp_ok(e, "<", 1e-6, "the hidden offset moves 1% of the way to <h>_data each update")
  t.error_like(function() ebm.rbm.new{nv = 2, nh = 2, side = 1}:cd_step(ebm.f32(1, 2), {center = true}) end,
    "init_centering", "centring without offsets is an error")
end

-- Replica exchange over the label gain: the first replica samples the model's own p(x | y).
-- Exact p_g(x | y) ~ exp(-F_g(x, y)) by enumerating the 16 images of a 4-pixel model; the
-- model (seed 198 of a search) is one where gains 1 and 3 give very different distributions.
do
  local m = ebm.rbm.new{nv = 4, nl = 2, nh = 3, seed = 198, init_sd = 2, side = 2}
  local g = core.rng(198)
  m.b:normal(g, 0, 1); m.c:normal(g, 0, 1)
  local function exact(gain)
    local mg = ebm.rbm.new{nv = 4, nl = 2, nh = 3, side = 2}
    mg.W:copy(m.W); mg.b:copy(m.b); mg.c:copy(m.c)
    mg.W:narrow(2, 5, 2):mul(gain)
    local x = ebm.f32(16, 6)
    for cfg = 0, 15 do
      for i = 1, 4 do x:set(cfg + 1, i, (cfg >> (i - 1)) & 1) end
      x:set(cfg + 1, 6, 1) -- label 1
    end
    local F, pr, z = mg:free_energy(x), {}, 0
    for c = 1, 16 do pr[c] = math.exp(-F:get(c)); z = z + pr[c] end
    for c = 1, 16 do pr[c] = pr[c] / z end
    return pr
  end
  local function tv(a, b)
    local d = 0
    for c = 1, 16 do d = d + math.abs(a[c] - b[c]) end
    return d / 2
  end
  local p1, p3 = exact(1), exact(3)
  t.cmp_ok(tv(p1, p3), ">", 0.5, ("gains 1 and 3 differ (TV %.3f): a wrong swap rule would show"):format(tv(p1, p3)))
  local S = 20000
  local bound = 0.5 * math.sqrt(16 / S) + math.sqrt(math.log(1e6) / (2 * S))
  for _, ladder in ipairs {{1, 3}, {1, 1.7, 3}} do
    local x, _, info = m:sample(S, {steps = 40, label = 1, ladder = ladder, seed = 3})
    local cnt = {}
    for c = 1, 16 do cnt[c] = 0 end
    for r = 1, S do
      local c = 1
      for i = 1, 4 do c = c + (x:get(r, i) > 0.5 and (1 << (i - 1)) or 0) end
      cnt[c] = cnt[c] + 1
    end
    for c = 1, 16 do cnt[c] = cnt[c] / S end
    local name = "{" .. table.concat(ladder, ", ") .. "}"
    t.cmp_ok(tv(cnt, p1), "<", bound, ("ladder %s: first replica matches exact p(x|y) (TV %.4f, bound %.4f)")
      :format(name, tv(cnt, p1), bound))
    t.ok(info and info.swap_rates[1] > 0.05 and info.swap_rates[1] < 1,
      ("ladder %s: swaps happen and some are refused (rate %.2f)"):format(name, info and info.swap_rates[1] or -1))
  end
  t.error_like(function() m:sample(2, {steps = 1, ladder = {1, 2}}) end, "clamped labels", "a ladder needs a label")
  t.error_like(function() m:sample(2, {steps = 1, label = 0, ladder = {1, 0.5}}) end, "increase", "gains must increase")
end

t.done_testing()
