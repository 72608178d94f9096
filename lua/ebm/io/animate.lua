-- ebm.animate (ebm/io/animate.lua): animated GIFs of level images (giflib, runtime/io_gif.c); ebm.viz.animate.
--
--   frames, palette = ebm.viz.animate(frames, {path="chain.gif", levels=K, scale=3, nrow=8,
--                         pad=1, delay=10 | delays={...}, loop=0, energy={...}, labels={...},
--                         title="..."})
--   frames  a list of u8 tensors, each [h,w] (one image) or [n,h,w] (n images shown as a grid
--           of nrow per row), or one tensor [T,h,w] or [T,n,h,w]; values are levels 0..K-1
--   levels  K (default: the largest value over all frames + 1, at least 2); level v is drawn
--           as the gray v*255/(K-1) (0 black)
--   delay   display time of each frame in 1/100 s (default 10), or delays = one per frame
--   loop    0 = forever (default), -1 = play once, n = n times
--   energy  one number per frame: a caption strip under the images prints it (with the range
--           over the animation when the width allows) and draws the energies of frames 1..t as
--           bars, height (E - Emin) / (Emax - Emin) (lower bars = lower energy)
--   labels  one string per frame for the caption (e.g. "sweep 12"); title: one string on all
-- Returns the composed frames (u8 [T,H,W] palette indices) and the palette (u8 [K+3,3]: the
-- K grays, then the pad gray, white, and the bar colour); writes the GIF when path is given.
-- Everything an animation shows is passed in: this module draws, it does not sample.
local core = require "ebm.core"

local M = {}

local function fail(msg) error("animate: " .. msg, 3) end

-- frames -> list of u8 tensors [n,h,w] (n >= 1), all of one shape
local function frame_list(frames)
  local list = {}
  if core.is_tensor(frames) then
    if frames:dim() ~= 3 and frames:dim() ~= 4 then fail("a frames tensor must be [T,h,w] or [T,n,h,w]") end
    for t = 1, frames:size(1) do list[t] = frames:select(1, t) end
  elseif type(frames) == "table" then
    for t, f in ipairs(frames) do list[t] = f end
  else
    fail("frames must be a list of u8 tensors or a tensor [T,...]")
  end
  if #list == 0 then fail("no frames") end
  local shape
  for t, f in ipairs(list) do
    if not core.is_tensor(f) or f:dtype() ~= "u8" then fail(("frame %d is not a u8 tensor"):format(t)) end
    if f:dim() == 2 then f = f:view(1, f:size(1), f:size(2)) end
    if f:dim() ~= 3 then fail(("frame %d must be [h,w] or [n,h,w]"):format(t)) end
    local s = table.concat(f:size(), "x")
    if shape and s ~= shape then fail(("frame %d has shape %s, frame 1 has %s"):format(t, s, shape)) end
    shape, list[t] = s, f:contiguous()
  end
  return list
end

local function int_opt(o, k, def, lo, hi)
  local v = o[k]
  if v == nil then return def end
  if math.type(v) ~= "integer" or v < lo or v > hi then fail(("%s must be an integer in %d..%d"):format(k, lo, hi)) end
  return v
end

function M.animate(frames, opts)
  opts = opts or {}
  if type(opts) ~= "table" then fail("opts must be a table") end
  local list = frame_list(frames)
  local T = #list
  local maxv = 0
  for _, f in ipairs(list) do
    local v = f:max() -- (value, index): keep the value only
    maxv = math.max(maxv, v)
  end
  local K = int_opt(opts, "levels", math.max(2, math.tointeger(maxv) + 1), 2, 253)
  if maxv >= K then fail(("a pixel has level %d, not below levels=%d"):format(math.tointeger(maxv), K)) end
  local scale = int_opt(opts, "scale", 3, 1, 64)
  local pad = int_opt(opts, "pad", 1, 0, 64)
  local n = list[1]:size(1)
  local nrow = int_opt(opts, "nrow", math.min(n, 8), 1, 1 << 20)
  local loop = int_opt(opts, "loop", 0, -1, 65535)
  local delays = opts.delays or int_opt(opts, "delay", 10, 0, 65535)
  local energy, labels = opts.energy, opts.labels
  local function per_frame(v, what)
    if v ~= nil and (type(v) ~= "table" or #v ~= T) then fail(("%s must list %d %s (one per frame)"):format(what, T,
      what == "energy" and "numbers" or "strings")) end
  end
  per_frame(energy, "energy")
  per_frame(labels, "labels")
  local PAD, WHITE, BAR, BLACK = K, K + 1, K + 2, 0

  -- palette: K grays, pad gray, white, bar orange
  local palette = core.tensor_new("u8", K + 3, 3)
  for v = 0, K - 1 do
    local g = math.floor(v * 255 / (K - 1) + 0.5)
    for c = 1, 3 do palette:set(v + 1, c, g) end
  end
  for c, x in ipairs { 128, 128, 128 } do palette:set(PAD + 1, c, x) end
  for c, x in ipairs { 255, 255, 255 } do palette:set(WHITE + 1, c, x) end
  for c, x in ipairs { 230, 120, 20 } do palette:set(BAR + 1, c, x) end

  local g1 = core.viz_grid(list[1], nrow, scale, pad, 0, PAD, 0)
  local gh, gw = g1:size(1), g1:size(2)
  local ls = gw >= 200 and 2 or 1
  local text_h = (opts.title and 1 or 0) + (labels and 1 or 0) + (energy and 1 or 0)
  local bar_h = energy and 6 * ls or 0
  local strip = (text_h > 0 or energy) and (text_h * 6 * ls + bar_h + 2 * ls) or 0
  local out = core.tensor_new("u8", T, gh + strip, gw)
  local emin, emax
  if energy then
    for t = 1, T do
      local e = energy[t]
      if type(e) ~= "number" or e ~= e then fail(("energy[%d] is not a number"):format(t)) end
      emin, emax = math.min(emin or e, e), math.max(emax or e, e)
    end
  end
  for t = 1, T do
    local cv = out:select(1, t)
    cv:fill(WHITE)
    cv:narrow(1, 1, gh):copy(t == 1 and g1 or core.viz_grid(list[t], nrow, scale, pad, 0, PAD, 0))
    local y = gh + ls + 1
    if opts.title then
      core.viz_text(cv, 1 + ls, y, tostring(opts.title), ls, BLACK)
      y = y + 6 * ls
    end
    if labels then
      core.viz_text(cv, 1 + ls, y, tostring(labels[t]), ls, BLACK)
      y = y + 6 * ls
    end
    if energy then -- the longest of these that fits the width
      local full = ("E %.1f (range %.1f..%.1f)"):format(energy[t], emin, emax)
      local s = (4 * #full - 1) * ls <= gw - 2 * ls and full or ("E %.1f"):format(energy[t])
      core.viz_text(cv, 1 + ls, y, s, ls, BLACK)
      y = y + 6 * ls
    end
    if energy then
      -- bars of frames 1..t: column x shows frame floor((x-1) * T / gw) + 1
      local span = emax - emin
      for x = 1, gw do
        local k = (x - 1) * T // gw + 1
        if k > t then break end
        local hgt = span > 0 and math.max(1, math.floor((energy[k] - emin) / span * bar_h + 0.5)) or 1
        cv:narrow(1, y + bar_h - hgt, hgt):narrow(2, x, 1):fill(BAR)
      end
    end
  end
  if opts.path then
    if type(opts.path) ~= "string" then fail("path must be a string") end
    core.gif_write(opts.path, out, palette, delays, loop)
  end
  return out, palette
end

return M
