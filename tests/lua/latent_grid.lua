-- latent_grid.lua - ebm.latent: edge counts of the latent grid, block Gibbs on a tiny latent
-- model against exact enumeration (free and with the pixels clamped), and
-- scripts/train_latent_grid.lua end to end on a tiny problem.
local t = require "tap"
local _
local ebm = require "ebm"
t.seed(20261129)

-- 1. edge counts
-- 8x8 pixels, 2x2 latents at pixels (2,2), (2,6), (6,2), (6,6); 2x2 patches (rows 1..2 / 5..6)
-- all inside; jump 4 reaches two pixels per latent (the other two fall off the image).
local m8, i8 = ebm.latent.build { height = 8, width = 8, latent = 2, patch = 2, jumps = { 4 } }
t.is(i8.local_edges, 16, "8x8 / 2x2 latents / patch 2: 16 local edges")
t.is(i8.jump_edges, 8, "jump 4: 8 long-range edges")
t.is(m8.nedges, 24, "model holds 24 edges")
t.is(m8.n, 68, "64 pixels + 4 latents")
local m8v, i8v = ebm.latent.build { height = 8, width = 8, latent = 2, patch = 2, jumps = { 4 }, pixel_edges = true }
t.is(i8v.pixel_edges, 112, "pixel edges: 2*8*7 = 112")
t.is(m8v.nedges, 136, "with pixel edges: 136 edges")
t.is(#ebm.latent.blocks(m8v), 3, "pixel checkerboard + latent layer: 3 blocks")
t.lives_ok(function() ebm.sampler { model = m8v, blocks = ebm.latent.blocks(m8v) } end, "the 3 blocks are a valid colouring")
-- 28x28, 14x14 latents at pixels 1, 3, ..., 27 per axis; 4x4 patch rows c-2..c+1 clip at both
-- ends: 12*4 + 2*3 = 54 per axis, 54^2 local edges.
local m28, i28 = ebm.latent.build { latent = 14, patch = 4, jumps = {} }
t.is(i28.local_edges, 54 * 54, "28x28 / 14x14 / patch 4: 2916 local edges")
t.is(i28.jump_edges, 0, "no jumps: no long-range edges")
t.is(m28:nparams(), 2 * 980 + 2916, "parameters: 2 bias levels per node + one weight per edge")
t.error_like(function() ebm.latent.build { latent = 0 } end, "latent must be a positive integer", "latent 0 refused")

-- 2. a tiny latent model: 3 pixels + 2 latents, all v-h edges, untied ordinal weights
local m = ebm.model {
  layers = { { name = "v", n = 3, levels = 2 }, { name = "h", n = 2, levels = 2 } },
  factors = { { name = "vh", a = "v", b = "h", i = { 1, 2, 3, 1, 2, 3 }, j = { 1, 1, 1, 2, 2, 2 },
    slot = { 1, 2, 3, 4, 5, 6 }, coupling = "ordinal" } },
}
m:randomise(1.5, ebm.rng(3))
local ex = ebm.exact(m)
local C = 1 << 15
local s = ebm.sampler { model = m, seed = 5, blocks = ebm.latent.blocks(m) }
local x = s:chains(C)
s:sweep(x, { n = 30 })
local tv = ex:tv(x)
local bound = ebm.exact.tv_bound(ex.nstates, C)
t.cmp_ok(tv, "<", bound, ("joint law: TV %.4f < %.4f (32 states, %d chains)"):format(tv, bound, C))
local st = m:stats(x)
local worst = 0
local hv, ev = st.hist.v:totable(), ex.marginals.v:totable()
for i = 1, 3 do
  local p = ev[i][2]
  worst = math.max(worst, math.abs(hv[i][2] - p) / math.sqrt(p * (1 - p) / C))
end
t.cmp_ok(worst, "<", 5, "visible marginals within 5 standard errors")
-- visible law (hidden summed out): TV over the 8 pixel states
local pv = {}
for q, lp in ipairs(ex.logp:totable()) do
  local k = (q - 1) % 8 + 1 -- lowest node least significant: pixels are the low 3 digits
  pv[k] = (pv[k] or 0) + math.exp(lp)
end
local cnt = {}
local xt = x:narrow(1, 1, 3):t():contiguous():totable()
for c = 1, C do
  local k = xt[c][1] + 2 * xt[c][2] + 4 * xt[c][3] + 1
  cnt[k] = (cnt[k] or 0) + 1
end
local tvv = 0
for k = 1, 8 do tvv = tvv + 0.5 * math.abs((cnt[k] or 0) / C - pv[k]) end
local bv = ebm.exact.tv_bound(8, C)
t.cmp_ok(tvv, "<", bv, ("visible law: TV %.4f < %.4f"):format(tvv, bv))
-- positive phase: latents given clamped pixels (1, 0, 1)
local clamp = ebm.u8 { 1, 1, 1, 0, 0 }
local vals = ebm.u8 { 1, 0, 1, 0, 0 }
local exc = ebm.exact(m, { clamp = clamp, values = vals })
local tr = ebm.latent.trainer { model = m, train = ebm.u8 { { 1, 0, 1 } }, config = { batch = 1, lr = 0.01, cd_steps = 1,
  pos_sweeps = 1, seed = 9, epochs = 1 } }
local rows = ebm.zeros({ C, 3 }, "u8")
rows:select(2, 1):fill(1); rows:select(2, 3):fill(1)
local pc = tr:clamped_chains(rows)
tr.sampler:sweep(pc, { n = 1, clamp = tr.clamp })
local tvc = exc:tv(pc)
local bc = ebm.exact.tv_bound(exc.nstates, C)
t.cmp_ok(tvc, "<", bc, ("latents | pixels: TV %.4f < %.4f after one clamped sweep"):format(tvc, bc))
t.is(pc:narrow(1, 1, 3):to("f64"):sum(), 2.0 * C, "clamped pixels unchanged (1, 0, 1 in every chain)")

-- 3. the training script end to end: train_digit.lua --model latent | latent-edge, here
-- through its old name train_latent_grid.lua (a wrapper translating the old options)
local run = ebm.sys.capture
local out, rc = run("./ebmlua scripts/train_latent_grid.lua --help")
t.is(rc, 0, "--help exits 0")
t.ok(out:find("Usage"), "--help prints usage")
out, rc = run("./ebmlua scripts/train_latent_grid.lua --jumps 4,x")
t.is(rc, 2, "bad --jumps exits 2")
t.is(select(2, out:gsub("\n", "")), 1, "one-line error")
_, rc = run("./ebmlua scripts/train_latent_grid.lua --digit 12")
t.is(rc, 2, "--digit 12 exits 2")
local dir = os.tmpname()
os.remove(dir)
local cls = os.tmpname() -- an untrained softmax classifier: exercises the judging path
ebm.eval.save_classifier(ebm.classifier.new { sizes = { 784, 10 }, seed = 1 }, cls, {})
out, rc = run("./ebmlua scripts/train_latent_grid.lua --epochs 1 --limit 200 --batch 50 --latent-size 7 --pixel-edges " ..
  "--sample-sweeps 5 --judge 20 --classifier " .. cls .. " --quiet --threads 1 --out " .. dir)
t.is(rc, 0, "tiny training run succeeds")
if rc ~= 0 then t.diag(out) end
for _, f in ipairs { "config.json", "metrics.csv", "model.ckpt", "summary.json", "report.html", "samples/epoch-001.png" } do
  local fh = io.open(dir .. "/" .. f)
  t.ok(fh, "run folder has " .. f)
  if fh then fh:close() end
end
local nrows = 0
for _ in io.lines(dir .. "/metrics.csv") do nrows = nrows + 1 end
t.is(nrows, 3, "metrics.csv: header, one epoch row and one quality row")
local sum = require("cjson").decode(io.open(dir .. "/summary.json"):read("a"))
t.is(ebm.run.read_json(dir .. "/config.json").config.model, "latent-edge", "--pixel-edges is --model latent-edge")
t.ok(sum.quality_samples == 20 and type(sum.quality_fd_position) == "number", "--judge 20: 20 samples judged")
os.remove(cls)
os.execute("rm -rf '" .. dir .. "'")

-- --stop-after 1 then --resume equals a straight run: same parameters, same metrics.
local O = " --limit 200 --batch 50 --latent-size 7 --sample-sweeps 2 --classifier /nonexistent --quiet --threads 1 --epochs 2 "
local da, db = os.tmpname(), os.tmpname()
os.remove(da); os.remove(db)
local _, r1 = run("./ebmlua scripts/train_latent_grid.lua" .. O .. "--out " .. da)
local _, r2 = run("./ebmlua scripts/train_latent_grid.lua" .. O .. "--stop-after 1 --out " .. db)
local rows_after_stop = 0
for _ in io.lines(db .. "/metrics.csv") do rows_after_stop = rows_after_stop + 1 end
local _, r3 = run("./ebmlua scripts/train_latent_grid.lua" .. O .. "--resume --out " .. db)
t.ok(r1 == 0 and r2 == 0 and r3 == 0, "straight, stopped and resumed runs succeed")
t.is(rows_after_stop, 2, "--stop-after 1 writes one epoch")
local ca, cb = ebm.io.load_checkpoint(da .. "/model.ckpt"), ebm.io.load_checkpoint(db .. "/model.ckpt")
local diff = 0
for k, v in pairs(ca.tensors.params) do diff = diff + v:to("f64"):sub(cb.tensors.params[k]:to("f64")):norm() end
t.is(diff, 0.0, "resumed run ends with the parameters of the straight run")
local function untimed(path) -- metrics rows without the seconds column
  local rs = ebm.run.read_metrics(path)
  for _, r in ipairs(rs) do r.seconds = nil end
  return rs
end
t.is_deeply(untimed(db .. "/metrics.csv"), untimed(da .. "/metrics.csv"), "and the same metrics rows (timing columns aside)")
local out2, r4 = run("./ebmlua scripts/train_latent_grid.lua" .. O .. "--resume --out " .. db)
t.ok(r4 == 2 and out2:find("already has 2 epochs", 1, true), "--resume of a finished run exits 2 and says why")
local out3, r5 = run("./ebmlua scripts/train_latent_grid.lua" .. O:gsub("--epochs 2", "--epochs 3"):gsub("--batch 50", "--batch 40") ..
  "--resume --out " .. db)
t.ok(r5 == 2 and out3:find("--batch", 1, true), "--resume with another --batch exits 2 and names it")
os.execute("rm -rf '" .. da .. "' '" .. db .. "'")
t.done_testing()
