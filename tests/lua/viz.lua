-- viz.lua - ebm.viz: PNG round trip, grid layout and value mapping, rows, corrupt files.
local t = require "tap"
local viz = ebm.viz

local dir = os.tmpname()
os.remove(dir)
assert(require("lfs").mkdir(dir))
local function p(name) return dir .. "/" .. name end

-- round trip of a gray and an RGB tensor
local g = ebm.u8(19, 31)
for y = 1, 19 do for x = 1, 31 do g:set(y, x, (y * 31 + x * 7) % 256) end end
viz.save_png(p("g.png"), g)
local r = viz.load_png(p("g.png"))
t.is_deeply(r:size(), { 19, 31 }, "gray PNG reads back as [19,31]")
t.is_deeply(r:totable(), g:totable(), "gray PNG round trip equal")
local c = ebm.u8(5, 4, 3)
for y = 1, 5 do for x = 1, 4 do for k = 1, 3 do c:set(y, x, k, (y * 50 + x * 20 + k * 70) % 256) end end end
viz.save_png(p("c.png"), c)
t.is_deeply(viz.load_png(p("c.png")):totable(), c:totable(), "RGB PNG round trip equal")
viz.save_png(p("t.png"), g:t())
t.is_deeply(viz.load_png(p("t.png")):totable(), g:t():totable(), "non-contiguous tensor saved correctly")

-- grid: shape, placement, mapping of levels and floats
local imgs = ebm.u8(7, 3, 2)
for k = 1, 7 do imgs:select(1, k):fill(k % 2) end -- binary: odd images all 1
local grid = viz.grid(imgs, { nrow = 3, scale = 2, pad = 1, path = p("grid.png") })
-- rows = ceil(7/3) = 3, cols = 3: H = 3*(3*2+1)+1 = 22, W = 3*(2*2+1)+1 = 16
t.is_deeply(grid:size(), { 22, 16 }, "grid of 7 images, 3 per row: [22,16]")
t.is(grid:get(1, 1), 128, "padding is gray 128")
t.is(grid:get(2, 2), 255, "image 1 (value 1 of 2 levels) shows white")
t.is(grid:get(2, 7), 0, "image 2 (value 0) shows black")
t.is(grid:get(16, 2), 255, "image 7 starts row 3")
t.is(grid:get(16, 7), 128, "past the last image: padding")
t.is_deeply(viz.load_png(p("grid.png")):totable(), grid:totable(), "grid PNG written and equal")
local q = ebm.u8 { { { 0, 1, 2, 3 } } }
t.is_deeply(viz.grid(q, { levels = 4, pad = 0, scale = 1 }):totable(), { { 0, 85, 170, 255 } }, "4 levels -> 0,85,170,255")
t.is_deeply(viz.grid(q, { levels = 0, pad = 0, scale = 1 }):totable(), { { 0, 1, 2, 3 } }, "levels=0: raw bytes")
local f = ebm.f32 { { { -1, 0, 0.5, 1, 2 } } }
t.is_deeply(viz.grid(f, { pad = 0, scale = 1 }):totable(), { { 0, 0, 128, 255, 255 } }, "f32 clamped to [0,1] -> 0..255")
-- normalize: per image and over all
local fw = ebm.f32 { { { -2, 0, 2 } }, { { 10, 20, 30 } } }
t.is_deeply(viz.grid(fw, { normalize = "image", pad = 0, scale = 1, nrow = 2 }):totable(),
  { { 0, 128, 255, 0, 128, 255 } }, "normalize='image': each image min..max -> 0..255")
t.is_deeply(viz.grid(fw, { normalize = "all", pad = 0, scale = 1, nrow = 2 }):totable(),
  { { 0, 16, 32, 96, 175, 255 } }, "normalize='all': global min..max -> 0..255")
t.is_deeply(viz.grid(ebm.f32 { { { 5, 5 } } }, { normalize = "image", pad = 0, scale = 1 }):totable(),
  { { 128, 128 } }, "a constant image normalises to mid-gray")
