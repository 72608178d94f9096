-- train_all_digits.lua - one model per digit 0-9 and one on all digits, then a comparison
-- table (markdown), a bar plot of validation pseudo-log-likelihood against the independent-
-- pixel baseline, and a 10-row sample grid (one row per digit).
--
--   ebmlua scripts/train_all_digits.lua                 # defaults of train_digit.lua, 5 epochs
--   ebmlua scripts/train_all_digits.lua --quick         # 1 epoch, 1000 images per digit
--   ebmlua scripts/train_all_digits.lua --model seed --levels 2 --epochs 3
-- Each model gets its own run folder under OUT (default runs/all-digits-<model>-k<K>):
-- digit0 ... digit9, all; OUT holds comparison.md, comparison.csv, samples.png, pll.png.
local argparse = require "argparse"
local ebm = require "ebm"
local train = ebm.train

local die = ebm.sys.usage_exit("train_all_digits.lua")

local SKIP = { ["--resume"] = true, ["--stop-after"] = true, ["--name"] = true, ["--out"] = true, ["--epochs"] = true }
local p = argparse("train_all_digits.lua", "Train one grid EBM per MNIST digit and one on all digits; compare them.")
p:option("--out", "Folder for the runs and the comparison.")
p:option("--epochs", "Epochs per model.", "5")
p:flag("--quick", "A fast pass: 1 epoch and at most 1000 images per model (unless given).")
p:flag("--no-all", "Skip the model of all digits.")
for _, o in ipairs(train.OPTIONS) do
  if not SKIP[o.name or o.flag] then
    if o.flag then p:flag(o.flag, o.help)
    else
      local opt = p:option(o.name, o.help, o.default ~= nil and tostring(o.default) or nil)
      if o.choices then opt:choices(o.choices) end
    end
  end
end
local okp, a = p:pparse()
if not okp then die(a) end
if a.quick then
  local given = {}
  for _, s in ipairs(arg) do given[s] = true end
  if not given["--epochs"] then a.epochs = "1" end
  if not given["--limit"] then a.limit = "1000" end
end
local base, err = train.config_from_args(setmetatable({ digit = "0" }, { __index = a }))
if not base then die(err) end
local out = a.out or string.format("runs/all-digits-%s-k%d", base.model, base.levels)
ebm.run.mkdirs(out)

local digits = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }
if not a.no_all then digits[#digits + 1] = "all" end
local results, sample_rows = {}, {}
local t_all = ebm.sys.clock()
for _, d in ipairs(digits) do
  local cfg = {}
  for k, v in pairs(base) do cfg[k] = v end
  cfg.digit = d
  cfg.out = string.format("%s/digit%s", out, tostring(d))
  local ok, tr, run, summary = pcall(ebm.digit.run, cfg)
  if not ok then
    if type(tr) == "table" and tr.usage then die(tr.msg) end
    error(tr, 0)
  end
  local rows = ebm.run.read_metrics(run.dir .. "/metrics.csv")
  local h = ebm.report.headline(rows)
  results[#results + 1] = { digit = tostring(d), train = summary.train_images, pll = summary.final_valid_pll,
    base = summary.baseline_valid_pll, gap = summary.final_energy_gap, spe = h.seconds_per_epoch, dir = run.dir }
  if d ~= "all" then
    local imgs = tr:samples(10, cfg.sample_sweeps)
    sample_rows[#sample_rows + 1] = { label = tostring(d), images = imgs, levels = cfg.levels }
  end
end

-- comparison table
local md = { string.format("# Grid EBMs per digit: %s model, %d levels, %d epochs, %s%d, batch %d, lr %g",
  base.model, base.levels, base.epochs, base.pcd and "PCD-" or "CD-", base.cd_steps, base.batch, base.lr), "",
  "Validation pseudo-log-likelihood per pixel (nats; higher is better) against the independent-pixel",
  "baseline (biases only, fitted to the same training images).", "",
  "| digit | train images | valid PLL/pixel | baseline PLL/pixel | gain | energy gap | s/epoch |",
  "|---|---|---|---|---|---|---|" }
local csv = { "digit,train_images,valid_pll,baseline_pll,gain,energy_gap,seconds_per_epoch" }
local labels, pll, bpl = {}, {}, {}
for _, r in ipairs(results) do
  local gain = (r.pll and r.base) and (r.pll - r.base) or nil
  md[#md + 1] = string.format("| %s | %d | %.4f | %.4f | %+.4f | %.3g | %.2f |", r.digit, r.train, r.pll or 0 / 0,
    r.base or 0 / 0, gain or 0 / 0, r.gap or 0 / 0, r.spe or 0 / 0)
  csv[#csv + 1] = string.format("%s,%d,%.6f,%.6f,%.6f,%.6g,%.4f", r.digit, r.train, r.pll or 0 / 0, r.base or 0 / 0,
    gain or 0 / 0, r.gap or 0 / 0, r.spe or 0 / 0)
  labels[#labels + 1], pll[#pll + 1], bpl[#bpl + 1] = r.digit, r.pll, r.base
end
md[#md + 1] = ""
md[#md + 1] = string.format("Total time %.1f s. Run folders: %s/digit<D>/ (report.html in each).", ebm.sys.clock() - t_all, out)
ebm.run.write_file(out .. "/comparison.md", table.concat(md, "\n") .. "\n")
ebm.run.write_file(out .. "/comparison.csv", table.concat(csv, "\n") .. "\n")
ebm.viz.rows(sample_rows, { scale = 2, pad = 1, path = out .. "/samples.png" })
if ebm.plot.available() then
  local lo = 0
  for i = 1, #pll do lo = math.min(lo, pll[i] or 0, bpl[i] or 0) end
  ebm.plot.bars { path = out .. "/pll.png", title = "validation pseudo-log-likelihood per pixel",
    ylabel = "nats / pixel", labels = labels, yrange = { lo * 1.1, 0 }, key = "bottom right",
    series = { { name = "grid EBM", values = pll }, { name = "independent pixels", values = bpl } } }
end
io.write(table.concat(md, "\n"), "\n")
print("wrote " .. out .. "/comparison.md, samples.png, pll.png")
