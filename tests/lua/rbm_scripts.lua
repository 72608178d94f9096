-- rbm_scripts.lua - train_rbm.lua / evaluate.lua / train_classifier.lua end to end on a
-- tiny problem: --help, bad arguments exit 2, a run folder with a checkpoint, AIS vs exact.
local t = require "tap"
local _
local cjson = require "cjson"

local run = ebm.sys.capture

for _, s in ipairs {"train_rbm", "evaluate", "train_classifier"} do
  local out, rc = run("./ebmlua scripts/" .. s .. ".lua --help")
  t.is(rc, 0, s .. " --help exits 0")
  t.ok(out:find("Usage"), s .. " --help prints usage")
end
local out, rc = run("./ebmlua scripts/train_rbm.lua --hidden many")
t.is(rc, 2, "train_rbm: bad --hidden exits 2")
t.ok(select(2, out:gsub("\n", "")) == 1, "one-line error")
_, rc = run("./ebmlua scripts/train_rbm.lua --levels 3")
t.is(rc, 2, "train_rbm: --levels 3 rejected")
_, rc = run("./ebmlua scripts/evaluate.lua /nonexistent.ckpt --ais")
t.is(rc, 2, "evaluate: missing checkpoint exits 2")

local dir = os.tmpname()
os.remove(dir)
_, rc = run("./ebmlua scripts/train_rbm.lua --hidden 12 --epochs 2 --limit 500 --labels --sample-steps 5 --quiet --threads 1 --out " .. dir)
t.is(rc, 0, "tiny class-conditional training run succeeds")
local f = io.open(dir .. "/model.ckpt")
t.ok(f, "run folder has model.ckpt")
if f then f:close() end
local cfg = cjson.decode(io.open(dir .. "/config.json"):read("a"))
t.is(cfg.config.hidden, 12, "config.json records the options")
local nrows = 0
for _ in io.lines(dir .. "/metrics.csv") do nrows = nrows + 1 end
t.is(nrows, 3, "metrics.csv: header + one row per epoch")

_, rc = run("./ebmlua scripts/evaluate.lua " .. dir .. "/model.ckpt --exact --ais --betas 2000 --runs 50 --test-limit 200 --threads 1 --json " .. dir .. "/eval.json")
t.is(rc, 0, "evaluate --exact --ais succeeds")
local ev = cjson.decode(io.open(dir .. "/eval.json"):read("a"))
t.ok(ev.exact and ev.ais, "eval.json has exact and AIS results")
if ev.exact and ev.ais then
  t.diag(string.format("exact %.4f AIS %.4f [%.4f, %.4f]", ev.exact.logz, ev.ais.logz, ev.ais.logz_lo, ev.ais.logz_hi))
  t.ok(ev.ais.logz_lo <= ev.exact.logz and ev.exact.logz <= ev.ais.logz_hi, "exact log Z inside the AIS 3-sigma interval")
  t.cmp_ok(ev.exact.test_loglik, "<", 0, "test log-likelihood is negative")
  t.cmp_ok(ev.exact.test_loglik, ">", ev.ais.base_rate_test_loglik - 5, "trained model is not far worse than the base rate")
end

-- Hybrid training with centring, then sample quality with a quick classifier and the grids.
_, rc = run("./ebmlua scripts/train_rbm.lua --hidden 12 --epochs 1 --limit 500 --labels --disc 1 --center --pcd" ..
  " --sample-steps 5 --quiet --threads 1 --out " .. dir .. "/hy")
