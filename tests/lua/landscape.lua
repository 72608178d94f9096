-- landscape.lua - zero-temperature block updates (core.icm), PCA (core.pca), AUC, corruption,
-- minima and Hamming paths of ebm.landscape, against direct computations.
local t = require "tap"
local L = ebm.landscape

-- a 3x3 potts model with 3 levels and random parameters: small enough to enumerate
local m = ebm.grid { height = 3, width = 3, levels = 3, stencil = "4", coupling = "potts" }
m:randomise(1.0, ebm.rng(5))
local n, K = 9, 3

-- every state, as chains [9, 3^9]
local NS = K ^ n // 1
local all = ebm.zeros({ n, NS }, "u8")
for s = 0, NS - 1 do
  local v = s
  for i = 1, n do all:set(i, s + 1, v % K); v = v // K end
end
local Eall = m:energy(all):totable()
local gmin, garg = math.huge, 1
for s = 1, NS do if Eall[s] < gmin then gmin, garg = Eall[s], s end end

-- quench 200 random states; energy must not increase sweep by sweep; the end is a local min
local s = ebm.sampler { model = m, seed = 3 }
local x = s:chains(200, "uniform")
local prev = m:energy(x):totable()
local mono, sweeps = true, 0
for _ = 1, 50 do
  local _, sw, ch = L.quench(m, x, { max_sweeps = 1 })
  sweeps = sweeps + sw
  local e = m:energy(x):totable()
  for c = 1, 200 do if e[c] > prev[c] + 1e-9 then mono = false end end
  prev = e
  if ch == 0 then break end
end
t.ok(mono, "ICM never raises the energy of a chain")
local _, sw, ch = L.quench(m, x, { max_sweeps = 100 })
t.is(ch, 0, "quench converges (a sweep that changes nothing)")
t.is(sw, 1, "a converged state stays put: one sweep, no change")
-- local minimum: no single-node change lowers the energy (checked by brute force)
local localmin = true
local e = m:energy(x):totable()
for c = 1, 200, 7 do
  local st = x:narrow(2, c, 1):clone()
  for i = 1, n do
    local keep = st:get(i, 1)
    for k = 0, K - 1 do
      if k ~= keep then
        st:set(i, 1, k)
        if m:energy(st):get(1) < e[c] - 1e-9 then localmin = false end
      end
    end
    st:set(i, 1, keep)
  end
