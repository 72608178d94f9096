-- rbm.lua - ebm.rbm from Lua: encoding, exact log Z vs a brute-force sum written here,
-- clamped class-conditional sampling, training lowers the free energy of the data, errors.
local t = require "tap"
local ebm = require "ebm"
local core = ebm.core

-- Encoding: K = 3 pixels and labels, round trip through images().
local m = ebm.rbm.new{nv = 4, K = 3, nl = 2, nh = 3, seed = 3, init_sd = 0.8, side = 2}
t.is(m.D, 4 * 2 + 2, "D = nv*(K-1) + nl")
local v = ebm.u8{{0, 1, 2, 2}, {2, 0, 0, 1}}
local x = m:encode(v, ebm.i32{1, 0})
t.is_deeply(x:totable(), {{0, 0, 1, 0, 0, 1, 0, 1, 0, 1}, {0, 1, 0, 0, 0, 0, 1, 0, 1, 0}}, "one-hot encoding with label group")
t.is_deeply(m:images(x):view(2, 4):totable(), {{0, 128, 255, 255}, {255, 0, 0, 128}}, "images() decodes expected levels to 0..255")
t.is_deeply(m:labels_of(x), {1, 0}, "labels_of reads the label group")

-- Brute force log Z over all (x, h) in Lua.
m.b:set(1, 0.3); m.c:set(2, -0.4)
local function negE(xv, hv)
  local s = 0
  for j = 1, m.D do s = s + m.b:get(j) * xv[j] end
  for i = 1, m.nh do
    if hv[i] == 1 then
      s = s + m.c:get(i)
      for j = 1, m.D do s = s + m.W:get(i, j) * xv[j] end
    end
  end
  return s
end
local Z = 0
for cfg = 0, 3 ^ 4 * 2 - 1 do
  local xv, c = {}, cfg
  for i = 1, 4 do
    local l = c % 3; c = c // 3
    xv[2 * i - 1], xv[2 * i] = l == 1 and 1 or 0, l == 2 and 1 or 0
  end
  xv[9], xv[10] = c == 0 and 1 or 0, c == 1 and 1 or 0
  for hb = 0, 7 do
    Z = Z + math.exp(negE(xv, {hb & 1, (hb >> 1) & 1, (hb >> 2) & 1}))
  end
end
t.near(m:exact_logz(), math.log(Z), 1e-6, "exact_logz matches a brute-force sum over all (x, h)")

-- Clamped sampling keeps the asked-for label; mean=true returns probabilities in [0,1].
local s = m:sample(50, {steps = 20, label = 1, seed = 5})
local ok_lab = true
for _, l in ipairs(m:labels_of(s)) do ok_lab = ok_lab and l == 1 end
t.ok(ok_lab, "clamped label stays at the asked-for digit in every chain")
local pm = m:sample(5, {steps = 5, label = {0, 1, 0, 1, 0}, mean = true})
t.is_deeply(m:labels_of(pm), {0, 1, 0, 1, 0}, "per-chain labels from a table")
t.ok(pm:get(1, 1) >= 0 and pm:get(1, 1) <= 1, "mean samples are probabilities")

-- Same seed, same samples.
t.is_deeply(m:sample(4, {steps = 10, seed = 9}):totable(), m:sample(4, {steps = 10, seed = 9}):totable(),
  "sampling is a function of the seed")

-- Training on two patterns puts most of the exact probability mass on them (CD-1 and PCD).
-- At the start (W ~ 0, base-rate biases) the two patterns hold 2/256 of the mass.
for _, pcd in ipairs{false, true} do
  local r = ebm.rbm.new{nv = 8, nh = 4, seed = 1, side = 1}
  local data = r:encode(ebm.u8{{1, 1, 1, 1, 0, 0, 0, 0}, {0, 0, 0, 0, 1, 1, 1, 1}})
  r:init_biases(data)
  local function mass()
    local F, lz = r:free_energy(data), r:exact_logz()
    return math.exp(-F:get(1) - lz) + math.exp(-F:get(2) - lz)
  end
  t.cmp_ok(mass(), "<", 0.02, "untrained: the patterns have little mass")
  for _ = 1, 1000 do r:cd_step(data, {k = 1, lr = 0.05, momentum = 0.5, pcd = pcd, chains = 50}) end
  t.cmp_ok(mass(), ">", 0.7, (pcd and "PCD" or "CD-1") .. " training puts > 70% of the exact mass on the two patterns")
end

-- Errors name the function and argument.
t.error_like(function() core.rbm_hidden_probs(m, ebm.f32(2, 3), ebm.f32(2, 3)) end, "bad argument #2", "wrong x width is an argument error")
t.error_like(function() core.rbm_exact_logz({W = ebm.f32(2, 2)}) end, "model%.b", "missing model field is named")
t.error_like(function() m:encode(ebm.u8{{0, 1, 2, 2}}, ebm.i32{5}) end, "label out of range", "label out of range")
t.error_like(function() core.rbm_cd(m, x, 0, nil, 1, 1, m.W, m.b, m.c) end, "k >= 1", "CD needs k >= 1")
t.error_like(function() ebm.rbm.new{nv = 4} end, "nh", "missing hidden size")

t.done_testing()