t.is(rc, 0, "train_rbm --labels --disc 1 --center succeeds")
local hdr = io.open(dir .. "/hy/metrics.csv"):read("l") or ""
t.ok(hdr:find("test_accuracy", 1, true), "metrics.csv has the held-out accuracy of p(y|x)")
_, rc = run("./ebmlua scripts/train_rbm.lua --disc 1 --epochs 1 --limit 10 --quiet")
t.is(rc, 2, "--disc without --labels exits 2")
_, rc = run("./ebmlua scripts/train_classifier.lua --arch softmax --epochs 1 --threads 1 --out " .. dir .. "/c.ckpt")
t.is(rc, 0, "a quick classifier trains")
out, rc = run("./ebmlua scripts/evaluate.lua " .. dir .. "/hy/model.ckpt --quality --classifier " .. dir ..
  "/c.ckpt --samples 4 --steps 5 --test-limit 100 --threads 1 --start class --ladder 1,1.1 --grid " .. dir ..
  "/g.png --text-grid " .. dir .. "/g.txt")
t.is(rc, 0, "evaluate --quality --grid --text-grid succeeds")
t.ok(out:find("classified as the digit asked for", 1, true), "prints the conditional accuracy")
t.ok(out:find("from a per-digit base-rate start", 1, true), "--start class is used and said")
t.ok(out:find("swap rates 1-1.1: ", 1, true), "--ladder prints the swap rate")
t.ok(out:find("median free energy", 1, true), "prints the free energies of read and misread samples")
t.ok(out:find("quality of 40 unconditional samples", 1, true) and out:find("position", 1, true),
  "prints the quality numbers (FD position, precision/recall, memorisation) of the unconditional samples")
t.ok(out:find("  class 9: FD", 1, true), "prints the quality numbers per class (mode collapse check)")
_, rc = run("./ebmlua scripts/evaluate.lua " .. dir .. "/hy/model.ckpt --quality --ladder 2,3")
t.is(rc, 2, "a ladder not starting at 1 exits 2")
local txt = io.open(dir .. "/g.txt") and io.open(dir .. "/g.txt"):read("a") or ""
local labelled = 0
for line in txt:gmatch("[^\n]*") do if line:match("^%d") then labelled = labelled + 1 end end
t.is(labelled, 10, "text grid: one labelled row per digit")
t.ok(io.open(dir .. "/g.png") ~= nil, "PNG grid written")

-- --resume continues exactly: 2 epochs + 2 resumed = 4 straight (momentum, persistent chains,
-- centring offsets and the update counter are in the checkpoint).
local O = " --hidden 10 --limit 1000 --pcd --center --sample-steps 5 --quiet --threads 1 "
_, rc = run("./ebmlua scripts/train_rbm.lua" .. O .. "--epochs 4 --out " .. dir .. "/ra")
local _, rc2 = run("./ebmlua scripts/train_rbm.lua" .. O .. "--epochs 2 --out " .. dir .. "/rb")
local _, rc3 = run("./ebmlua scripts/train_rbm.lua" .. O .. "--epochs 4 --resume --out " .. dir .. "/rb")
t.ok(rc == 0 and rc2 == 0 and rc3 == 0, "straight, first half and resumed runs succeed")
local okA, ma = pcall(ebm.rbm.load, dir .. "/ra/model.ckpt")
local okB, mb = pcall(ebm.rbm.load, dir .. "/rb/model.ckpt")
t.ok(okA and okB and ma.W:clone():sub(mb.W):norm() == 0 and ma.neg:clone():sub(mb.neg):norm() == 0,
  "resumed run ends with the same weights and chains as the straight run")
local rows = 0
for _ in io.lines(dir .. "/rb/metrics.csv") do rows = rows + 1 end
t.is(rows, 5, "resumed metrics.csv: header + 4 epochs")
_, rc = run("./ebmlua scripts/train_rbm.lua" .. O .. "--epochs 4 --resume --out " .. dir .. "/rb")
t.is(rc, 2, "--resume of a finished run exits 2")
out, rc = run("./ebmlua scripts/train_rbm.lua" .. O .. "--epochs 6 --hidden 11 --resume --out " .. dir .. "/rb")
t.ok(rc == 2 and out:find("trained with --hidden 10, not 11", 1, true), "--resume with another --hidden exits 2 and says why")
os.execute("rm -rf '" .. dir .. "'")
t.done_testing()