-- RGB images: [n,h,w,3] -> [H,W,3], written as a colour PNG
local col = ebm.u8(2, 2, 2, 3)
col:select(4, 1):fill(200) -- red channel
col:select(1, 2):select(3, 3):fill(50) -- image 2: blue 50
local cg = viz.grid(col, { nrow = 2, scale = 2, pad = 1, pad_value = 0, path = p("rgb_grid.png") })
t.is_deeply(cg:size(), { 6, 11, 3 }, "RGB grid of 2 images: [6,11,3]")
t.is_deeply({ cg:get(2, 2, 1), cg:get(2, 2, 2), cg:get(2, 2, 3) }, { 200, 0, 0 }, "RGB grid: image 1 red")
t.is_deeply({ cg:get(3, 8, 1), cg:get(3, 8, 2), cg:get(3, 8, 3) }, { 200, 0, 50 }, "RGB grid: image 2 red + blue")
t.is_deeply(viz.load_png(p("rgb_grid.png")):totable(), cg:totable(), "RGB grid PNG round trip")
local big = viz.grid(ebm.data.mnist { limit = 10000, split = "test" }, { nrow = 100, scale = 1, pad = 0 })
t.is_deeply(big:size(), { 2800, 2800 }, "10k MNIST images: a 2800x2800 grid")
t.error_like(function() viz.grid(ebm.i32(2, 2, 2)) end, "u8, f32 or f64", "i32 images rejected")
t.error_like(function() viz.grid(imgs, { scale = 0 }) end, "scale", "scale 0 rejected")

-- rows: labelled grids stacked
local raw = ebm.data.mnist { limit = 6 }
local canvas = viz.rows({ { label = "raw", images = raw },
                          { label = "2 levels", images = ebm.data.discretize(raw, { levels = 2 }) } },
                        { scale = 1, pad = 1, path = p("rows.png") })
t.is(canvas:size(1), 2 * 30, "rows: two grids of height 30")
t.cmp_ok(canvas:size(2), ">", 6 * 29 + 1, "rows: label column added")
t.is_deeply(viz.load_png(p("rows.png")):size(), canvas:size(), "rows PNG written")

-- corrupt PNG: truncated and a byte flipped are errors, not crashes
local fh = io.open(p("g.png"), "rb")
local bytes = fh:read("a")
fh:close()
local function write(name, s) local o = io.open(p(name), "wb") o:write(s) o:close() return p(name) end
t.error_like(function() viz.load_png(write("cut.png", bytes:sub(1, #bytes // 2))) end, "png_read: .*cut.png", "truncated PNG is an error")
local flipped = bytes:sub(1, 40) .. string.char(bytes:byte(41) ~ 0xFF) .. bytes:sub(42)
t.error_like(function() viz.load_png(write("flip.png", flipped)) end, "png_read", "PNG with a flipped byte is an error")
t.error_like(function() viz.load_png(write("txt.png", "hello")) end, "not a PNG", "text file is not a PNG")
t.error_like(function() viz.save_png(dir .. "/no/such/dir.png", g) end, "png_write", "unwritable path is an error")

os.execute("rm -rf '" .. dir .. "'")
-- Text rendering: one character per pixel column and per two pixel rows.
do
  local im = ebm.u8(2, 4, 3)
  im:select(1, 1):select(1, 1):fill(255)       -- image 1: top row ink
  im:select(1, 1):set(4, 2, 200)               -- and one pixel of the bottom row
  im:select(1, 2):fill(255)                    -- image 2: all ink
  im:select(1, 2):set(2, 3, 127)               -- one pixel just below the threshold
  local s = viz.blocks(im, {ncol = 2, labels = {"ab"}})
  local U, L, F = "\u{2580}", "\u{2584}", "\u{2588}"
  t.is(s, "ab " .. U .. U .. U .. " " .. F .. F .. U .. "\n" .. "    " .. L .. "  " .. F .. F .. F .. "\n",
    "half blocks: upper, lower, both; threshold 128; labels and gaps")
  local s2 = viz.blocks(im, {ncol = 1, crop = {0, 2, 1, 0}})
  t.is(s2, U .. U .. "\n\n" .. F .. U .. "\n", "one image per row, crop, blank line between grid rows")
  t.error_like(function() viz.blocks(ebm.f32(1, 2, 2)) end, "u8 images", "non-u8 input is refused")
  t.error_like(function() viz.blocks(im, {crop = {4, 0, 0, 0}}) end, "crop", "crop that leaves nothing is refused")
end

t.done_testing()
