-- ebm.viz: pictures of images (PNG through libpng, composition in C: runtime/viz.c).
--
--   g = ebm.viz.grid(images, {nrow=10, scale=2, pad=1, levels=K, pad_value=128,
--                             normalize=nil, path=...})
--     images: [n,h,w] (or one [h,w]) gray or [n,h,w,3] RGB; u8, f32 or f64. Returns the
--     grid, a u8 [H,W] (or [H,W,3]) tensor, and writes it as a PNG when `path` is given.
--     nrow      images per grid row (torchvision's make_grid convention); default 10
--     scale     each image pixel becomes scale x scale output pixels; default 2
--     pad       gap between images and around the border (output pixels); default 1
--     pad_value gray level of the gaps; default 128
--     levels    u8 input with values 0..K-1: mapped onto 0..255 as v*255/(K-1). Default:
--               the largest value + 1 when that is <= 16 (discretised data), else the
--               bytes as they are; levels=0 forces raw bytes. Floats: [0,1] -> 0..255.
--     normalize "image": each image's min..max -> 0..255 (weights, filters, energies);
--               "all": the min..max over all images; nil: the fixed mappings above
--   ebm.viz.save_png(path, t, {levels=K, normalize=})  -- u8 [h,w] gray or [h,w,3] RGB as
--                                 -- they are (or mapped as in grid); f32/f64 [h,w] in [0,1]
--   t = ebm.viz.load_png(path)     -- u8 [h,w] (gray) or [h,w,3] (RGB, palette); 16-bit
--                                  -- reduced to 8, alpha dropped; corrupt file: an error
--   c = ebm.viz.rows({{label="2 levels", images=t2, levels=2}, {label="raw", images=t}, ...},
--                    {scale=2, pad=1, label_scale=2, nrow=nil, path=...})
--     one labelled grid per entry, stacked top to bottom; labels drawn in a 3x5 pixel font
--     left of each grid. Entry fields: label, images (gray), levels, normalize, nrow
--     (default: all of the entry's images in one row).
--   w = ebm.viz.text(canvas, x, y, text, {scale=2, value=0})  -- draw a label (1-based x, y)
--   s = ebm.viz.blocks(images, {ncol=10, threshold=128, crop={top,bottom,left,right},
--                               labels={...}})
--     the images (u8 [n,h,w], 0..255) as text for a terminal or a README: each character
--     is one pixel wide and two tall (Unicode half blocks, so the aspect ratio is kept),
--     a pixel is ink when >= threshold; ncol images per row of the grid, rows optionally
--     labelled (labels[k] for grid row k); crop drops that many pixels on each side.
--   frames, palette = ebm.viz.animate(frames, {path="x.gif", levels=K, delay=10, energy={...},
--                                             labels={...}, ...})  -- animated GIF (ebm/io/animate.lua)

local core = require "ebm.core"
local animate = require "ebm.io.animate"

local M = {}

M.animate = animate.animate

local function opt_int(o, k, def, fname)
  local v = o[k]
  if v == nil then return def end
  if math.type(v) ~= "integer" then error(string.format("%s: option %s must be an integer", fname, k), 3) end
  return v
end

local NORMALIZE = { [false] = 0, image = 1, all = 2 }

local function normalize_code(v, fname)
  local c = NORMALIZE[v or false]
  if c == nil and v == true then c = 1 end
  if c == nil then error(fname .. ": normalize must be 'image' or 'all'", 3) end
  return c
end

-- Levels to use for u8 images when none is given (see the top of the file).
local function auto_levels(images)
  if images:dtype() ~= "u8" then return 0 end
  local h = core.data_histogram(images:contiguous())
  local maxv = 0
  for v = 255, 0, -1 do if h[v + 1] > 0 then maxv = v break end end
  if maxv <= 15 then return math.max(2, maxv + 1) end
  return 0
end

function M.grid(images, opts)
  opts = opts or {}
  if not core.is_tensor(images) then error("grid: images must be a tensor", 2) end
  local norm = normalize_code(opts.normalize, "grid")
  local levels = opts.levels
  if levels == nil then levels = norm == 0 and auto_levels(images) or 0 end
  local g = core.viz_grid(images, opt_int(opts, "nrow", 10, "grid"), opt_int(opts, "scale", 2, "grid"),
    opt_int(opts, "pad", 1, "grid"), levels, opt_int(opts, "pad_value", 128, "grid"), norm)
  if opts.path then core.png_write(opts.path, g) end
  return g
end

function M.save_png(path, t, opts)
  opts = opts or {}
  if type(path) ~= "string" then error("save_png: path must be a string", 2) end
  if not core.is_tensor(t) then error("save_png: expected a tensor", 2) end
  local norm = normalize_code(opts.normalize, "save_png")
  if t:dtype() ~= "u8" or opts.levels or norm ~= 0 then
    local rgb = t:dim() == 3 and t:size(3) == 3
    if t:dim() ~= 2 and not rgb then error("save_png: expected a tensor [h,w] or [h,w,3]", 2) end
    if rgb then t = t:view(1, t:size(1), t:size(2), 3) end
    t = core.viz_grid(t, 1, 1, 0, opts.levels or 0, 0, norm)
  end
  core.png_write(path, t)
  return t
end

M.load_png = core.png_read

function M.text(canvas, x, y, s, opts)
  opts = opts or {}
  return core.viz_text(canvas, x, y, tostring(s), opts.scale or 2, opts.value or 0)
end

local HALF = {[0] = " ", "\u{2580}", "\u{2584}", "\u{2588}"} -- none, upper, lower, both

function M.blocks(images, opts)
  opts = opts or {}
  if not core.is_tensor(images) or images:dim() ~= 3 or images:dtype() ~= "u8" then
    error("blocks: expected u8 images [n, h, w]", 2)
  end
  local n, h, w = images:size(1), images:size(2), images:size(3)
  local ncol = opt_int(opts, "ncol", 10, "blocks")
  local thr = opts.threshold or 128
  local cr = opts.crop or {0, 0, 0, 0}
  local r0, r1, c0, c1 = cr[1] + 1, h - cr[2], cr[3] + 1, w - cr[4]
  if ncol < 1 or r0 > r1 or c0 > c1 then error("blocks: ncol must be >= 1 and crop must leave pixels", 2) end
  local labw = 0
  for _, l in pairs(opts.labels or {}) do labw = math.max(labw, #tostring(l)) end
  local lines = {}
  for g0 = 1, n, ncol do
    local row = (g0 - 1) // ncol + 1
    for y = r0, r1, 2 do
      local parts = {}
      if labw > 0 then
        local l = y == r0 and tostring(opts.labels[row] or "") or ""
        parts[1] = l .. string.rep(" ", labw - #l) .. " "
      end
      for k = g0, math.min(n, g0 + ncol - 1) do
        local img, cells = images:select(1, k), {}
        for x = c0, c1 do
          local up = img:get(y, x) >= thr and 1 or 0
          local lo = (y + 1 <= r1 and img:get(y + 1, x) >= thr) and 2 or 0
          cells[#cells + 1] = HALF[up + lo]
        end
        parts[#parts + 1] = table.concat(cells) .. (k < math.min(n, g0 + ncol - 1) and " " or "")
      end
      lines[#lines + 1] = (table.concat(parts):gsub("%s+$", ""))
    end
    if g0 + ncol <= n then lines[#lines + 1] = "" end
  end
  return table.concat(lines, "\n") .. "\n"
end

function M.rows(entries, opts)
  opts = opts or {}
  if type(entries) ~= "table" or #entries == 0 then error("rows: expected a non-empty list of entries", 2) end
  local ls = opt_int(opts, "label_scale", 2, "rows")
  local pad = opt_int(opts, "pad", 1, "rows")
  local grids, labw, width, height = {}, 0, 0, 0
  for i, e in ipairs(entries) do
    if type(e) ~= "table" or not core.is_tensor(e.images) then
      error(string.format("rows: entry %d needs images= (a tensor)", i), 2)
    end
    if e.images:dim() == 4 then error(string.format("rows: entry %d: RGB images are not supported here", i), 2) end
    local n = e.images:dim() == 3 and e.images:size(1) or 1
    local g = M.grid(e.images, { nrow = e.nrow or opts.nrow or n, scale = opts.scale or 2, pad = pad,
                                 levels = e.levels, pad_value = opts.pad_value, normalize = e.normalize })
    grids[i] = g
    if e.label then labw = math.max(labw, (4 * #tostring(e.label) - 1) * ls + 6 * ls) end
    width, height = math.max(width, g:size(2)), height + g:size(1)
  end
  local canvas = core.tensor_new("u8", height, labw + width):fill(255)
  local y = 1
  for i, e in ipairs(entries) do
    local g = grids[i]
    canvas:narrow(1, y, g:size(1)):narrow(2, labw + 1, g:size(2)):copy(g)
    if e.label then
      core.viz_text(canvas, 1 + 3 * ls, y + (g:size(1) - 5 * ls) // 2, tostring(e.label), ls, 0)
    end
    y = y + g:size(1)
  end
  if opts.path then core.png_write(opts.path, canvas) end
  return canvas
end

return M
