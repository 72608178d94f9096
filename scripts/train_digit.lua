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
p:epilog([[
Models (--model): seed        4-neighbour grid, ordinal couplings tied per direction
                              (the plan's model: 784*K biases + 2 weights; 3,138 at K=4)
                  potts       4-neighbour grid, Potts couplings tied per direction
                  potts-edge  4-neighbour grid, untied full KxK coupling per edge
                  8nbr        8-neighbour grid, Potts couplings tied per direction
The run folder is runs/digit<D>-<model>-k<K> unless --out is given.]])
p:argument("digit", "Digit to model: 0-9, or 'all' for every digit.")
for _, o in ipairs(train.OPTIONS) do
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
local cfg, err = train.config_from_args(a)
if not cfg then die(err) end
local ok, res = xpcall(ebm.digit.run, function(e)
  if type(e) == "table" and e.usage then return e end
  return debug.traceback(tostring(e), 2)
end, cfg)
if not ok then
  if type(res) == "table" and res.usage then die(res.msg) end
  io.stderr:write(tostring(res), "\n")
  os.exit(1)
end
