-- plot.lua - ebm.plot: gnuplot writes real PNGs of the asked size; failures are errors.
local t = require "tap"
local plot, viz = ebm.plot, ebm.viz

if not plot.available() then
  t.skip("gnuplot not installed (sh tools/deps.sh gnuplot-nox)", 1)
  t.done_testing()
end

local dir = os.tmpname()
os.remove(dir)
assert(require("lfs").mkdir(dir))
local function p(name) return dir .. "/" .. name end

local x, y = {}, {}
for i = 1, 30 do x[i], y[i] = i, math.exp(-i / 8) end
local out = plot.lines { path = p("lines.png"), title = "loss_curve", xlabel = "epoch", ylabel = "loss", logy = true,
  series = { { name = "a", x = x, y = y }, { name = "b", y = ebm.f64(y), style = "points" } } }
t.is(out, p("lines.png"), "lines returns its path")
local img = viz.load_png(p("lines.png"))
t.is_deeply({ img:size(1), img:size(2) }, { 500, 800 }, "lines: a valid 800x500 PNG")

plot.lines({ { x = { 1, 2, 3 }, y = { 3, 1, 2 }, title = "trial" } }, { path = p("lines2.png"), title = "sweep" })
t.is(viz.load_png(p("lines2.png")):size(2), 800, "lines(series, opts) form writes a PNG")

plot.histogram { path = p("hist.png"), values = { 1, 2, 2, 3, 3, 3, 4 }, bins = 4, width = 640, height = 480 }
img = viz.load_png(p("hist.png"))
t.is_deeply({ img:size(1), img:size(2) }, { 480, 640 }, "histogram of values: a valid 640x480 PNG")
plot.histogram { path = p("hist2.png"), x = { 0, 1, 2 }, counts = { 5, 0, 7 } }
t.is(viz.load_png(p("hist2.png")):size(2), 800, "histogram of counts: a valid PNG")

plot.bars { path = p("bars.png"), labels = { "x", "y", "z" }, series = { { name = "s1", values = { 1, 2, 3 } },
  { name = "s2", values = { 3, 2, 1 } } } }
t.is(viz.load_png(p("bars.png")):size(1), 500, "bars: a valid PNG")

t.error_like(function() plot.lines { series = { { y = { 1 } } } } end, "path=", "path is required")
t.error_like(function() plot.lines { path = p("bad.png"), series = { { x = { 1, 2 }, y = { 1 } } } } end,
  "2 x values and 1 y values", "x/y length mismatch")
t.error_like(function() plot.lines { path = p("bad.png"), key = "nowhere at all", series = { { y = { 1, 2 } } } } end,
  "gnuplot failed", "a gnuplot error is reported")
t.ok(io.open(p("bad.png")) == nil, "no PNG left behind after a failure")
-- without gnuplot on PATH: a clear error naming the package
local pr = io.popen(string.format("PATH=/nonexistent '%s' -e 'ebm.plot.lines{path=%q, series={{y={1,2}}}}' 2>&1",
  ebm.sys.exe(), p("nognuplot.png")))
local msg = pr:read("a")
pr:close()
t.ok(msg:find("gnuplot not found") and msg:find("gnuplot%-nox"), "gnuplot missing: error names gnuplot-nox")
local n = 0
for _ in require("lfs").dir(dir) do n = n + 1 end
t.is(n, 2 + 5, "only the five PNGs in the folder (no temporary files)")

os.execute("rm -rf '" .. dir .. "'")
t.done_testing()
