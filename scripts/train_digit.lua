-- train_digit.lua - train a grid energy-based model on one MNIST digit with contrastive
-- divergence (real Gibbs negatives), writing a run folder (config.json, metrics.csv,
-- model.ckpt, samples/, plots/, report.html).
--
--   ebmlua scripts/train_digit.lua 3
--   ebmlua scripts/train_digit.lua 3 --model seed --levels 2 --epochs 5 --pcd
--   ebmlua scripts/train_digit.lua 3 --out runs/d3 --resume      # continue runs/d3/model.ckpt
local ebm = require "ebm"
local cli = ebm.cli

local p = cli.parser("train_digit.lua", "Train a grid EBM on MNIST images of one digit (CD-k / persistent CD).")
p:epilog([[
Models (--model): seed        4-neighbour grid, ordinal couplings tied per direction
                              (the plan's model: 784*K biases + 2 weights; 3,138 at K=4)
                  potts       4-neighbour grid, Potts couplings tied per direction
                  potts-edge  4-neighbour grid, untied full KxK coupling per edge
                  8nbr        8-neighbour grid, Potts couplings tied per direction
The run folder is runs/digit<D>-<model>-k<K> unless --out is given; it has one owner at a
time (its lock file names the process holding it).]])
p:argument("digit", "Digit to model: 0-9, or 'all' for every digit.")
cli.train_options(p)
local a = cli.parse(p)

cli.main(function()
  local cfg = cli.train_config(a)
  local out = cfg.out or ("runs/" .. ebm.digit.run_name(cfg))
  local ckpt = cfg.resume == true and (out .. "/model.ckpt") or cfg.resume
  if ckpt and not cli.file(ckpt) then cli.usage("checkpoint '%s' not found", ckpt) end
  -- own the run folder before loading anything: a second run on it stops here
  ebm.run.lock(out)
  ebm.digit.run(cfg)
end)
