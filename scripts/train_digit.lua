-- train_digit.lua - train a grid energy-based model on one MNIST digit with contrastive
-- divergence (real Gibbs negatives), writing a run folder (config.json, metrics.csv,
-- model.ckpt, samples/, plots/, report.html).
--
--   ebmlua scripts/train_digit.lua 3
--   ebmlua scripts/train_digit.lua 3 --model seed --levels 2 --epochs 5 --pcd
--   ebmlua scripts/train_digit.lua 3 --out runs/d3 --resume      # continue runs/d3/model.ckpt
local argparse = require "argparse"
local ebm = require "ebm"
local train = ebm.train

local die = ebm.sys.usage_exit("train_digit.lua")

local p = argparse("train_digit.lua", "Train a grid EBM on MNIST images of one digit (CD-k / persistent CD).")
local digits = ebm.digits
local models = {}
for _, m in ipairs(digits.MODELS) do models[#models + 1] = string.format("  %-12s %s", m.name, m.help) end
p:epilog("Models (--model; default " .. digits.DEFAULT .. "):\n" .. table.concat(models, "\n") .. "\n" .. [[

latent, latent-edge and rbm model binary pixels (thresholded at 128) and take their own
defaults for options not given (latent: 30 epochs, lr 0.02, PCD-20, batch 100, --init
random, 1000 sample sweeps; rbm: 10 epochs, lr 0.05, CD-10, batch 100, 200 hidden units). Quality numbers (Frechet distance
of classifier features with its brackets, precision/recall, memorisation; ebm.quality)
go to metrics.csv, summary.json and report.html when --classifier exists.
The run folder is runs/digit<D>-<model>-k<K> (grid models) or runs/digit<D>-<model>
unless --out is given.]])
p:argument("digit", "Digit to model: 0-9, or 'all' for every digit.")
local options = {}
for _, o in ipairs(train.OPTIONS) do options[#options + 1] = o end
for _, o in ipairs(digits.OPTIONS) do options[#options + 1] = o end
for _, o in ipairs(options) do
  local opt
  if o.flag then
    opt = p:flag(o.flag, o.help)
  else
    opt = p:option(o.name, o.help, o.default ~= nil and tostring(o.default) or nil)
    if o.choices then opt:choices(o.choices) end
    if o.args then opt:args(o.args) end
  end
end

local okp, a = p:pparse()
if not okp then die(a) end
digits.apply_defaults(a, digits.given(arg))
local cfg, err = train.config_from_args(a)
if not cfg then die(err) end
cfg, err = digits.config_from_args(cfg, a)
if not cfg then die(err) end
local ok, res = xpcall(digits.run, function(e)
  if type(e) == "table" and e.usage then return e end
  return debug.traceback(tostring(e), 2)
end, cfg)
if not ok then
  if type(res) == "table" and res.usage then die(res.msg) end
  io.stderr:write(tostring(res), "\n")
  os.exit(1)
end
