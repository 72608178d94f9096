-- ebm.grid{...}: a one-layer model on an h x w pixel grid (node (y, x) is y*w + x + 1, so a
-- data batch u8 [N, h, w] is a valid "rows" state batch).
--
--   ebm.grid{height=28, width=28, levels=4, stencil="4" | "8" | {{dy,dx}, ...},
--            torus=false, coupling="ordinal" | "potts" | "full" | "spin",
--            tie="direction" | "edge", values={...}}
--
-- stencil lists jumps (dy, dx); each jump and its negation give one undirected edge per
-- pixel (only one of a jump and its negation is kept). "4" = {{0,1},{1,0}}, "8" adds
-- {1,1},{1,-1}. tie="direction": one weight slot per jump (the seed model: 28x28, 4 levels,
-- ordinal, 4-neighbour -> 784*4 biases + 2 weights = 3,138 parameters); tie="edge": one
-- slot per edge. The colouring is a checkerboard for bipartite stencils (every jump with
-- dy+dx odd, e.g. "4"), the 2x2 pattern (4 colours) when no jump has dy and dx both even
-- (e.g. "8"), on a torus only with even sides; DSATUR otherwise.
local core = require "ebm.core"
local base = require "ebm.base"
local model = require "ebm.models.model"
local viz = require "ebm.io.viz"

local STENCILS = {
  ["4"] = { { 0, 1 }, { 1, 0 } },
  ["8"] = { { 0, 1 }, { 1, 0 }, { 1, 1 }, { 1, -1 } },
}

-- Canonical jumps: drop (0,0), keep one of each +-pair, in the order given.
local function canonical(st)
  local seen, out = {}, {}
  for _, j in ipairs(st) do
    local dy, dx = j[1], j[2]
    if math.type(dy) ~= "integer" or math.type(dx) ~= "integer" then
      error("ebm.grid: stencil jumps must be pairs of integers {dy, dx}", 3)
    end
    if dy < 0 or (dy == 0 and dx < 0) then dy, dx = -dy, -dx end
    local key = dy .. "," .. dx
    if not (dy == 0 and dx == 0) and not seen[key] then
      seen[key] = true
      out[#out + 1] = { dy, dx }
    end
  end
  return out
end

local function grid(o)
  if type(o) ~= "table" then error("ebm.grid: expected an options table", 2) end
  local H, W = o.height or 28, o.width or o.height or 28
  if math.type(H) ~= "integer" or math.type(W) ~= "integer" or H < 1 or W < 1 then
    error("ebm.grid: height and width must be positive integers", 2)
  end
  local K = o.levels or 2
  local stname = o.stencil or "4"
  local st = type(stname) == "table" and stname or STENCILS[tostring(stname)]
  if not st then error(("ebm.grid: unknown stencil %q (use \"4\", \"8\" or a list of {dy,dx})"):format(tostring(stname)), 2) end
  local jumps = canonical(st)
  local torus = o.torus and true or false
  local tie = o.tie or "direction"
  if tie ~= "direction" and tie ~= "edge" then error("ebm.grid: tie must be \"direction\" or \"edge\"", 2) end
  local I, J, S = core.grid_edges(H, W, jumps, torus, tie == "edge")
  local ns = tie == "direction" and #jumps or math.max(I:numel(), 1)
  local m = model.new{
    layers = { { name = "x", n = H * W, levels = K, values = o.values } },
    factors = I:numel() > 0 and { { name = "pair", a = "x", b = "x", i = I, j = J, slot = S,
                             nslots = ns, coupling = o.coupling or "ordinal" } } or {},
  }
  m.height, m.width, m.jumps, m.torus, m.tie = H, W, jumps, torus, tie
  m.spec = { grid = { height = H, width = W, levels = K, stencil = stname, torus = torus,
                      coupling = o.coupling or "ordinal", tie = tie, values = o.values } }
  -- closed-form colourings: the checkerboard (y+x) mod 2 is proper when every jump has
  -- dy+dx odd (the 4-stencil and other bipartite stencils); the 2x2 pattern
  -- (y mod 2, x mod 2) when no jump has both dy and dx even (the 8-stencil). On a torus the
  -- sides must be even. Otherwise DSATUR. Every colouring is checked in C anyway.
  local parity_odd, no_even_even = true, true
  for _, j in ipairs(jumps) do
    if (j[1] + j[2]) % 2 == 0 then parity_odd = false end
    if j[1] % 2 == 0 and j[2] % 2 == 0 then no_even_even = false end
  end
  local even_ok = not torus or (H % 2 == 0 and W % 2 == 0)
  m.colour_fn = function()
    if not even_ok or not (parity_odd or no_even_even) then return nil end
    local col = base.i32(H * W)
    local present, map, k = {}, {}, 0
    for y = 0, H - 1 do for x = 0, W - 1 do
      local c = parity_odd and (y + x) % 2 + 1 or (y % 2) * 2 + x % 2 + 1
      col:set(y * W + x + 1, c)
      present[c] = true
    end end
    for c = 1, 4 do if present[c] then k = k + 1; map[c] = k end end  -- dense numbering
    for i = 1, H * W do col:set(i, map[col:get(i)]) end
    return col, k
  end
  -- m:blocks_image{path=, scale=8} -> u8 [h, w] with the block (colour) index 0..nb-1 of
  -- each pixel, written as a PNG picture of the colouring when path is given (ebm.viz).
  function m:blocks_image(opts)
    opts = opts or {}
    local blocks = self:colouring()
    local img = base.zeros({ H, W }, "u8")
    local flat = img:view(H * W)
    for b, ids in ipairs(blocks) do
      for _, i in ipairs(ids:totable()) do flat:set(i, b - 1) end
    end
    if opts.path then
      viz.grid(img:view(1, H, W), { nrow = 1, scale = opts.scale or 8, pad = 0, levels = #blocks, path = opts.path })
    end
    return img
  end
  return m
end

return grid
