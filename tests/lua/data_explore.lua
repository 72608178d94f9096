-- data_explore.lua - scripts/explore_data.lua runs, writes its pictures and summary, and
-- rejects bad arguments with exit status 2.
local t = require "tap"
local cjson = require "cjson"

local exe = ebm.sys.exe()
local dir = os.tmpname()
os.remove(dir)
local function sh(cmd)
  local _, how, code = os.execute(cmd)
  return how == "exit" and code or -1
end

local log = dir .. ".log"
local rc = sh(string.format("'%s' scripts/explore_data.lua --out '%s' --repeat 1 --per-class 3 >'%s' 2>&1", exe, dir, log))
t.is(rc, 0, "explore_data.lua exits 0")
local text = io.open(log):read("a")
t.ok(text:find("images per class") and text:find("K=16"), "prints class counts and level fractions")
t.ok(text:find("raw 0..255%s+[%d.]+ ms"), "prints the load timing")
local s = cjson.decode(io.open(dir .. "/summary.json"):read("a"))
t.is(s.images, 60000, "summary: 60000 training images")
t.is(s.class_counts.train[2], 6742, "summary: 6742 ones in train")
t.is(#s.level_fractions["4"], 4, "summary: four level fractions for K=4")
local img = ebm.viz.load_png(dir .. "/samples_per_class.png")
t.is(img:dim(), 2, "samples_per_class.png is a gray image")
t.is(img:size(1), 10 * (28 * 2 + 2), "samples_per_class.png has 10 rows of digits")
local lv = ebm.viz.load_png(dir .. "/levels.png")
t.is(lv:size(1), 5 * (28 * 3 + 2), "levels.png has 5 rows (raw, 16, 4, 2 levels, stochastic)")
if ebm.plot.available() then
  t.is(ebm.viz.load_png(dir .. "/pixel_histogram.png"):size(2), 800, "pixel_histogram.png written")
else
  t.skip("gnuplot not installed", 1)
end
t.is(sh(string.format("'%s' scripts/explore_data.lua --split nope >/dev/null 2>&1", exe)), 2, "bad --split: exit 2")
t.is(sh(string.format("'%s' scripts/explore_data.lua --bogus >/dev/null 2>&1", exe)), 2, "unknown option: exit 2")

os.execute(string.format("rm -rf '%s' '%s'", dir, log))
t.done_testing()
