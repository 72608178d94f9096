-- ais_reverse.lua - reverse AIS (Burda, Grosse & Salakhutdinov 2015) on a 16-hidden-unit RBM:
-- the exact log Z lies inside the forward and the reverse estimates' 3-sigma intervals (fixed
-- seeds), reverse AIS with a short path overestimates log Z on average (the upper bracket) while
-- forward AIS underestimates it, and bad arguments raise errors.
local t = require "tap"
local ebm = require "ebm"

-- A small model with structure and an exact log Z (tests/rbm16.lua).
local m, exact, base = require("rbm16")()
-- start states: model samples (long block-Gibbs chains), as reverse AIS assumes
local x = m:sample(200, {steps = 1000, seed = 5, base = base})
local f = ebm.ais.logz(m, {base = base, betas = 1000, runs = 200, seed = 11})
local r = ebm.ais.reverse_logz(m, {base = base, x = x, betas = 1000, runs = 200, seed = 12})
t.diag(string.format("exact %.4f; forward %.4f [%.4f, %.4f]; reverse %.4f [%.4f, %.4f]",
  exact, f.logz, f.lo, f.hi, r.logz, r.lo, r.hi))
t.ok(f.lo <= exact and exact <= f.hi, "exact log Z inside the forward AIS 3-sigma interval")
t.ok(r.lo <= exact and exact <= r.hi, "exact log Z inside the reverse AIS 3-sigma interval")
t.ok(f.lo <= exact and exact <= r.hi, "exact log Z between forward lower and reverse upper ends")
t.cmp_ok(math.abs(r.logz - exact), "<", 0.2, "reverse estimate within 0.2 nats")
t.is(r.runs, 200, "runs recorded")

-- A 4-temperature path: the bias of each direction shows on average over seeds
-- (forward below exact, reverse above), each mean judged against its standard error.
local fs, rs = {}, {}
for s = 1, 12 do
  fs[s] = ebm.ais.logz(m, {base = base, betas = 4, runs = 200, seed = 100 + s}).logz
  rs[s] = ebm.ais.reverse_logz(m, {base = base, x = x, betas = 4, runs = 200, seed = 200 + s}).logz
end
local function mean_se(v)
  local s, s2 = 0, 0
  for _, a in ipairs(v) do s, s2 = s + a, s2 + a * a end
  local mu = s / #v
  return mu, math.sqrt(math.max(0, s2 / #v - mu * mu) / (#v - 1))
end
local fm, fse = mean_se(fs)
local rm, rse = mean_se(rs)
t.diag(string.format("4 betas, 12 seeds: forward mean %.4f (se %.4f), reverse mean %.4f (se %.4f)", fm, fse, rm, rse))
t.cmp_ok(fm - exact, "<", 3 * fse, "short-path forward AIS does not overestimate beyond 3 se")
t.cmp_ok(exact - rm, "<", 3 * rse, "short-path reverse AIS does not underestimate beyond 3 se")

t.error_like(function() ebm.ais.reverse_logz(m, {base = base}) end, "opt.x", "start states required")
t.error_like(function() ebm.core.rbm_ais_reverse(m, base, ebm.ais.schedule(10), 1, ebm.f32(3, m.D), ebm.f64(4)) end,
  "start states must be f32", "start states of the wrong shape refused")

-- evaluate.lua --reverse-ais on a tiny trained RBM: JSON holds both estimates and the exact value
local sh = ebm.sys.capture
local dir = os.tmpname()
os.remove(dir)
local _, rc = sh("./ebmlua scripts/train_rbm.lua --hidden 12 --epochs 2 --limit 500 --sample-steps 5 --quiet --threads 1 --out " .. dir)
t.is(rc, 0, "tiny RBM trained")
local out
out, rc = sh("./ebmlua scripts/evaluate.lua " .. dir .. "/model.ckpt --exact --ais --reverse-ais --betas 500 --runs 50 " ..
  "--test-limit 200 --threads 1 --json " .. dir .. "/e.json")
t.is(rc, 0, "evaluate --reverse-ais succeeds")
t.ok(out:find("bracket: test log%-likelihood between") or out:find("cross: they agree"), "prints the bracket")
local e = require("cjson").decode(io.open(dir .. "/e.json"):read("a"))
t.ok(e.reverse_ais and e.reverse_ais.logz_lo <= e.reverse_ais.logz and e.reverse_ais.logz <= e.reverse_ais.logz_hi,
  "JSON: reverse_ais estimate inside its interval")
t.diag(string.format("tiny RBM: exact %.3f, forward %.3f, reverse %.3f", e.exact.logz, e.ais.logz, e.reverse_ais.logz))
t.cmp_ok(math.abs(e.reverse_ais.logz - e.exact.logz), "<", 0.5, "reverse AIS from test images within 0.5 nats of exact")
os.execute("rm -rf '" .. dir .. "'")
t.done_testing()
