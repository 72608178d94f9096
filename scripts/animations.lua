-- animations.lua - animated GIFs of block Gibbs sampling on a trained grid EBM (a model.ckpt
-- of train_digit.lua): chains from noise, one sweep block by block, annealing, inpainting.
--
--   ebmlua scripts/animations.lua runs/digit3-potts-k4/model.ckpt --out notebooks/figures
--
-- Writes, into --out:
--   chains.gif   --chains chains from uniform noise, one frame per sweep (--sweeps), beta 1
--   blocks.gif   the first --block-sweeps sweeps block by block: the checkerboard colours
--                update in turn (a frame after every block update; the 4-neighbour grid has
--                2 blocks, so half the pixels change per frame)
--   anneal.gif   beta ramps linearly from 0 to 1 over --sweeps sweeps, then --hold at beta 1
--   inpaint.gif  test images of the model's digit with the top half clamped to the data and
--                the bottom half started from the biases; the upper row shows the data
-- Every frame carries the mean energy of the chains shown (E = -sum b - sum T, beta 1) as
-- digits and as bars. Frames are the chains' states; nothing is smoothed or selected.
local ebm = require "ebm"
local cli = ebm.cli

local p = cli.parser("animations.lua", "Animated GIFs of block Gibbs chains: noise to digits, block by block, annealing, inpainting.")
p:argument("ckpt", "Checkpoint written by train_digit.lua (model.ckpt)."):convert(cli.file)
p:option("--out", "Output folder.", "notebooks/figures"):convert(cli.outdir)
p:option("--chains", "Chains shown.", "4"):convert(cli.int(1, 4096))
p:option("--sweeps", "Sweeps (frames) of the chains, annealing and inpainting animations.", "30"):convert(cli.int(1, 100000))
p:option("--block-sweeps", "Sweeps shown block by block.", "3"):convert(cli.int(1, 100000))
p:option("--hold", "Extra sweeps at beta 1 after the annealing ramp.", "5"):convert(cli.int(0, 100000))
p:option("--scale", "Output pixels per image pixel.", "2"):convert(cli.int(1, 64))
p:option("--delay", "Frame time in 1/100 s.", "10"):convert(cli.int(0, 65535))
p:option("--seed", "Sampler seed.", "1"):convert(cli.count)
p:flag("--quick", "Fewer frames (under ten seconds).")
local a = cli.parse(p)
local C, S, BS, hold = a.chains, a.sweeps, a.block_sweeps, a.hold
local scale, delay, seed = a.scale, a.delay, a.seed
if a.quick then S, BS, hold = math.min(S, 12), 1, math.min(hold, 3) end
cli.main(function()
  local m, meta = ebm.ckpt.load_model(a.ckpt)
  local K, H, W = meta.config.levels, m.height, m.width
  ebm.run.mkdirs(a.out)
  local t0 = ebm.sys.clock()

  -- images [C, H, W] of chains x [n, C] and their mean energy
  local function frame(x) return x:t():contiguous():view(x:size(2), H, W) end
  local function energy(x) return m:energy(x):mean() end

  local function write(name, frames, energies, labels, nrow)
    local path = a.out .. "/" .. name
    ebm.viz.animate(frames, { path = path, levels = K, energy = energies, labels = labels,
      scale = scale, delay = delay, nrow = nrow })
    local f = io.open(path, "rb")
    local size = f:seek("end")
    f:close()
    print(("%s: %d frames, %.0f KB"):format(path, #frames, size / 1024))
  end

  -- 1. chains from noise
  do
    local s = ebm.sampler { model = m, seed = seed }
    local x = s:chains(C, "uniform")
    local fr, en, lb = { frame(x) }, { energy(x) }, { "sweep 0 (noise)" }
    for k = 1, S do
      s:sweep(x)
      fr[#fr + 1], en[#en + 1], lb[#lb + 1] = frame(x), energy(x), "sweep " .. k
    end
    write("chains.gif", fr, en, lb)
  end

  -- 2. one sweep at a time, block by block
  do
    local s = ebm.sampler { model = m, seed = seed }
    local x = s:chains(math.min(C, 4), "uniform")
    local fr, en, lb = { frame(x) }, { energy(x) }, { "start (noise)" }
    for k = 1, BS do
      for b = 1, s.nblocks do
        s:update(x, b)
        fr[#fr + 1], en[#en + 1], lb[#lb + 1] = frame(x), energy(x), ("sweep %d block %d/%d"):format(k, b, s.nblocks)
      end
    end
    write("blocks.gif", fr, en, lb)
  end

  -- 3. annealing: beta 0 -> 1 over S sweeps, then hold at 1
  do
    local s = ebm.sampler { model = m, seed = seed }
    local x = s:chains(C, "uniform")
    local fr, en, lb = { frame(x) }, { energy(x) }, { "beta 0.00" }
    for k = 1, S + hold do
      local beta = math.min(1, k / S)
      s:sweep(x, { beta = beta })
      fr[#fr + 1], en[#en + 1], lb[#lb + 1] = frame(x), energy(x), ("sweep %d beta %.2f"):format(k, beta)
    end
    write("anneal.gif", fr, en, lb)
  end

  -- 4. inpainting: top half given (clamped), bottom half sampled; row 1 the data, row 2 the chains
  do
    local n = math.min(C, 4)
    local data = ebm.data.mnist { split = "test", digits = meta.config.digit ~= "all" and { meta.config.digit } or nil,
      levels = K, limit = n }
    n = data:size(1)
    local s = ebm.sampler { model = m, seed = seed }
    local clamp = ebm.zeros({ H * W }, "u8")
    clamp:narrow(1, 1, (H // 2) * W):fill(1)
    local x = s:chains(data)
    local xb = s:chains(n, "bias")
    x:narrow(1, (H // 2) * W + 1, H * W - (H // 2) * W):copy(xb:narrow(1, (H // 2) * W + 1, H * W - (H // 2) * W))
    local function both(xx)
      local img = ebm.zeros({ 2 * n, H, W }, "u8")
      img:narrow(1, 1, n):copy(data)
      img:narrow(1, n + 1, n):copy(frame(xx))
      return img
    end
    local fr, en, lb = { both(x) }, { energy(x) }, { "start: top given, bottom from biases" }
    for k = 1, S do
      s:sweep(x, { clamp = clamp })
      fr[#fr + 1], en[#en + 1], lb[#lb + 1] = both(x), energy(x), ("sweep %d (top clamped)"):format(k)
    end
    write("inpaint.gif", fr, en, lb, n)
  end
  print(("animations: %.1f s, load average %.2f %.2f %.2f"):format(ebm.sys.clock() - t0, ebm.sys.loadavg()))
end)
