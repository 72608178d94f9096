-- bench_train.lua - seconds per training epoch (the issue's target: one epoch over the ~6,000
-- training 3s with CD-10, batch 128, 4 levels, potts model, under 2 s on 2 cores), with a
-- breakdown of one epoch's work and the machine's load, for 1 and 2 threads.
--
--   ebmlua scripts/bench_train.lua                 # potts, K=4, CD-10, batch 128, 5 epochs
--   ebmlua scripts/bench_train.lua --model seed --epochs 3 --threads 2
local ebm = require "ebm"
local cli = ebm.cli
local train = ebm.train

local p = cli.parser("bench_train.lua", "Time training epochs of train_digit.lua's trainer (no run folder).")
p:option("--digit", "Digit.", "3"):convert(cli.int(0, 9))
p:option("--model", "Model preset.", "potts"):choices { "seed", "potts", "potts-edge", "8nbr" }
p:option("--levels", "Levels.", "4"):choices { "2", "4", "16" }
p:option("--cd-steps", "CD steps.", "10")
p:option("--batch", "Batch size.", "128")
p:option("--epochs", "Epochs timed per thread count.", "5")
p:option("--threads", "Thread counts, comma separated.", "1,2"):convert(cli.list(cli.int(1, 1024)))
p:flag("--pcd", "Persistent CD.")
p:option("--neg-kernel", "Negative-phase kernel: auto (packed where it applies) or u8.", "auto"):choices { "auto", "u8" }
local a = cli.parse(p)

-- the training options of train_digit.lua, with their defaults and checks
local cfg = cli.main(function()
  local q = cli.parser("bench_train.lua")
  q:argument("digit")
  cli.train_options(q)
  local targs = { tostring(a.digit), "--model", a.model, "--levels", a.levels, "--cd-steps", a.cd_steps,
    "--batch", a.batch, "--epochs", a.epochs, "--valid", "0", "--log-every", "0", a.pcd and "--pcd" or "--cd" }
  local c = cli.train_config(cli.parse(q, targs))
  c.neg_kernel = a.neg_kernel
  return c
end)
cli.main(function()
  local clock = ebm.sys.clock
  local images = ebm.digit.load(cfg)
  local N = images:size(1)

  local function median(xs) return ebm.report.median(xs) end
  local function load() local l1 = ebm.sys.loadavg(); return l1 or 0 / 0 end

  print(string.format("digit %s: %d training images, %s model K=%d, %s%d, batch %d; %d CPUs, load average %.2f at start",
    a.digit, N, cfg.model, cfg.levels, cfg.pcd and "PCD-" or "CD-", cfg.cd_steps, cfg.batch, ebm.sys.ncpus(), load()))
  print(string.format("%-8s %-10s %-10s %-10s %-12s %-12s %-10s %-8s", "threads", "median s", "min s", "max s",
    "sweeps s", "stats s", "other s", "load"))
  for _, th in ipairs(a.threads) do
    ebm.threads(th)
    local m = train.build_model(cfg)
    train.init_params(m, cfg, images)
    local tr = train.trainer { model = m, train = images, config = cfg }
    local times = {}
    for _ = 1, cfg.epochs do
      local t0 = clock()
      tr:epoch()
      times[#times + 1] = clock() - t0
    end
    -- breakdown of one epoch's work on the trained model: the Gibbs sweeps and the statistics
    local steps = tr.steps_per_epoch
    local s = ebm.sampler { model = m, seed = 5 }
    local x = ebm.data.take(images, tr:_cycle(N, cfg.batch))
    local chains = s:chains(x)
    local t0 = clock()
    for _ = 1, steps do tr:negative_sweeps(chains) end  -- the trainer's negative-phase kernel
    local t_sweep = clock() - t0
    t0 = clock()
    for _ = 1, steps do m:param_stats(x); m:param_stats(chains) end
    local t_stats = clock() - t0
    local med = median(times)
    table.sort(times)
    print(string.format("%-8s %-10.3f %-10.3f %-10.3f %-12.3f %-12.3f %-10.3f %-8.2f", th, med, times[1], times[#times],
      t_sweep, t_stats, med - t_sweep - t_stats, load()))
  end
  local upd = N * cfg.cd_steps * 784
  print(string.format("(one epoch = %d updates, %.1fM pixel updates in the negative phase)", (N + cfg.batch - 1) // cfg.batch, upd / 1e6))
end)
