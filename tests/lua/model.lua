-- model.lua - model construction, parameter counts, energies against a naive Lua reference,
-- conditionals, pseudo-likelihood, sufficient statistics, colourings and block checks.
local t = require "tap"
local ebm = require "ebm"
t.seed(3)

local rng = ebm.rng(5)
local function randomise(m, scale) return m:randomise(scale, rng) end

-- the seed model
local seed = ebm.grid{ height = 28, width = 28, levels = 4, stencil = "4", coupling = "ordinal", tie = "direction" }
t.is(seed:nparams(), 3138, "seed model: 784*4 biases + 2 weights = 3,138 parameters")
t.is(seed.nedges, 2 * 28 * 27, "28x28 4-neighbour grid has 1512 edges")
t.is(#seed:colouring(), 2, "checkerboard colouring")
t.is(seed:colouring()[1]:numel(), 392, "392 nodes per colour")
local sp = seed:params()
t.is_deeply(sp["bias.x"]:size(), { 784, 4 }, "bias.x is [784, 4]")
t.is_deeply(sp["weight.pair"]:size(), { 2 }, "weight.pair has one weight per direction")
local pe = ebm.grid{ height = 28, width = 28, levels = 4, coupling = "potts", tie = "edge" }
t.is(pe:nparams(), 784 * 4 + 1512, "potts tied by edge: one weight per edge")
local pf = ebm.grid{ height = 4, width = 5, levels = 3, coupling = "full", stencil = "8" }
t.is(pf:nparams(), 20 * 3 + 4 * 9, "full couplings tied by direction: 4 tables of 3x3")
t.is(ebm.grid{ height = 3, width = 3, torus = true }.nedges, 18, "3x3 torus has 18 edges")

-- naive energy of one state (Lua tables), straight from the definition
local function naive_energy(m, x) -- x: Lua list of 0-based levels, global node order
  local e = 0
  local p = m:params()
  for _, l in ipairs(m.layers) do
    local b = p[l.param]
    for i = 1, l.n do e = e - b:get(i, x[l.offset + i] + 1) end
  end
  for _, f in ipairs(m.factors) do
    local w = p[f.param]
    local ti, tj, ts = {}, {}, {}
    -- rebuild the factor's edges from the spec
    local F = (not m.spec.grid) and m.spec.factors[f.index] or nil
    if F then
      for k, ed in ipairs(F.edges) do ti[k], tj[k], ts[k] = ed[1], ed[2], ed[3] end
    else
      local H, W = m.height, m.width
      for d, j in ipairs(m.jumps) do
        for y = 0, H - 1 do for xx = 0, W - 1 do
          local y2, x2 = y + j[1], xx + j[2]
          if y2 >= 0 and y2 < H and x2 >= 0 and x2 < W then
            ti[#ti + 1], tj[#tj + 1], ts[#ts + 1] = y * W + xx + 1, y2 * W + x2 + 1, m.tie == "direction" and d or #ti + 1
          end
        end end
      end
    end
    for k = 1, #ti do
      local a, b = x[f.a.offset + ti[k]], x[f.b.offset + tj[k]]
      local T
      if f.coupling == "full" then T = w:get(ts[k], a + 1, b + 1)
      elseif f.coupling == "potts" then T = (a == b) and w:get(ts[k]) or 0
      elseif f.coupling == "ordinal" then T = w:get(ts[k]) * f.a.values:get(a + 1) * f.b.values:get(b + 1)
      else T = w:get(ts[k]) * (2 * a - 1) * (2 * b - 1) end
      e = e - T
    end
  end
  return e
end

local function rand_states(m, C)
  local x = ebm.zeros({ m.n, C }, "u8")
  local K = {}
  for _, l in ipairs(m.layers) do for i = 1, l.n do K[l.offset + i] = l.levels end end
  for i = 1, m.n do for c = 1, C do x:set(i, c, rng:uniform(K[i]) - 1) end end
  return x
end

local models = {
  { "28x28 K=4 ordinal", ebm.grid{ height = 28, width = 28, levels = 4, values = { 0, 0.25, 0.6, 1 } } },
  { "5x4 K=3 full 8-nbr", ebm.grid{ height = 5, width = 4, levels = 3, coupling = "full", stencil = "8" } },
  { "6x6 K=16 potts edge", ebm.grid{ height = 6, width = 6, levels = 16, coupling = "potts", tie = "edge" } },
  { "4x4 spin", ebm.grid{ height = 4, width = 4, levels = 2, coupling = "spin" } },
  { "two layers", ebm.model{ layers = { { name = "v", n = 5, levels = 3 }, { name = "h", n = 2, levels = 2 } },
      factors = { { name = "vh", a = "v", b = "h", edges = { { 1, 1, 1 }, { 2, 1, 2 }, { 5, 2, 1 }, { 3, 2, 3 } }, coupling = "full" },
                  { name = "vv", a = "v", b = "v", edges = { { 1, 2, 1 }, { 4, 5, 1 } }, coupling = "ordinal" } } } },
}
for _, mm in ipairs(models) do
  local name, m = mm[1], mm[2]
  randomise(m, 1)
  local x = rand_states(m, 7)
  local e = m:energy(x)
  local worst = 0
  for c = 1, 7 do
    local xs = {}
    for i = 1, m.n do xs[i] = x:get(i, c) end
    local ref = naive_energy(m, xs)
    local d = math.abs(e:get(c) - ref) / math.max(1, math.abs(ref))
    if d > worst then worst = d end
  end
  t.cmp_ok(worst, "<", 1e-6, name .. ": kernel energies match the naive reference (rel. error)")
  -- rows layout gives the same energies
  local xr = x:t():contiguous()
  local er = m:energy(xr, { layout = "rows" })
  local same = true
  for c = 1, 7 do if er:get(c) ~= e:get(c) then same = false end end
  t.ok(same, name .. ": rows layout gives identical energies")
  -- conditional = normalised exp(-E) over the node's levels
  local i = m.n
  local cond = m:conditional(x, 2, i)
  local K = cond:numel()
  local lw, mx = {}, -math.huge
  for k = 1, K do
    local xk = x:clone()
    xk:set(i, 2, k - 1)
    lw[k] = -m:energy(xk):get(2)
    mx = math.max(mx, lw[k])
  end
  local z = 0
  for k = 1, K do z = z + math.exp(lw[k] - mx) end
  local cerr = 0
  for k = 1, K do cerr = math.max(cerr, math.abs(cond:get(k) - math.exp(lw[k] - mx) / z)) end
  t.cmp_ok(cerr, "<", 1e-6, name .. ": conditional of one node matches energy differences")
  -- pseudo-log-likelihood = sum of log conditionals
  local pl = m:pseudo_loglik(x):get(3)
  local ref = 0
  for j = 1, m.n do ref = ref + math.log(m:conditional(x, 3, j):get(x:get(j, 3) + 1)) end
  t.near(pl, ref, 1e-6 * math.max(1, math.abs(ref)), name .. ": pseudo-log-likelihood is the sum of log conditionals")
end

-- sufficient statistics and the chain rule: d(-E)/dtheta averaged over states
do
  local m = models[2][2]
  local x = rand_states(m, 5)
  local ps = m:param_stats(x)
  local st = m:stats(x)
  t.near(st.hist.x:narrow(1, 1, 1):clone():view(3):totable()[1] + st.hist.x:narrow(1, 1, 1):clone():view(3):totable()[2]
         + st.hist.x:narrow(1, 1, 1):clone():view(3):totable()[3], 1, 1e-12, "histogram rows sum to 1")
  -- finite difference of mean(-E) in one weight = its statistic (energy is linear in params)
  local p = m:params()
  local w = p["weight.pair"]
  local function meanE() local e = m:energy(x); local s = 0; for c = 1, 5 do s = s + e:get(c) end; return s / 5 end
  local e0 = meanE()
  w:set(2, 3, 1, w:get(2, 3, 1) + 0.5); m:materialise()
  local e1 = meanE()
  t.near(-(e1 - e0) / 0.5, ps["weight.pair"]:get(2, 3, 1), 1e-5, "param_stats = d(-E)/dw (full coupling)")
  local mo = models[1][2]
  local xo = rand_states(mo, 4)
  local pso = mo:param_stats(xo)
  local wo = mo:params()["weight.pair"]
  local function meanEo() local e = mo:energy(xo); local s = 0; for c = 1, 4 do s = s + e:get(c) end; return s / 4 end
  local f0 = meanEo()
  wo:set(1, wo:get(1) + 0.25); mo:materialise()
  t.near(-(meanEo() - f0) / 0.25, pso["weight.pair"]:get(1), 1e-3, "param_stats = d(-E)/dw (ordinal, tied)")
  local freq = 0
  for c = 1, 4 do if xo:get(10, c) == 2 then freq = freq + 0.25 end end
  t.is(pso["bias.x"]:get(10, 3), freq, "param_stats for a bias is the level frequency")
end

-- data layout [N, h, w] is accepted directly
do
  local m = ebm.grid{ height = 3, width = 4, levels = 4 }
  local d = ebm.zeros({ 2, 3, 4 }, "u8")
  d:set(1, 2, 3, 3)
  local e = m:energy(d)
  t.is(e:numel(), 2, "energy of data u8 [N, h, w] gives N values")
  local st = m:stats(d)
  t.is(st.hist.x:get(7, 4), 0.5, "histogram of data: node (2,3) is at level 3 in half the images")
end

-- errors
t.error_like(function() ebm.grid{ height = 3, width = 3, stencil = "6" } end, "unknown stencil", "unknown stencil refused")
t.error_like(function() ebm.grid{ height = 3, width = 3, levels = 300 } end, "levels", "levels > 256 refused")
t.error_like(function() ebm.model{ layers = { { n = 3, levels = 2 } }, factors = { { edges = { { 1, 1, 1 } } } } } end,
  "itself", "self-loop refused")
t.error_like(function() ebm.model{ layers = { { n = 3, levels = 2 } }, factors = { { edges = { { 1, 4, 1 } } } } } end,
  "out of range", "edge endpoint out of range refused")
t.error_like(function() ebm.model{ layers = { { n = 3, levels = 3 } }, factors = { { edges = { { 1, 2 } }, coupling = "spin" } } } end,
  "spin", "spin coupling on 3 levels refused")
local g3 = ebm.grid{ height = 3, width = 3 }
t.error_like(function() ebm.sampler{ model = g3, blocks = { { 1, 3, 5 }, { 2, 4, 6, 7, 8, 9 } } } end,
  "block 2 contains interacting nodes 4 and 7", "a block with an edge inside is refused, naming the edge")
t.error_like(function() g3:energy(ebm.u8(9, 2):fill(2)) end, "level", "states with a level >= K are refused")
t.error_like(function() g3:energy(ebm.f32(9, 2)) end, "u8", "non-u8 states are refused")
t.lives_ok(function() ebm.sampler{ model = g3, blocks = { { 1, 3, 5, 7, 9 }, { 2, 4, 6, 8 } } } end, "a valid user block set is accepted")

-- a picture of the blocks
do
  local g8 = ebm.grid{ height = 4, width = 6, stencil = "8" }
  local img = g8:blocks_image()
  t.is_deeply({ img:get(1, 1), img:get(1, 2), img:get(2, 1), img:get(2, 2), img:get(3, 3) }, { 0, 1, 2, 3, 0 },
    "blocks_image: the 8-neighbour colouring is the 2x2 pattern")
  local path = os.tmpname() .. ".png"
  g8:blocks_image{ path = path, scale = 2 }
  local f = io.open(path, "rb")
  t.ok(f and f:read(8) == "\137PNG\r\n\26\n", "blocks_image writes a PNG")
  if f then f:close() end
  os.remove(path)
end

-- building a model with ~10^5 edges
do
  local t0 = os.clock()
  local big = ebm.grid{ height = 224, width = 224, levels = 2 }
  local dt = os.clock() - t0
  t.ok(big.nedges == 2 * 224 * 223, "224x224 grid has 99,904 edges")
  t.diag(("built a %d-edge grid model in %.0f ms"):format(big.nedges, dt * 1000))
end

t.done_testing()
