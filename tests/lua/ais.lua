-- ais.lua - AIS log Z on a model small enough for the exact value (16 hidden units,
-- 784 binary pixels, trained briefly on MNIST-like patterns) agrees within its error bar.
local t = require "tap"
local ebm = require "ebm"

local s = ebm.ais.schedule(101)
t.is(s:numel(), 101, "schedule length")
t.is(s:get(1), 0, "schedule starts at 0")
t.is(s:get(101), 1, "schedule ends at 1")
local mono = true
for i = 2, 101 do mono = mono and s:get(i) >= s:get(i - 1) end
t.ok(mono, "schedule is non-decreasing")

-- log-mean-exp is stable for large weights.
local lme = ebm.ais.log_mean_exp(ebm.f64{1000, 1000, 1000})
t.near(lme, 1000, 1e-9, "log mean exp of equal large values")

-- A small model with structure and an exact log Z (tests/rbm16.lua).
local m, exact, base = require("rbm16")()
local r = ebm.ais.logz(m, {base = base, betas = 2000, runs = 100, seed = 11})
t.diag(string.format("AIS %.4f [%.4f, %.4f] exact %.4f", r.logz, r.lo, r.hi, exact))
t.ok(r.lo <= exact and exact <= r.hi, "exact log Z inside the AIS +-3 sigma interval (seed 11)")
t.cmp_ok(math.abs(r.logz - exact), "<", 0.5, "AIS estimate within 0.5 nats")

-- Log-likelihood with labels sums the label out: equals log sum_y p(v, y).
local ml = ebm.rbm.new{nv = 6, nl = 3, nh = 4, seed = 2, init_sd = 0.5, side = 1}
local lz = ml:exact_logz()
local x = ml:encode(ebm.u8{{1, 0, 1, 1, 0, 0}}, ebm.i32{2})
local mean = ebm.ais.loglik(ml, x, lz)
local tot = 0
for y = 0, 2 do
  local xy = ml:encode(ebm.u8{{1, 0, 1, 1, 0, 0}}, ebm.i32{y})
  tot = tot + math.exp(-ml:free_energy(xy):get(1) - lz)
end
t.near(mean, math.log(tot), 1e-6, "loglik marginalises the label")

t.done_testing()
