-- sample.lua - draw samples from a trained model (a model.ckpt of train_digit.lua) with a
-- schedule given on the command line, and write PNG grids.
--
--   ebmlua scripts/sample.lua runs/digit3-potts-k4/model.ckpt
--   ebmlua scripts/sample.lua CKPT --warmup 500 --samples 8 --every 50 --beta 1.2
--   ebmlua scripts/sample.lua CKPT --clamp top      # inpaint the bottom half of test images
--
-- Schedule (ebm.schedule): `chains` chains start from `--init` (bias: independent draws from
-- the biases; uniform; data: test images), run `--warmup` sweeps (optionally annealed from
-- --anneal to --beta), then `--samples` snapshots, one every `--every` sweeps; each
-- snapshot is one row of the grid. An energy trace is plotted next to the PNG. With --clamp REGION the
-- chains start from test images of the checkpoint's digit; the pixels of REGION keep their
-- data values (an ebm.sampler clamp mask) and the rest is re-drawn from the biases, then
-- sampled: the grid shows the data, the masked input, and the snapshots.
local ebm = require "ebm"
local cli = ebm.cli

local p = cli.parser("sample.lua", "Sample a trained grid EBM (a model.ckpt) and write PNG grids.")
p:argument("ckpt", "Checkpoint written by train_digit.lua (model.ckpt)."):convert(cli.file)
p:option("--chains", "Number of chains (columns of the grid).", "10"):convert(cli.posint)
p:option("--warmup", "Sweeps before the first snapshot.", "200"):convert(cli.count)
p:option("--samples", "Snapshots (rows of the grid).", "4"):convert(cli.posint)
p:option("--every", "Sweeps between snapshots.", "50"):convert(cli.posint)
p:option("--beta", "Inverse temperature (1 = the trained model).", "1"):convert(cli.number { min = 0 })
p:option("--init", "Chain start: bias, uniform or data.", "bias"):choices { "bias", "uniform", "data" }
p:option("--clamp", "Inpainting: keep this region of test images fixed (top, bottom, left, right) and sample the rest.")
  :choices { "top", "bottom", "left", "right" }
p:option("--order", "Block order per sweep: fixed or random.", "fixed"):choices { "fixed", "random" }
p:option("--anneal", "Start at this inverse temperature and ramp linearly to --beta over the warm-up.")
  :convert(cli.number { min = 0 })
p:option("--seed", "Sampler seed.", "1"):convert(cli.count)
p:option("--scale", "Output pixels per image pixel.", "2"):convert(cli.int(1, 64))
p:option("--out", "PNG path (default: <ckpt folder>/sample.png, or inpaint.png with --clamp)."):convert(cli.outfile)
p:option("--threads", cli.THREADS_HELP):convert(cli.int(1, 1024))
p:option("--gif", "Also write an animated GIF: the first 16 chains, one frame per sweep, mean energy per frame.")
  :convert(cli.outfile)

local a = cli.parse(p)
local C, warmup, nsamp, every, seed, scale, beta = a.chains, a.warmup, a.samples, a.every, a.seed, a.scale, a.beta
if a.threads then ebm.threads(a.threads) end

