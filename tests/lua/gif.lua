-- gif.lua - animated GIFs: core.gif_write / gif_read (giflib) round trip, ebm.viz.animate's
-- layout and palette, sample.lua --gif, bad arguments and corrupt files.
local t = require "tap"
local core = ebm.core

local dir = os.tmpname()
os.remove(dir)
assert(require("lfs").mkdir(dir))
local function p(name) return dir .. "/" .. name end

-- round trip through giflib: 3 frames of 5x7 indices, 5 colours, per-frame delays
local fr = ebm.u8(3, 5, 7)
for k = 1, 3 do for y = 1, 5 do for x = 1, 7 do fr:set(k, y, x, (k + y * 2 + x) % 5) end end end
local pal = ebm.u8(5, 3)
for c = 1, 5 do for j = 1, 3 do pal:set(c, j, (c * 40 + j * 17) % 256) end end
core.gif_write(p("a.gif"), fr, pal, { 5, 10, 20 }, 0)
local r, rp, d = core.gif_read(p("a.gif"))
t.is_deeply(r:size(), { 3, 5, 7 }, "3 frames of 5x7 read back")
t.is_deeply(r:totable(), fr:totable(), "indices equal after the round trip")
t.is(rp:size(1), 8, "palette padded to a power of two (8)")
t.is_deeply(rp:narrow(1, 1, 5):totable(), pal:totable(), "palette colours equal")
t.is_deeply(d, { 5, 10, 20 }, "per-frame delays kept")
core.gif_write(p("b.gif"), fr:select(1, 2), pal, 7, -1)
local r2, _, d2 = core.gif_read(p("b.gif"))
t.is_deeply(r2:size(), { 1, 5, 7 }, "one [h,w] frame: a 1-frame GIF")
t.is_deeply(d2, { 7 }, "one delay for all frames")

-- bad arguments: clear errors, no file
t.error_like(function() core.gif_write(p("x.gif"), ebm.f32(2, 2, 2), pal, 1) end, "u8", "f32 frames refused")
t.error_like(function() core.gif_write(p("x.gif"), fr, ebm.u8(5, 4), 1) end, "palette", "palette of the wrong shape refused")
t.error_like(function() core.gif_write(p("x.gif"), fr, ebm.u8(257, 3), 1) end, "1..256", "more than 256 colours refused")
t.error_like(function() core.gif_write(p("x.gif"), fr, pal, { 1, 2 }) end, "3 delays", "wrong number of delays refused")
t.error_like(function() core.gif_write(p("x.gif"), fr, pal, -1) end, "delay", "negative delay refused")
t.error_like(function() core.gif_write(p("x.gif"), fr, ebm.u8(3, 3), 1) end, "not below 3 colours",
  "an index outside the palette is refused")
t.error_like(function() core.gif_write(p("x.gif"), fr, pal, 1, -2) end, "loop", "bad loop count refused")
t.error_like(function() core.gif_write(dir .. "/no/such/dir/x.gif", fr, pal, 1) end, "cannot create",
  "unwritable path is an error")
t.ok(io.open(p("x.gif")) == nil, "no file left behind by refused writes")

