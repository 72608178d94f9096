-- train_digit.lua - train a grid energy-based model on one MNIST digit with contrastive
-- divergence (real Gibbs negatives), writing a run folder (config.json, metrics.csv,
-- model.ckpt, samples/, plots/, report.html).
--
--   ebmlua scripts/train_digit.lua 3
--   ebmlua scripts/train_digit.lua 3 --model seed --levels 2 --epochs 5 --pcd
--   ebmlua scripts/train_digit.lua 3 --out runs/d3 --resume      # continue runs/d3/model.ckpt
local ebm = require "ebm"
local cli = ebm.cli
local digits = ebm.digits

local p = cli.parser("train_digit.lua", "Train a grid EBM on MNIST images of one digit (CD-k / persistent CD).")
local models = {}
for _, m in ipairs(digits.MODELS) do models[#models + 1] = string.format("  %-12s %s", m.name, m.help) end
p:epilog("Models (--model; default " .. digits.DEFAULT .. "):\n" .. table.concat(models, "\n") .. "\n" .. [[

latent, latent-edge and rbm model binary pixels (thresholded at 128) and take their own
defaults for options not given (latent: 30 epochs, lr 0.02, PCD-20, batch 100, --init
random, 1000 sample sweeps; rbm: 10 epochs, lr 0.05, CD-10, batch 100, 200 hidden units). Quality numbers (Frechet distance
of classifier features with its brackets, precision/recall, memorisation; ebm.quality)
go to metrics.csv, summary.json and report.html when --classifier exists.
The run folder is runs/digit<D>-<model>-k<K> (grid models) or runs/digit<D>-<model>
unless --out is given; it has one owner at a time (its lock file names the process holding it).]])
p:argument("digit", "Digit to model: 0-9, or 'all' for every digit.")
cli.train_options(p)
for _, o in ipairs(digits.OPTIONS) do -- checked by digits.config_from_args
  p:option(o.name, o.help, o.default ~= nil and tostring(o.default) or nil)
end
local a = cli.parse(p)

cli.main(function()
  digits.apply_defaults(a, digits.given(arg))
  local cfg, err = digits.config_from_args(cli.train_config(a), a)
  if not cfg then cli.usage("%s", err) end
  local out = cfg.out or ("runs/" .. (digits.BY_NAME[cfg.model].kind == "grid" and ebm.digit.run_name(cfg)
    or cfg.name or string.format("digit%s-%s", tostring(cfg.digit), cfg.model)))
  local ckpt = cfg.resume == true and (out .. "/model.ckpt") or cfg.resume
  if ckpt and digits.BY_NAME[cfg.model].kind ~= "rbm" and not cli.file(ckpt) then -- (rbm: no resume, says digits.run)
    cli.usage("checkpoint '%s' not found", ckpt)
  end
  -- own the run folder before loading anything: a second run on it stops here
  ebm.run.lock(out)
  digits.run(cfg)
end)