cli.main(function()
  local m, meta = ebm.ckpt.load_model(a.ckpt)
  local cfg = meta.config
  local K, H, W = cfg.levels, m.height, m.width
  cli.fits(6 * H * W * C, "--chains " .. C)
  local dir = a.ckpt:match("^(.*)/[^/]*$") or "."
  local out = a.out or (dir .. (a.clamp and "/inpaint.png" or "/sample.png"))

  local s = ebm.sampler { model = m, seed = seed }
  local t0 = ebm.sys.clock()

  -- test images of the checkpoint's digit(s), for --init data and --clamp
  local function test_images(n)
    local imgs = ebm.data.mnist { split = "test", digits = cfg.digit ~= "all" and { cfg.digit } or nil,
      levels = K, limit = n }
    return imgs
  end

  local clamp, data, masked
  local x
  if a.clamp then
    data = test_images(C)
    C = data:size(1)
    clamp = ebm.zeros({ H * W }, "u8")
    for y = 1, H do
      for xx = 1, W do
        local keep = (a.clamp == "top" and y <= H // 2) or (a.clamp == "bottom" and y > H // 2)
          or (a.clamp == "left" and xx <= W // 2) or (a.clamp == "right" and xx > W // 2)
        if keep then clamp:set((y - 1) * W + xx, 1) end
      end
    end
    -- start: data values on the clamped region, draws from the biases elsewhere
    local xd = s:chains(data)
    x = s:chains(C, a.init == "uniform" and "uniform" or "bias", { beta = beta })
    local mk = clamp:view(H * W, 1):to("f32")
    local mixed = xd:to("f32"):mul(mk):add(x:to("f32"):mul(mk:clone():mul(-1):add(1)))
    x:copy(mixed)
    -- picture of the input: free region shown as mid grey
    masked = ebm.zeros({ H * W, C }, "f32"):add(0.5):mul(mk:clone():mul(-1):add(1)):add(xd:to("f32"):div(K - 1):mul(mk))
    masked = masked:t():contiguous():view(C, H, W)
  elseif a.init == "data" then
    data = test_images(C)
    C = data:size(1)
    x = s:chains(data)
  else
    x = s:chains(C, a.init, { beta = beta })
  end

  -- the schedule (ebm.schedule): warm-up, then `samples` snapshots every `every` sweeps; with
  -- --anneal B0 the inverse temperature ramps linearly from B0 to beta during warm-up
  local beta_fn = beta
  if a.anneal then
    local b0 = a.anneal
    beta_fn = function(sweep) return sweep >= warmup and beta or b0 + (beta - b0) * sweep / math.max(warmup, 1) end
  end
  local trace = ebm.schedule.energy_trace()
  local observers = { trace }
  -- --gif: every sweep, a copy of the first 16 chains and their mean energy (frame 1: the start)
  local gif = a.gif and { frames = {}, energy = {}, labels = {}, per_sweep = true }
  if gif then
    local G = math.min(C, 16)
    function gif:add(xs, sweep)
      local v = xs:narrow(2, 1, G)
      self.frames[#self.frames + 1] = v:t():contiguous():view(G, H, W)
      self.energy[#self.energy + 1] = m:energy(v:contiguous()):mean()
      self.labels[#self.labels + 1] = "sweep " .. sweep
    end
    function gif:observe(info) self:add(info.chains, info.sweep) end
    function gif:result() return #self.frames end
    gif:add(x, 0)
    observers[#observers + 1] = gif
  end
  local sched = ebm.schedule { warmup = warmup, samples = nsamp, every = every, beta = beta_fn, clamp = clamp,
    order = a.order == "random" and "random" or nil, observers = observers }
  local res = sched:run(s, x)
  local snaps, energies = {}, {}
  for k, xs in ipairs(res.samples) do
    snaps[k] = xs:t():contiguous():view(C, H, W)
    energies[k] = m:energy(xs):mean()
  end
  local sweeps = res.sweeps

  local entries = {}
  if data then entries[#entries + 1] = { label = "data", images = data, levels = K } end
  if masked then entries[#entries + 1] = { label = "input", images = masked } end
  for k = 1, nsamp do
    entries[#entries + 1] = { label = string.format("%d", warmup + k * every), images = snaps[k], levels = K }
  end
  ebm.viz.rows(entries, { scale = scale, pad = 1, path = out })
  print(string.format("%s: %d chains, %d sweeps (warm-up %d, %d snapshots every %d), beta %g%s%s: %.2f s",
    out, C, sweeps, warmup, nsamp, every, beta, a.anneal and (" annealed from " .. a.anneal) or "",
    a.clamp and (", clamped " .. a.clamp) or "", ebm.sys.clock() - t0))
  if gif then
    ebm.viz.animate(gif.frames, { path = a.gif, levels = K, energy = gif.energy,
      labels = gif.labels, nrow = 8, scale = scale, delay = 8 })
    print(("%s: %d frames"):format(a.gif, #gif.frames))
  end
  local tr = trace:result()
  if ebm.plot.available() and #tr.sweep > 1 then
    local tpath = out:gsub("%.png$", "") .. "-energy.png"
    ebm.plot.lines { path = tpath, title = "mean energy of the chains", xlabel = "sweep", ylabel = "energy",
      series = { { name = "mean", x = tr.sweep, y = tr.mean }, { name = "min", x = tr.sweep, y = tr.min },
        { name = "max", x = tr.sweep, y = tr.max } } }
    print("energy trace: " .. tpath)
  end
  print(string.format("mean energy of the snapshots: %s", table.concat((function()
    local t = {}
    for k, e in ipairs(energies) do t[k] = string.format("%.1f", e) end
    return t
  end)(), " ")))
end)