-- corrupt files: not a GIF, truncated
local f = assert(io.open(p("bad.gif"), "wb"))
f:write("GIF89a not really")
f:close()
t.error_like(function() core.gif_read(p("bad.gif")) end, "gif_read", "garbage after the signature is an error")
f = assert(io.open(p("png.gif"), "wb"))
f:write("\137PNG\r\n\26\n")
f:close()
t.error_like(function() core.gif_read(p("png.gif")) end, "not a GIF", "wrong signature is an error")
local whole = assert(io.open(p("a.gif"), "rb")):read("a")
f = assert(io.open(p("cut.gif"), "wb"))
f:write(whole:sub(1, #whole // 2))
f:close()
t.error_like(function() core.gif_read(p("cut.gif")) end, "gif_read", "truncated file is an error")
t.error_like(function() core.gif_read(p("missing.gif")) end, "cannot open", "missing file is an error")

-- ebm.viz.animate: frame count, size (grid + caption), level mapping, energy bars
local imgs = ebm.u8(4, 2, 3, 3) -- T=4 frames of 2 images 3x3, 4 levels
for k = 1, 4 do imgs:select(1, k):fill(k - 1) end
local out, palette = ebm.viz.animate(imgs, { path = p("anim.gif"), scale = 2, pad = 1, delay = 3,
  energy = { 4, 3, 2, 1 }, labels = { "a", "b", "c", "d" } })
-- grid: 2 images in one row: H = 1 + 3*2 + 1 = 8, W = 1 + 2*(3*2+1) = 15; caption 6+6+2 rows
t.is_deeply(out:size(), { 4, 8 + 20, 15 }, "4 frames of grid 8x15 plus a 20-row caption strip")
t.is(palette:size(1), 7, "palette: 4 grays + pad, white, bar colour")
t.is_deeply(palette:select(1, 4):totable(), { 255, 255, 255 }, "level K-1 is white")
t.is(out:get(3, 2, 2), 2, "frame 3 shows level 2 in its images")
t.is(out:get(1, 1, 1), 4, "padding uses the pad colour")
local rr, _, dd = core.gif_read(p("anim.gif"))
t.is_deeply(rr:size(), out:size(), "the written animation decodes to the same size and frame count")
t.is_deeply(rr:totable(), out:totable(), "and the same pixels")
t.is(dd[4], 3, "delay applied")
local bars = function(k) -- bar-coloured pixels in frame k
  local n = 0
  for y = 9, 28 do for x = 1, 15 do if out:get(k, y, x) == 6 then n = n + 1 end end end
  return n
end
t.ok(bars(1) > 0 and bars(4) > bars(1), "energy bars grow with the frames shown")
t.error_like(function() ebm.viz.animate({}, {}) end, "no frames", "empty frame list refused")
t.error_like(function() ebm.viz.animate({ ebm.u8(3, 3), ebm.u8(4, 3) }) end, "shape", "frames of different shapes refused")
t.error_like(function() ebm.viz.animate({ ebm.u8(3, 3):fill(5) }, { levels = 4 }) end, "levels", "level above K refused")
t.error_like(function() ebm.viz.animate({ ebm.u8(3, 3) }, { energy = { 1, 2 } }) end, "energy", "energy count checked")
t.error_like(function() ebm.viz.animate({ ebm.f32(3, 3) }) end, "u8", "float frames refused")

-- the REPL one-liner and sample.lua --gif on a tiny model written on the fly
local m = ebm.grid { height = 6, width = 6, levels = 2, stencil = "4", coupling = "spin" }
m:materialise()
local s = ebm.sampler { model = m, seed = 1 }
local x = s:chains(4, "uniform")
local fs = {}
for k = 1, 5 do s:sweep(x); fs[k] = x:t():contiguous():view(4, 6, 6) end
ebm.viz.animate(fs, { path = p("repl.gif") })
t.is(core.gif_read(p("repl.gif")):size(1), 5, "five sweeps, five frames")

local run = dir .. "/run"
local ok = os.execute("./ebmlua scripts/train_digit.lua 3 --model potts --quality-samples 0 --limit 64 --epochs 1 --batch 32 --cd-steps 1 "
  .. "--sample-sweeps 1 --quiet --out " .. run .. " >/dev/null 2>&1")
t.ok(ok, "a tiny model trained for sample.lua")
ok = os.execute(("./ebmlua scripts/sample.lua %s/model.ckpt --chains 3 --warmup 4 --samples 2 --every 3 "
  .. "--gif %s --out %s >/dev/null 2>&1"):format(run, p("s.gif"), p("s.png")))
t.ok(ok, "sample.lua --gif runs")
local sg = core.gif_read(p("s.gif"))
t.is(sg:size(1), 1 + 4 + 2 * 3, "sample.lua --gif: one frame per sweep plus the start")
t.ok(not os.execute(("./ebmlua scripts/sample.lua %s/model.ckpt --gif %s/no/dir/x.gif --warmup 1 --samples 1 "
  .. ">/dev/null 2>&1"):format(run, dir)), "sample.lua --gif to an unwritable path fails")

t.done_testing()
