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
-- slot per edge. The colouring is a checkerboard for the 4-stencil, the 2x2 pattern (4
-- colours) for the 8-stencil (when the torus sizes allow), DSATUR otherwise.
local ebm = require "ebm"
local model = require "ebm.model"

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
  local I, J, S = {}, {}, {}
  local seen = {}
  for d, jp in ipairs(jumps) do
    local dy, dx = jp[1], jp[2]
    for y = 0, H - 1 do
      for x = 0, W - 1 do
        local y2, x2 = y + dy, x + dx
        if torus then y2, x2 = y2 % H, x2 % W end
        if y2 >= 0 and y2 < H and x2 >= 0 and x2 < W then
          local a, b = y * W + x + 1, y2 * W + x2 + 1
          local key = a < b and (a * (H * W + 1) + b) or (b * (H * W + 1) + a)
          if a ~= b and not seen[key] then -- small tori can wrap onto the same pair
            seen[key] = true
            local k = #I + 1
            I[k], J[k] = a, b
            S[k] = tie == "direction" and d or k
          end
        end
      end
    end
  end
  local ns = tie == "direction" and #jumps or math.max(#I, 1)
  local m = model.new{
    layers = { { name = "x", n = H * W, levels = K, values = o.values } },
    factors = #I > 0 and { { name = "pair", a = "x", b = "x", i = ebm.i32(I), j = ebm.i32(J), slot = ebm.i32(S),
                             nslots = ns, coupling = o.coupling or "ordinal" } } or {},
  }
  m.height, m.width, m.jumps, m.torus, m.tie = H, W, jumps, torus, tie
  m.spec = { grid = { height = H, width = W, levels = K, stencil = stname, torus = torus,
                      coupling = o.coupling or "ordinal", tie = tie, values = o.values } }
  -- closed-form colourings
  local kind = type(stname) == "string" and stname or nil
  m.colour_fn = function(self)
    local col = ebm.i32(H * W)
    if kind == "4" and (not torus or (H % 2 == 0 and W % 2 == 0)) then
      for y = 0, H - 1 do for x = 0, W - 1 do col:set(y * W + x + 1, (y + x) % 2 + 1) end end
      return col, (H * W > 1) and 2 or 1
    elseif kind == "8" and (not torus or (H % 2 == 0 and W % 2 == 0)) then
      local nc = 0
      for y = 0, H - 1 do for x = 0, W - 1 do
        local c = (y % 2) * 2 + x % 2 + 1
        col:set(y * W + x + 1, c)
        if c > nc then nc = c end
      end end
      -- colours may be missing on 1-wide grids: renumber densely
      local map, k = {}, 0
      for c = 1, nc do map[c] = nil end
      local present = {}
      for i = 1, H * W do present[col:get(i)] = true end
      for c = 1, 4 do if present[c] then k = k + 1; map[c] = k end end
      for i = 1, H * W do col:set(i, map[col:get(i)]) end
      return col, k
    end
    return nil
  end
  -- m:blocks_image{path=, scale=8} -> u8 [h, w] with the block (colour) index 0..nb-1 of
  -- each pixel, written as a PNG picture of the colouring when path is given (ebm.viz).
  function m:blocks_image(opts)
    opts = opts or {}
    local blocks = self:colouring()
    local img = ebm.zeros({ H, W }, "u8")
    local flat = img:view(H * W)
    for b, ids in ipairs(blocks) do
      for _, i in ipairs(ids:totable()) do flat:set(i, b - 1) end
    end
    if opts.path then
      ebm.viz.grid(img:view(1, H, W), { nrow = 1, scale = opts.scale or 8, pad = 0, levels = #blocks, path = opts.path })
    end
    return img
  end
  return m
end

return grid
