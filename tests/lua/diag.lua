-- diag.lua - ebm.diag, ebm.trace and ebm.tempering on models with known answers.
--  1. Chains of a bimodal model (strong ferromagnetic grid) started in its two modes never
--     mix: the rank-normalised R-hat of the ink is far above 1.01 (with 8 + 8 chains that
--     stay apart, the ranks separate the groups completely, so R-hat > 1.2 at least; see the
--     comment at the check). The same model with weak coupling mixes: R-hat below
--     1 + (tau-1)/(2h) + 5 sd + 1/(2h), sd = tau sqrt(2/(m'-1)) / (2h) with the measured tau
--     (the iid derivation of tests/c/diag.c with chain means' variance inflated by tau).
--  2. Replica exchange on a two-mode model: replica 1's chains match exact enumeration within
--     the TV bound of tests/lua/sampler_exact.lua, while plain block Gibbs from the same start
--     stays in one mode (TV far above the bound): the test can fail.
--  3. Trace observers record [draws, chains]; bad arguments are errors, not crashes.
local t = require "tap"
local ebm = require "ebm"
local diag, trace = ebm.diag, ebm.trace
t.seed(20261202)

-- a spin grid with all weights w and a small bias towards level 1
local function two_mode(h, w, wd, bias)
  local m = ebm.grid{ height = h, width = wd, levels = 2, coupling = "spin" }
  m:set("weight.pair", ebm.f32{ w, w })
  local b = ebm.f32(h * wd, 2)
  for i = 1, h * wd do b:set(i, 2, bias) end
  m:set("bias.x", b)
  m:materialise()
  return m
end

-- 1. never-mixing chains ------------------------------------------------------------------
do
  local m = two_mode(6, 1.5, 6, 0)
  local s = ebm.sampler{ model = m, seed = 1 }
  local C = 16
  local x = s:chains(C)
  for i = 1, m.n do
    for c = 1, C do x:set(i, c, c <= C / 2 and 0 or 1) end
  end
  local out = ebm.schedule{ warmup = 0, samples = 400, every = 1, keep = false,
                            observers = { trace.ink(), trace.energy(), trace.magnetisation() } }:run(s, x)
  local ink = out.observers.ink.x
  t.is(ink:size(1), 400, "ink trace: one row per sweep")
  t.is(ink:size(2), C, "ink trace: one column per chain")
  local stayed = true
  local it = ink:totable()
  for r = 1, #it do
    for c = 1, C do
      if (c <= C / 2) ~= (it[r][c] < 0.5) then stayed = false end
    end
  end
  t.ok(stayed, "the chains never left their starting mode (precondition)")
  local sm = diag.summary(ink)
  -- With the groups fully separated in rank, the split chains' mean z differ by about
  -- 2 * 0.8 (z of the groups' rank centres, Phi^-1(0.25) and Phi^-1(0.75) = -+0.67, more after
  -- averaging), so B/W ~ 0.45 / (within variance < 0.4), R-hat > 1.2 at least.
  t.cmp_ok(sm.rhat, ">", 1.2, ("unmixed modes: rank-normalised R-hat %.3f far above 1.01"):format(sm.rhat))
  t.cmp_ok(diag.rhat_basic(ink), ">", 1.2, "unmixed modes: classic R-hat far above 1.01")
  t.cmp_ok(out.observers.magnetisation.mean_sd, ">", 0.4, "unmixed modes: per-pixel time averages disagree across chains")

  -- the same lattice, weakly coupled: mixes fast
  local mw = two_mode(6, 0.1, 6, 0)
  local sw = ebm.sampler{ model = mw, seed = 2 }
  local xw = sw:chains(C)
  local h = 1000
  local o2 = ebm.schedule{ warmup = 100, samples = 2 * h, every = 1, keep = false,
                           observers = { trace.ink(), trace.magnetisation() } }:run(sw, xw)
  local s2 = diag.summary(o2.observers.ink.x)
  local tau = s2.tau
  local tol = (tau - 1) / (2 * h) + 5 * tau * math.sqrt(2 / (2 * C - 1)) / (2 * h) + 1 / (2 * h)
  t.cmp_ok(s2.rhat, "<", 1 + tol, ("weak coupling: R-hat %.5f < 1 + %.5f (tau %.2f)"):format(s2.rhat, tol, tau))
  t.cmp_ok(s2.rhat, "<", 1.01, "weak coupling: R-hat below the usual 1.01 threshold")
  local ess, tau2 = diag.ess(o2.observers.ink.x)
  t.near(ess, 2 * h * C / tau2, 1e-6 * ess, "ess = draws * chains / tau")
  t.ok(tau2 >= 0.5 and tau2 < 5, ("weak coupling: ink tau %.3f is a few sweeps at most"):format(tau2))
  local tg = diag.tau(o2.observers.ink.x)
  local ts, W = diag.tau(o2.observers.ink.x, { method = "sokal", maxlag = 200 })
  t.ok(W ~= nil, "Sokal window found")
  -- both estimate the same tau; each has relative sd sqrt(2(2W+1)/N) (Madras & Sokal)
  local sd = math.sqrt(2 * (2 * W + 1) / (2 * h * C)) * math.max(tau2, 1)
  t.near(ts, tg, 5 * 2 * sd, ("Sokal %.3f and Geyer %.3f agree within 5 sd of their difference"):format(ts, tg))
end

-- 2. replica exchange against exact enumeration -------------------------------------------
do
  local m = two_mode(2, 2, 4, 0.1)
  local ex = ebm.exact(m)
  local C = 8192
  local bound = ebm.exact.tv_bound(ex.nstates, C)
  local s = ebm.sampler{ model = m, seed = 3 }
  local x = s:chains(C):zero()
  s:sweep(x, { n = 300 })
  local tv0 = ex:tv(x)
  t.cmp_ok(tv0, ">", 3 * bound, ("plain block Gibbs from all-0 stays in one mode: TV %.3f >> bound %.3f"):format(tv0, bound))
  local pt = ebm.tempering{ sampler = ebm.sampler{ model = m, seed = 4 }, replicas = 6, beta_min = 0.1, seed = 5 }
  local xs = pt:chains(C)
  for k = 1, #xs do xs[k]:zero() end
  local r = pt:run(xs, { adapt = 100, sweeps = 200, target = 0.4 })
  local tv = ex:tv(xs[1])
  t.cmp_ok(tv, "<", bound, ("replica exchange, beta 1: TV %.4f < %.4f (M=%d, S=%d)"):format(tv, bound, ex.nstates, C))
  t.cmp_ok(ex:marginal_z(xs[1], "chains", C), "<", 5, "replica exchange: node marginals within 5 standard errors")
  t.is(r.betas[1], 1, "the target temperature stays at beta 1")
  for k = 2, #r.betas do t.ok(r.betas[k] <= r.betas[k - 1], "ladder non-increasing at " .. k) end
  -- adaptation: the first pair (the two coldest replicas, far from the floor) is near its target
  t.near(r.adapt_rates[1], 0.4, 0.15, ("first pair's swap rate %.3f near the target 0.4 after adaptation"):format(r.adapt_rates[1]))
  t.ok(#r.rates == 5 and r.rates[1] > 0, "swap rates reported for every pair")
  -- swap rounds after every 2nd sweep only (odd and even pairs still alternate): still exact
  local pt2 = ebm.tempering{ sampler = ebm.sampler{ model = m, seed = 6 }, betas = r.betas, swap_every = 2, seed = 7 }
  local C2 = 4096
  local ys = pt2:chains(C2)
  for k = 1, #ys do ys[k]:zero() end
  pt2:run(ys, { sweeps = 300 })
  local tv2, bound2 = ex:tv(ys[1]), ebm.exact.tv_bound(ex.nstates, C2)
  t.cmp_ok(tv2, "<", bound2, ("replica exchange, swap_every 2: TV %.4f < %.4f (S=%d)"):format(tv2, bound2, C2))
  t.ok(pt2:rates()[1] > 0 and pt2:rates()[2] > 0, "swap_every 2: both parities of pairs are tried")
  t.error_like(function() ebm.tempering{ sampler = s, betas = { 1, 1.2 } } end, "decreasing", "rising ladder refused")
  t.error_like(function() pt:sweep({ xs[1] }) end, "list of 6 states", "wrong number of states refused")
end

-- 3. observers and argument checks ---------------------------------------------------------
do
  local m = ebm.grid{ height = 28, width = 28, levels = 4, coupling = "ordinal" }
  m:randomise(0.2, ebm.rng(1))
  local s = ebm.sampler{ model = m, seed = 6 }
  local x = s:chains(8)
  local net = ebm.classifier.new{ sizes = { 784, 10 }, seed = 3 }
  local out = ebm.schedule{ warmup = 2, samples = 5, every = 2, keep = false,
                            observers = { trace.label{ classifier = net, at = "samples" }, trace.energy{ at = "samples" } } }:run(s, x)
  local lab = out.observers.label
  t.is(lab.x:size(1), 5, "label trace at samples: one row per sample")
  local hops, lt = 0, lab.x:totable()
  for c = 1, 8 do for r = 2, 5 do if lt[r][c] ~= lt[r - 1][c] then hops = hops + 1 end end end
  local sum = 0
  for c = 1, 8 do sum = sum + lab.hops[c] end
  t.is(sum, hops, "label hops count the changes of the recorded labels")
  local occ = 0
  for d = 0, 9 do occ = occ + lab.occupancy[d] end
  t.near(occ, 1, 1e-12, "label occupancy sums to 1")
  t.error_like(function() diag.ess(ebm.f64(3, 2)) end, "at least 4 draws", "ESS of 3 draws refused")
  t.error_like(function() diag.acf("x") end, "expected a trace", "non-tensor refused")
  t.error_like(function() diag.trace({ { 1, 2 }, { 3 } }) end, "row 2 has 1 values", "ragged rows refused")
  t.error_like(function() ebm.core.diag_swap_chains(ebm.u8(2, 3), ebm.u8(2, 4), ebm.u8(3)) end, "shape", "swap: shape mismatch refused")
  local a = diag.acf(ebm.f64{ 1, 3, 2, 5, 4, 6, 2, 1 }, { maxlag = 3, method = "direct" })
  local b = diag.acf(ebm.f64{ 1, 3, 2, 5, 4, 6, 2, 1 }, { maxlag = 3, method = "fft" })
  t.near(a:get(2, 1), b:get(2, 1), 1e-12, "acf: direct and FFT agree on a short trace")
end

t.done_testing()
