-- train_all_digits.lua - one model per digit 0-9 and one on all digits (any --model of
-- train_digit.lua), then a comparison table (markdown and CSV: training time, validation
-- pseudo-log-likelihood where it exists, the sample-quality numbers of ebm.quality), a bar
-- plot of validation pseudo-log-likelihood (grid models) and a 10-row sample grid.
--
--   ebmlua scripts/train_all_digits.lua                 # defaults of train_digit.lua, 5 epochs
--   ebmlua scripts/train_all_digits.lua --quick         # 1 epoch, 1000 images per digit
--   ebmlua scripts/train_all_digits.lua --model seed --levels 2 --epochs 3
-- Each model gets its own run folder under OUT (default runs/all-digits-<model>-k<K>):
-- digit0 ... digit9, all; OUT holds comparison.md, comparison.csv, samples.png, pll.png.
local ebm = require "ebm"
local cli = ebm.cli

local digitsm = ebm.digits
local p = cli.parser("train_all_digits.lua", "Train one model per MNIST digit and one on all digits; compare them.")
p:option("--out", "Folder for the runs and the comparison."):convert(cli.outdir)
p:option("--epochs", "Epochs per model (default: 5 for grid models, the model's own for the others).")
  :convert(cli.posint)
p:flag("--quick", "A fast pass: 1 epoch and at most 1000 images per model (unless given).")
p:flag("--no-all", "Skip the model of all digits.")
cli.train_options(p, { skip = { "--resume", "--stop-after", "--name", "--out", "--epochs" } })
for _, o in ipairs(digitsm.OPTIONS) do -- checked by digitsm.config_from_args
  p:option(o.name, o.help, o.default ~= nil and tostring(o.default) or nil)
end
local a = cli.parse(p)
local given = digitsm.given(arg)
local base = cli.main(function()
  digitsm.apply_defaults(a, given)
  if a.epochs == nil then a.epochs = 5 end
  if a.quick then
    if not given["--epochs"] then a.epochs = 1 end
    if not given["--limit"] then a.limit = 1000 end
  end
  local cfg, err = digitsm.config_from_args(cli.train_config(setmetatable({ digit = "0" }, { __index = a })), a)
  if not cfg then cli.usage("%s", err) end
  return cfg
end)
local out = a.out or string.format("runs/all-digits-%s-k%d", base.model, base.levels)
cli.main(ebm.run.lock, out)

local digits = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }
if not a.no_all then digits[#digits + 1] = "all" end
local results, sample_rows = {}, {}
local t_all = ebm.sys.clock()
for _, d in ipairs(digits) do
  local cfg = {}
  for k, v in pairs(base) do cfg[k] = v end
  cfg.digit = d
  cfg.out = string.format("%s/digit%s", out, tostring(d))
  local tr, run, summary = cli.main(digitsm.run, cfg)
  local rows = ebm.run.read_metrics(run.dir .. "/metrics.csv")
  local h = ebm.report.headline(rows)
  local sm = ebm.run.read_json(run.dir .. "/summary.json") or summary
  results[#results + 1] = { digit = tostring(d), train = sm.train_images, pll = sm.final_valid_pll,
    base = sm.baseline_valid_pll, gap = sm.final_energy_gap, spe = h.seconds_per_epoch, secs = h.seconds,
    fd = sm.quality_fd, floor = sm.quality_fd_floor, ceil = sm.quality_fd_ceiling, pos = sm.quality_fd_position,
    prec = sm.quality_precision, rec = sm.quality_recall, mem = sm.quality_mem_ratio, copies = sm.quality_mem_copies,
    is = sm.quality_inception, is_real = sm.quality_inception_real, dir = run.dir }
  if d ~= "all" then
    local imgs = run.samples and run.samples:narrow(1, 1, 10) or tr:samples(10, cfg.sample_sweeps)
    sample_rows[#sample_rows + 1] = { label = tostring(d), images = imgs, levels = cfg.levels }
  end
end

-- comparison table
local md = { string.format("# Digit models: %s, %d levels, %d epochs, %s%d, batch %d, lr %g",
  base.model, base.levels, base.epochs, base.pcd and "PCD-" or "CD-", base.cd_steps, base.batch, base.lr), "",
  "Training seconds; validation pseudo-log-likelihood per pixel (nats; grid models only) against the",
  "independent-pixel baseline; sample quality (ebm.quality, " .. base.quality_samples .. " samples against the",
  "digit's test images in the model's data representation): Frechet distance of classifier features",
  "with its floor (training images) and ceiling (independent-pixel samples), the position between",
  "them (0 = real images, 1 = independent pixels), precision and recall (k-NN manifolds, k = 3),",
  "memorisation (median nearest-training distance over the test images'; about 1 fresh, 0 copies).", "",
  "| digit | train images | train s | valid PLL/pixel | baseline PLL | FD | floor | ceiling | FD position | precision | recall | memorisation | IS (real) |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|---|" }
local csv = { "digit,train_images,train_seconds,valid_pll,baseline_pll,fd,fd_floor,fd_ceiling,fd_position," ..
  "precision,recall,mem_ratio,mem_copies,inception,inception_real" }
local labels, pll, bpl = {}, {}, {}
local function f(v, fmt) return v and string.format(fmt, v) or "-" end
local function c(v) return v and string.format("%.6g", v) or "" end
for _, r in ipairs(results) do
  md[#md + 1] = string.format("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", r.digit, r.train,
    f(r.secs, "%.1f"), f(r.pll, "%.4f"), f(r.base, "%.4f"), f(r.fd, "%.2f"), f(r.floor, "%.2f"), f(r.ceil, "%.2f"),
    f(r.pos, "%.3f"), f(r.prec, "%.3f"), f(r.rec, "%.3f"), f(r.mem, "%.2f"),
    r.is and string.format("%.2f (%.2f)", r.is, r.is_real or 0 / 0) or "-")
  csv[#csv + 1] = table.concat({ r.digit, r.train, c(r.secs), c(r.pll), c(r.base), c(r.fd), c(r.floor), c(r.ceil),
    c(r.pos), c(r.prec), c(r.rec), c(r.mem), c(r.copies), c(r.is), c(r.is_real) }, ",")
  if r.pll then labels[#labels + 1], pll[#pll + 1], bpl[#bpl + 1] = r.digit, r.pll, r.base end
end
md[#md + 1] = ""
md[#md + 1] = string.format("Total time %.1f s. Run folders: %s/digit<D>/ (report.html in each).", ebm.sys.clock() - t_all, out)
ebm.run.write_file(out .. "/comparison.md", table.concat(md, "\n") .. "\n")
ebm.run.write_file(out .. "/comparison.csv", table.concat(csv, "\n") .. "\n")
ebm.viz.rows(sample_rows, { scale = 2, pad = 1, path = out .. "/samples.png" })
if ebm.plot.available() and #pll > 0 then
  local lo = 0
  for i = 1, #pll do lo = math.min(lo, pll[i] or 0, bpl[i] or 0) end
  ebm.plot.bars { path = out .. "/pll.png", title = "validation pseudo-log-likelihood per pixel",
    ylabel = "nats / pixel", labels = labels, yrange = { lo * 1.1, 0 }, key = "bottom right",
    series = { { name = "grid EBM", values = pll }, { name = "independent pixels", values = bpl } } }
end
io.write(table.concat(md, "\n"), "\n")
print("wrote " .. out .. "/comparison.md, samples.png, pll.png")
