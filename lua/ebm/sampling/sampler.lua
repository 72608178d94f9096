-- ebm.sampler: block Gibbs over batches of persistent chains.
--
--   s = ebm.sampler{model=m, blocks=nil | {{ids...}, ...}, seed=0}
--   x = s:chains(C, "uniform" | "bias" | data)   -- u8 [n, C], chains innermost
--   s:sweep(x, {n=1, beta=1, clamp=mask, order=nil | "random" | {2, 1, ...}})
--   s:update(x, k, {beta=, clamp=})               -- one block only
--     beta: a number, or an f32 tensor [C] of per-chain betas (chain c at beta[c]; for
--     tempering); equal entries give the same bits as the number. simd: "avx512" | "avx2" |
--     "scalar" (default EBM_SIMD, else the fastest this CPU runs; every path gives the same bits).
--     levels: how a node with K > 2 levels draws its level: "table" (the default, or EBM_LEVELS):
--     32-bit cumulative thresholds, cached per node and neighbour configuration; "float": the
--     24-bit float inverse CDF of earlier versions; "gather": "table" without the AVX-512 VBMI
--     byte lookups (the same bits as "table"). Both draws are exact; they differ only where a
--     uniform falls within float rounding of a level boundary. rng: "ars" (the default, or
--     EBM_RNG) | "philox" (the reference): the generator of the random words (gibbs.h).
--   s:sequential(state, {sweeps=, beta=, clamp=, scan="raster" | "random", rng=})
--
-- Randomness is a pure function of (seed, step, node, global chain id): s.step counts sweeps
-- (one block update counts as one step) and advances after every call, so results do not
-- depend on threads; to split a batch, pass chain_offset (global id of its first chain) and
-- the same step to each part (opts.step overrides s.step and leaves it unchanged).
-- clamp: u8 [n] (per node) or u8 [n, C] (per chain); clamped entries never change.
local core = require "ebm.core"
local base = require "ebm.base"

local Sampler = {}
Sampler.__index = Sampler

local M = {}

function M.new(o)
  if type(o) ~= "table" or type(o.model) ~= "table" or not o.model.graph then
    error("ebm.sampler: expected {model=<ebm.model>, blocks=?, seed=?}", 2)
  end
  local m = o.model
  local ok, blocks = pcall(m.blocks, m, o.blocks)
  if not ok then error("ebm.sampler: " .. tostring(blocks):gsub("^.-blocks: ", ""), 2) end
  local seed = o.seed or 0
  if math.type(seed) ~= "integer" then error("ebm.sampler: seed must be an integer", 2) end
  return setmetatable({ model = m, graph = m.graph, blocks = blocks, nblocks = #blocks, seed = seed, step = 0 }, Sampler)
end

-- s:block(k) -> i32 tensor of the 1-based node ids of block k.
function Sampler:block(k) return self.blocks:get(k) end

-- s:chains(C, init[, opts]) -> u8 [n, C]. init: "uniform" (default), "bias" (independent draws
-- from softmax(beta * bias)), or a data tensor u8 [C, ...] with n values per row (copied).
function Sampler:chains(C, init, opts)
  opts = opts or {}
  local n = self.model.n
  if base.is_tensor(C) then init, C = C, C:size(1) end
  if math.type(C) ~= "integer" or C < 1 then error("chains: number of chains must be a positive integer", 2) end
  init = init or "uniform"
  if base.is_tensor(init) then
    if init:size(1) ~= C or init:numel() ~= C * n then
      error(("chains: data must be u8 [%d, ...] with %d values per row"):format(C, n), 2)
    end
    local x = init:contiguous():view(C, n):t():clone("u8")
    core.energy(self.graph, x, "chains") -- validates levels
    return x
  end
  local x = base.zeros({ n, C }, "u8")
  local step = opts.step or (1 << 62) + self.step
  core.gibbs_init(self.graph, x, init, opts.beta or 1, self.seed, step, opts.chain_offset or 0, opts.clamp)
  if not opts.step then self.step = self.step + 1 end
  return x
end

-- s:sweep(x, opts) -> x after opts.n (default 1) sweeps of all blocks.
function Sampler:sweep(x, opts)
  opts = opts or {}
  local n = opts.n or 1
  local step = opts.step or self.step
  core.gibbs_sweep(self.graph, self.blocks, x, n, opts.beta or 1, self.seed, step, opts.chain_offset or 0,
    opts.clamp, opts.order, opts.simd, opts.levels, opts.rng)
  if not opts.step then self.step = self.step + n end
  return x
end

-- s:update(x, k, opts) -> x after one update of block k.
function Sampler:update(x, k, opts)
  opts = opts or {}
  local step = opts.step or self.step
  core.gibbs_update(self.graph, self.blocks, k, x, opts.beta or 1, self.seed, step, opts.chain_offset or 0, opts.clamp,
    opts.levels, opts.rng)
  if not opts.step then self.step = self.step + 1 end
  return x
end

-- s:sequential(state, opts) -> state: the single-site reference sampler on one chain
-- (u8 [n] or [n, 1]); opts.sweeps (1), beta, clamp u8 [n], scan "raster"|"random", rng
-- (an ebm.rng; default one kept on the sampler, seeded with s.seed).
function Sampler:sequential(state, opts)
  opts = opts or {}
  self._rng = self._rng or base.rng(self.seed)
  return core.gibbs_sequential(self.graph, state, opts.sweeps or 1, opts.beta or 1, opts.clamp,
    opts.scan or "raster", opts.rng or self._rng)
end

-- Bit-packed fast path for binary models (runtime/gibbs_packed.h): every node K == 2 with at
-- most 16 neighbours, else an error (a node with 9..16 takes the wide path, gibbs_packed_wide.c).
-- 64 chains per machine word; exact Bernoulli draws by lazy
-- comparison with the same thresholds as the u8 kernel's tables, other random streams.
--   p = s:pack(x)                     -- ebm.Packed copy of u8 [n, C] chains
--   s:sweep_packed(p, {n=1, beta=1, clamp=u8 [n] | u8 [n, C], simd=, rng=})  -- in place; advances s.step
--     simd "avx512" | "avx2" | "scalar", rng "ars" | "philox": default from EBM_SIMD / EBM_RNG,
--     else the fastest path of this CPU and ARS (same bits on every path for one generator)
--   x = p:unpack([x])                 -- u8 [n, C]; p:repack(x) overwrites p from x
function Sampler:pack(x) return core.packed_pack(self.graph, x) end

function Sampler:sweep_packed(p, opts)
  opts = opts or {}
  local n = opts.n or 1
  local step = opts.step or self.step
  core.packed_sweep(self.graph, self.blocks, p, n, opts.beta or 1, self.seed, step, opts.clamp, opts.simd, opts.rng)
  if not opts.step then self.step = self.step + n end
  return p
end

M.Sampler = Sampler
return setmetatable(M, { __call = function(_, o) return M.new(o) end })
