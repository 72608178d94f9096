-- ebm: the facade of ebmlua's Lua library for scripts and the REPL (the interpreter loads
-- it as the global `ebm`). Library modules never go through it: each requires what it uses.
--
-- Layout of lua/ebm/ (module names follow the path: require "ebm.sampling.sampler"):
--   base.lua      version, tensor constructors and arithmetic, rng (re-exported here)
--   models/       model (layers and factors), grid, presets, latent, rbm, exact
--   sampling/     sampler (block Gibbs chains), schedule (annealing), trace (observers),
--                 tempering (replica exchange over temperatures, or an RBM's label gain;
--                 annealing ramp)
--   training/     train (CD gradients, Trainer), loop (the epoch loop all trainers share),
--                 rbm_trainer, digit (the digit job of the grid models), digits (every
--                 model of train_digit.lua), sweep, optim/ (sgd, adam, schedules)
--   evaluation/   ais, classifier, eval, quality (sample-quality numbers), landscape,
--                 diag (MCMC diagnostics)
--   io/           data, io (tensor files), ckpt, run (run folders), report, plot, viz, animate,
--                 progress
--   interp/       repl, sys, threads, display (rich output in notebooks), doc (doc comments)
--
-- ebm.<name> loads the module ebm.MODULES[name] on first use, so start-up stays fast.
local base = require "ebm.base"

local ebm = {}
for k, v in pairs(base) do ebm[k] = v end

-- The short public names and the module each one loads. A new module that scripts should
-- reach as ebm.<name> gets a line here.
ebm.MODULES = {
  model = "ebm.models.model",
  grid = "ebm.models.grid",
  latent = "ebm.models.latent",
  rbm = "ebm.models.rbm",
  exact = "ebm.models.exact",
  sampler = "ebm.sampling.sampler",
  schedule = "ebm.sampling.schedule",
  trace = "ebm.sampling.trace",
  tempering = "ebm.sampling.tempering",
  train = "ebm.training.train",
  loop = "ebm.training.loop",
  rbm_trainer = "ebm.training.rbm_trainer",
  digit = "ebm.training.digit",
  sweep = "ebm.training.sweep",
  digits = "ebm.training.digits",
  optim = "ebm.training.optim",
  ais = "ebm.evaluation.ais",
  classifier = "ebm.evaluation.classifier",
  eval = "ebm.evaluation.eval",
  quality = "ebm.evaluation.quality",
  landscape = "ebm.evaluation.landscape",
  diag = "ebm.evaluation.diag",
  data = "ebm.io.data",
  io = "ebm.io.io",
  ckpt = "ebm.io.ckpt",
  run = "ebm.io.run",
  report = "ebm.io.report",
  plot = "ebm.io.plot",
  viz = "ebm.io.viz",
  animate = "ebm.io.animate",
  progress = "ebm.io.progress",
  repl = "ebm.interp.repl",
  sys = "ebm.interp.sys",
  cli = "ebm.interp.cli",
  threads = "ebm.interp.threads",
  display = "ebm.interp.display",
  doc = "ebm.interp.doc",
}

-- Printing: tensors print like Torch (values, then shape and dtype); the REPL prints
-- results through ebm.repl_print (tables pretty-printed). Both live in ebm/interp/repl.lua.
do
  local mt = debug.getregistry()["ebm.Tensor"]
  mt.__tostring = function(t) return require("ebm.interp.repl").format_tensor(t) end
end

function ebm.repl_print(...) return require("ebm.interp.repl").print(...) end

setmetatable(ebm, {
  __index = function(t, k)
    local name = ebm.MODULES[k]
    if name == nil then return nil end
    local m = require(name)
    rawset(t, k, m)
    return m
  end,
})

return ebm
