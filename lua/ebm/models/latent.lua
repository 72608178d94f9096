-- ebm.latent: a binary latent layer on a grid between the pixels (sparse local + long-range
-- edges, as in Extropic's denoising models), built with the general constructor ebm.model,
-- and its PCD trainer (scripts/train_latent_grid.lua).
--
--   m, info = ebm.latent.build{height=28, width=28, latent=14, patch=4, jumps={4, 8}}
--     layers v (height*width binary pixels) then h (latent*latent binary units); factor "vh"
--     (coupling ordinal with values 0/1: E = -sum w_e v_i h_j, one untied weight per edge).
--     Latent (r, c) sits over pixel (floor((r-0.5)*height/latent), same for columns), joins
--     the patch x patch pixels around it, and the pixels at (0, +-J), (+-J, 0) from its
--     patch's centre for every J in jumps (off-image ones dropped, duplicates kept once).
--     pixel_edges=true adds factor "vv": 4-neighbour pixel-pixel edges, one weight each.
--     info = {local_edges=, jump_edges=, pixel_edges=, edges=, visible=, hidden=}.
--   blocks = ebm.latent.blocks(m)      -- {visible ids, hidden ids}: the 2-colouring
--   tr = ebm.latent.trainer{model=, train=u8 [N, h, w], config=cfg}
--     tr:step(x)  positive phase: hidden units sampled with the pixels clamped to x
--                 (cfg.pos_sweeps sweeps; one is exact without h-h edges); negative phase:
--                 cfg.batch persistent chains, cfg.cd_steps sweeps. Adam on beta=1 gradients.
--     tr:samples(count, sweeps) -> u8 [count, h, w] visible layers of fresh chains (from the
--                 biases) after `sweeps` sweeps, and the full chains [n, count].
-- Pseudo-log-likelihood is not defined for the pixels alone with latents summed out, so the
-- trainer reports mean energies of the (data, sampled hidden) and negative joint states.
local base = require "ebm.base"
local model = require "ebm.models.model"
local sampler = require "ebm.sampling.sampler"
local train = require "ebm.training.train"

local M = {}

-- Edge lists of the latent grid (0-based pixel coordinates internally, 1-based ids out).
function M.edges(o)
  local H, W, L, P = o.height or 28, o.width or 28, o.latent or 14, o.patch or 4
  local jumps = o.jumps or { 4 }
  local ii, jj = {}, {}
  local nloc, njump = 0, 0
  for r = 1, L do
    for c = 1, L do
      local h = (r - 1) * L + c
      local pr = math.floor((r - 0.5) * H / L)
      local pc = math.floor((c - 0.5) * W / L)
      local seen = {}
      local r0, c0 = pr - P // 2, pc - P // 2
      for a = 0, P - 1 do
        for b = 0, P - 1 do
          local y, x = r0 + a, c0 + b
          if y >= 0 and y < H and x >= 0 and x < W then
            local v = y * W + x + 1
            seen[v] = true
            ii[#ii + 1], jj[#jj + 1] = v, h
            nloc = nloc + 1
          end
        end
      end
      for _, J in ipairs(jumps) do
        for _, d in ipairs { { 0, J }, { 0, -J }, { J, 0 }, { -J, 0 } } do
          local y, x = pr + d[1], pc + d[2]
          if y >= 0 and y < H and x >= 0 and x < W then
            local v = y * W + x + 1
            if not seen[v] then
              seen[v] = true
              ii[#ii + 1], jj[#jj + 1] = v, h
              njump = njump + 1
            end
          end
        end
      end
    end
  end
  return ii, jj, nloc, njump
end

-- ebm.latent.build{...} -> model, info (see the header).
function M.build(o)
  o = o or {}
  local H, W, L, P = o.height or 28, o.width or 28, o.latent or 14, o.patch or 4
  for k, v in pairs { height = H, width = W, latent = L, patch = P } do
    if math.type(v) ~= "integer" or v < 1 then error("ebm.latent.build: " .. k .. " must be a positive integer", 2) end
  end
  for _, J in ipairs(o.jumps or {}) do
    if math.type(J) ~= "integer" or J < 1 then error("ebm.latent.build: jumps must be positive integers", 2) end
  end
  local ii, jj, nloc, njump = M.edges(o)
  local slots = {}
  for k = 1, #ii do slots[k] = k end
  local factors = { { name = "vh", a = "v", b = "h", i = base.i32(ii), j = base.i32(jj), slot = base.i32(slots),
    nslots = #ii, coupling = "ordinal" } }
  local npix = 0
  if o.pixel_edges then -- 4-neighbour pixel-pixel edges, one untied weight each
    local pi, pj, ps = {}, {}, {}
    for y = 0, H - 1 do
      for x = 0, W - 1 do
        local v = y * W + x + 1
        if x + 1 < W then npix = npix + 1; pi[npix], pj[npix], ps[npix] = v, v + 1, npix end
        if y + 1 < H then npix = npix + 1; pi[npix], pj[npix], ps[npix] = v, v + W, npix end
      end
    end
    factors[2] = { name = "vv", a = "v", b = "v", i = base.i32(pi), j = base.i32(pj), slot = base.i32(ps),
      nslots = npix, coupling = "ordinal" }
  end
  local m = model {
    layers = { { name = "v", n = H * W, levels = 2 }, { name = "h", n = L * L, levels = 2 } },
    factors = factors,
  }
  m.height, m.width, m.latent = H, W, L
  return m, { local_edges = nloc, jump_edges = njump, pixel_edges = npix, edges = #ii + npix, visible = H * W, hidden = L * L }
end

-- {visible ids, hidden ids} of a two-layer model (a valid colouring: no intra-layer edges);
-- with pixel-pixel edges, the pixel checkerboard (two blocks) then the hidden layer.
function M.blocks(m)
  local out = {}
  if m.factor.vv then
    local H, W = m.height, m.width
    local even, odd = {}, {}
    for y = 0, H - 1 do
      for x = 0, W - 1 do
        local t = ((x + y) % 2 == 0) and even or odd
        t[#t + 1] = y * W + x + 1
      end
    end
    local h = m.layers[2]
    local ids = base.zeros({ h.n }, "i32")
    for i = 1, h.n do ids:set(i, h.offset + i) end
    return { base.i32(even), base.i32(odd), ids }
  end
  for k, l in ipairs(m.layers) do
    local ids = base.zeros({ l.n }, "i32")
    for i = 1, l.n do ids:set(i, l.offset + i) end
    out[k] = ids
  end
  return out
end

-- The trainer is ebm.train's (the same loop, optimiser, schedule, checkpoints) with a
-- positive phase for latents: pixels clamped to the batch, latents sampled given them.
local Trainer = setmetatable({}, { __index = train.Trainer })
Trainer.__index = Trainer

-- Joint chains [n, B] whose pixels are the rows of x (u8 [B, ...]) and hidden units uniform.
function Trainer:clamped_chains(x)
  local B = x:size(1)
  local c = self.sampler:chains(B, "uniform")
  c:narrow(1, 1, self.nv):copy(x:contiguous():view(B, self.nv):t())
  return c
end

function Trainer:positive(x)
  local pc = self:clamped_chains(x)
  self.sampler:sweep(pc, { n = self.cfg.pos_sweeps, clamp = self.clamp })
  return self.model:param_stats(pc), pc
end

Trainer.chains_from = Trainer.clamped_chains

-- ebm.latent.trainer{model=, train=u8 [N, ...], config={batch, lr, cd_steps, pos_sweeps, seed, epochs}}
-- Persistent CD with Adam and a cosine learning-rate decay to 5% (ebm.train's options).
function M.trainer(o)
  local cfg = {}
  for k, v in pairs(o.config) do cfg[k] = v end
  local defaults = { pcd = true, beta = 1, optim = "adam", clip = 0, schedule = "cosine", log_every = 0 }
  for k, v in pairs(defaults) do if cfg[k] == nil then cfg[k] = v end end
  local m = o.model
  local tr = train.trainer { model = m, train = o.train, config = cfg, blocks = M.blocks(m) }
  tr.nv = m.layers[1].n                         -- visible node count
  tr.clamp = base.zeros({ m.n }, "u8")           -- u8 [n]: 1 on the pixels (positive phase)
  tr.clamp:narrow(1, 1, tr.nv):fill(1)
  return setmetatable(tr, Trainer)
end

-- Initial parameters: pixel biases from the data marginals (add-one smoothed logits), hidden
-- biases 0, weights N(0, 0.01).
function Trainer:init(images)
  local p = self.params
  for _, t in pairs(p) do t:zero() end
  local N = images:size(1)
  local mean = images:contiguous():view(N, self.nv):to("f32"):sum(1):view(self.nv)
  local bv = p["bias.v"]
  for i = 1, self.nv do
    local q = (mean:get(i) + 1) / (N + 2)
    bv:set(i, 2, math.log(q / (1 - q)))
  end
  p["weight.vh"]:normal(base.rng(self.cfg.seed):split(101), 0, 0.01)
  if p["weight.vv"] then p["weight.vv"]:normal(base.rng(self.cfg.seed):split(102), 0, 0.01) end
  train.center_biases(self.model)
  self.model:materialise()
end

-- Fresh chains from the biases, `sweeps` sweeps, own sampler (training never depends on it).
-- Returns the visible layers u8 [count, h, w] and the chains u8 [n, count].
function Trainer:samples(count, sweeps, seed)
  local m = self.model
  local s = sampler { model = m, seed = seed or (self.cfg.seed + 7919), blocks = M.blocks(m) }
  local x = s:chains(count, "bias")
  if sweeps > 0 then s:sweep(x, { n = sweeps }) end
  return x:narrow(1, 1, self.nv):t():contiguous():view(count, m.height, m.width), x
end

M.Trainer = Trainer
return M