end
t.ok(localmin, "every quenched chain is a local minimum under single-node changes")
-- the global minimum (by enumeration) is a fixed point, and some chain from noise finds it
local g = all:narrow(2, garg, 1):clone()
local _, _, chg = L.quench(m, g, { max_sweeps = 5 })
t.is(chg, 0, "the enumerated global minimum is a fixed point of ICM")
local mins = L.minima(m, x)
t.near(mins[1].energy, m:energy(mins[1].state:view(n, 1)):get(1), 1e-9, "a minimum's energy is its state's energy")
local best = math.huge
for _, q in ipairs(mins) do best = math.min(best, q.energy) end
t.near(best, gmin, 1e-6, "200 quenches from noise reach the global minimum energy")
local total = 0
for _, q in ipairs(mins) do total = total + q.count end
t.is(total, 200, "basin counts add up to the number of chains")
t.ok(mins[1].count >= mins[#mins].count, "minima sorted by basin size")
-- no randomness and chains independent: the same result for 1 and 2 threads
local z1 = s:chains(64, "uniform")
local z2 = z1:clone()
ebm.threads(1)
L.quench(m, z1)
ebm.threads(2)
L.quench(m, z2)
t.is_deeply(z1:totable(), z2:totable(), "ICM gives the same minima on 1 and 2 threads")
-- clamp: clamped nodes keep their values
local y = s:chains(20, "uniform")
local y0 = y:clone()
local mask = ebm.zeros({ n }, "u8")
mask:set(5, 1)
L.quench(m, y, { clamp = mask })
t.is_deeply(y:select(1, 5):totable(), y0:select(1, 5):totable(), "clamped node unchanged by ICM")
t.error_like(function() L.quench(m, y, { max_sweeps = 0 }) end, "max_sweeps", "max_sweeps 0 refused")
t.error_like(function() L.quench(m, y, { clamp = ebm.zeros({ 3 }, "u8") }) end, "clamp", "short clamp refused")

-- PCA: components satisfy S c = lambda c for the sample covariance computed here
local rng = ebm.rng(9)
local X = ebm.f64(60, 5):normal(rng, 0, 1)
for j = 1, 5 do X:select(2, j):mul(j) end
local p = L.pca(X, 2)
local mean = {}
for j = 1, 5 do
  local sm = 0
  for r = 1, 60 do sm = sm + X:get(r, j) end
  mean[j] = sm / 60
end
local S = {}
for a = 1, 5 do
  S[a] = {}
  for b = 1, 5 do
    local sm = 0
    for r = 1, 60 do sm = sm + (X:get(r, a) - mean[a]) * (X:get(r, b) - mean[b]) end
    S[a][b] = sm / 59
  end
end
local worst, tr = 0, 0
for c = 1, 2 do
  for a = 1, 5 do
    local sc = 0
    for b = 1, 5 do sc = sc + S[a][b] * p.components:get(c, b) end
    worst = math.max(worst, math.abs(sc - p.var:get(c) * p.components:get(c, a)))
  end
end
for a = 1, 5 do tr = tr + S[a][a] end
t.ok(worst < 1e-9, "S c = lambda c for both components (max error " .. worst .. ")")
t.ok(p.var:get(1) >= p.var:get(2), "variances in decreasing order")
t.near(p.total, tr, 1e-9, "total variance is the trace of S")
t.near(p.mean:get(3), mean[3], 1e-12, "mean")
t.error_like(function() L.pca(X, 6) end, "k must be", "k > d refused")
t.error_like(function() L.pca(ebm.f64(1, 3), 1) end, "2 rows", "one row refused")

-- AUC against hand-computed cases
t.is(L.auc({ 1, 2 }, { 3, 4 }), 1, "perfect separation: 1")
t.is(L.auc({ 3, 4 }, { 1, 2 }), 0, "reversed: 0")
t.is(L.auc({ 1, 3 }, { 2, 3 }), 0.625, "one win, one tie, one loss of four: (2 + 0.5) / 4")

-- corruption: rate 0 keeps, rate 1 changes every pixel (binary: flips), counts near rate
local img = ebm.zeros({ 50, 28, 28 }, "u8")
t.is_deeply(L.corrupt(img, 0, 2, rng):totable(), img:totable(), "rate 0: unchanged")
t.is(L.corrupt(img, 1, 2, rng):sum(), 50 * 784, "rate 1, binary: every pixel flipped")
local c4 = L.corrupt(img, 0.2, 4, rng)
local changed = 0
for _, v in ipairs(c4:view(c4:numel()):totable()) do if v ~= 0 then changed = changed + 1 end end
-- 39200 pixels, p = 0.2: sd = sqrt(39200*0.2*0.8) = 79; 5 sd = 400
t.ok(math.abs(changed - 7840) < 400, ("rate 0.2: %d of 39200 changed (expect 7840 +- 400)"):format(changed))
t.is(c4:max(), 3, "4 levels: replacements stay in 0..3")

-- Hamming path: starts at a, ends at b, one-directional
local a = ebm.zeros({ 16 }, "u8")
local b = ebm.zeros({ 16 }, "u8"):fill(1)
local path, D = L.hamming_path(a, b, 4, rng)
t.is(D, 16, "16 differing pixels")
t.is_deeply(path:select(2, 1):totable(), a:totable(), "path starts at a")
t.is_deeply(path:select(2, 5):totable(), b:totable(), "path ends at b")
t.is(path:select(2, 3):sum(), 8, "halfway: half the differing pixels switched")

t.done_testing()
