-- bench_rbm.lua - seconds per CD-k epoch of an RBM on binarised MNIST (60k images), plus
-- AIS and sampling throughput. Prints a table; the median over epochs is the figure to quote.
--
--   ebmlua scripts/bench_rbm.lua                    # 500 hidden, batch 100, CD-1, 3 epochs
--   ebmlua scripts/bench_rbm.lua --threads 1 --cd-steps 25 --epochs 1
--   ebmlua scripts/bench_rbm.lua --labels --disc 100 --pcd   # the hybrid label model's epoch
local ebm = require "ebm"
local cli = ebm.cli
local core = ebm.core

local p = cli.parser("bench_rbm.lua", "Time CD-k training epochs, Gibbs sampling and AIS for a dense RBM.")
p:option("--hidden", "Hidden units.", "500"):convert(cli.int(1, 100000))
p:option("--batch", "Batch size.", "100"):convert(cli.int(1, 60000))
p:option("--cd-steps", "k of CD-k.", "1"):convert(cli.posint)
p:option("--epochs", "Timed epochs.", "3"):convert(cli.posint)
p:option("--threads", cli.THREADS_HELP):convert(cli.int(1, 1024))
p:flag("--labels", "Add the 10 label units.")
p:option("--disc", "With --labels: weight of the discriminative term (hybrid training).", "0"):convert(cli.number { min = 0 })
p:flag("--pcd", "100 persistent chains instead of CD.")
p:flag("--center", "Centred gradient.")
local a = cli.parse(p)
if a.disc > 0 and not a.labels then cli.main(cli.usage, "--disc needs --labels") end
cli.main(cli.fits, 4 * 4 * 794 * a.hidden, "--hidden " .. a.hidden)
cli.main(function()
  ebm.sys.set_threads(a.threads)

  local imgs, labs = ebm.data.mnist{split = "train", levels = 2, binarize = "stochastic", seed = 0}
  local m = ebm.rbm.new{nv = 784, nh = a.hidden, nl = a.labels and 10 or 0, seed = 1}
  local x = m:encode(imgs, labs)
  m:init_biases(x)
  if a.center then m:init_centering(x) end
  local n = x:size(1)
  local times = {}
  for e = 1, a.epochs do
    local t0 = ebm.sys.clock()
    for s = 1, n - a.batch + 1, a.batch do
      m:cd_step(x:narrow(1, s, a.batch), {k = a.cd_steps, lr = 0.05, momentum = 0.5, weight_decay = 2e-4,
                                          pcd = a.pcd, chains = 100, disc = a.disc, center = a.center})
    end
    times[e] = ebm.sys.clock() - t0
    print(string.format("epoch %d: %.2f s", e, times[e]))
  end
  table.sort(times)
  local med = times[(#times + 1) // 2]
  local t0 = ebm.sys.clock()
  m:sample(1000, {steps = 100})
  local samp = ebm.sys.clock() - t0
  t0 = ebm.sys.clock()
  local lw = ebm.f64(100)
  core.rbm_ais(m, m.b, ebm.ais.schedule(1000), 1, lw)
  local ais = ebm.sys.clock() - t0
  local l1 = ebm.sys.loadavg()
  print(string.format("\n| what | figure |\n|---|---|\n| %sCD-%d epoch%s, 60k images, %d hidden, batch %d (median of %d) | %.2f s |",
    a.pcd and "P" or "", a.cd_steps, (a.labels and " with labels" or "") .. (a.disc > 0 and (", --disc " .. a.disc) or "") ..
    (a.center and ", centred" or ""), a.hidden, a.batch, a.epochs, med))
  print(string.format("| Gibbs sweeps (v->h->v), 1000 chains x 100 steps | %.0f sweeps/s |", 1000 * 100 / samp))
  print(string.format("| AIS, 100 runs x 1000 betas | %.2f s |", ais))
  print(string.format("| threads / load average (1 min) | %s / %.2f |", a.threads or "auto", l1))
end)
