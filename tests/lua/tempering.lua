-- tempering.lua - ebm.tempering, the parts Rbm:sample runs on: the annealing ramp, the
-- checks of a gain ladder, label-scaled replica models, and the exchange move's bookkeeping.
-- (Samples of Rbm:sample with a ladder are tested in rbm_scripts.lua through evaluate.lua.)
local t = require "tap"
local T = ebm.tempering

t.is(T.anneal_beta(1, 4), 0.25, "anneal_beta: step 1 of 4 is 1/4")
t.is(T.anneal_beta(4, 4), 1, "anneal_beta: the last ramp step is 1")
t.is(T.anneal_beta(9, 4), 1, "anneal_beta: 1 after the ramp")
t.is(T.anneal_beta(1, 0), 1, "anneal_beta: no ramp is 1 throughout")

t.is_deeply(T.gains({}, false), { 1 }, "no ladder: one replica at gain 1")
t.is_deeply(T.gains({ label_gain = 2 }, true), { 2 }, "label_gain: one replica at that gain")
t.error_like(function() T.gains({ ladder = { 1, 2 } }, false) end, "needs clamped labels", "a ladder needs clamped labels")
t.error_like(function() T.gains({ ladder = { 1.5, 2 } }, true) end, "start at gain 1", "a ladder starts at 1")
t.error_like(function() T.gains({ ladder = { 1, 2, 2 } }, true) end, "must increase", "ladder gains increase")
t.error_like(function() T.gains({ ladder = { 1, 2 }, label_gain = 3 }, true) end, "not both", "ladder or label_gain")

local m = ebm.rbm.new { nv = 4, K = 2, nl = 3, nh = 5, seed = 2, init_sd = 1 }
local s = T.label_scaled(m, 2)
local off = m.nv
t.is((s.W:narrow(2, off + 1, 3) - m.W:narrow(2, off + 1, 3):clone():mul(2)):abs():max(), 0.0,
  "label_scaled doubles the label-hidden weights")
t.is((s.W:narrow(2, 1, off) - m.W:narrow(2, 1, off)):abs():max(), 0.0, "and keeps the pixel weights")
t.ok(s.b == m.b and s.c == m.c, "and shares the biases")

local n = 6
local x = ebm.f32(n, m.D)
local labels = m:clamp_labels(x, { 0, 1, 2, 0, 1, 2 })
local rep = T.replicas(m, x, labels, { ladder = { 1, 1.5, 3 } })
t.is(rep.R, 3, "three rungs, three replicas")
t.ok(rep.models[1] == m and rep.models[2] ~= m, "replica 1 is the model itself, the others label-scaled")
t.ok(rep.xs[1] == x and rep.xs[2] ~= x, "replica 1 samples in place")
for step = 1, 20 do
  for k = 1, rep.R do rep.hs[k]:bernoulli(ebm.rng(step * 10 + k), 0.5) end
  rep:exchange(7, step)
end
local rates = rep:swap_rates()
t.is(#rates, 2, "one swap rate per adjacent pair")
t.ok(rates[1] >= 0 and rates[1] <= 1 and rates[2] >= 0 and rates[2] <= 1, "swap rates are fractions")
t.is(rep.tries[1] + rep.tries[2], 20 * n, "each step tries one pair set (alternating) for every chain")
t.is(T.replicas(m, x, labels, {}):swap_rates(), nil, "no ladder: no swap rates")
t.done_testing()
