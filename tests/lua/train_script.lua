-- train_script.lua - scripts/train_digit.lua: argument errors exit 2 with one line, --help,
-- and a tiny run leaves a complete run folder.
local t = require "tap"
local _
local ebm = require "ebm"
local lfs = require "lfs"

local sh = ebm.sys.capture
local script = "./ebmlua scripts/train_digit.lua "

local out, rc = sh(script .. "--help")
t.is(rc, 0, "--help exits 0")
t.ok(out:find("--cd-steps", 1, true) and out:find("--pcd", 1, true) and out:find("--resume", 1, true), "--help lists the options")

for _, c in ipairs {
  { "12", "digit must be 0%-9" },
  { "3 --levels 5", "levels" },
  { "3 --model foo", "model" },
  { "3 --epochs 0", "epochs" },
  { "3 --lr 0", "lr" },
  { "3 --bogus", "bogus" },
  { "3 --model potts --resume /nonexistent/model.ckpt", "not found" },
  { "", "digit" },
} do
  out, rc = sh(script .. c[1])
  t.is(rc, 2, "'" .. c[1] .. "' exits 2")
  t.ok(out:find(c[2]) and select(2, out:gsub("\n", "")) == 1, "'" .. c[1] .. "': one line naming the problem")
end

-- a tiny run
local dir = os.tmpname(); os.remove(dir)
out, rc = sh(script .. "3 --model potts --limit 300 --epochs 2 --batch 50 --cd-steps 2 --sample-sweeps 5 --quality-samples 0 --out " .. dir)
t.is(rc, 0, "a tiny run succeeds")
if rc ~= 0 then t.diag(out) end
for _, f in ipairs { "config.json", "metrics.csv", "model.ckpt", "report.html", "summary.json",
  "samples/epoch-001.png", "samples/epoch-002.png" } do
  t.is(lfs.attributes(dir .. "/" .. f, "mode"), "file", f .. " exists")
end
local plots = 0
for f in lfs.dir(dir .. "/plots") do if f:match("%.png$") then plots = plots + 1 end end
t.cmp_ok(plots, ">=", 4, "plots/ holds PNG plots")
local meta = ebm.run.read_json(dir .. "/config.json")
t.is(meta.config.cd_steps, 2, "config.json records the options")
t.is(meta.config.model, "potts", "config.json records the model")
t.is(meta.config.levels, 4, "config.json records the defaults")
local rows = ebm.run.read_metrics(dir .. "/metrics.csv")
local epochs = 0
for _, r in ipairs(rows) do if r.valid_pll then epochs = epochs + 1 end end
t.is(epochs, 2, "one validation row per epoch")
t.ok(rows[#rows].valid_pll < 0 and rows[#rows].valid_pll > -math.log(4), "validation PLL per pixel in (-log K, 0)")
local img = ebm.viz.load_png(dir .. "/samples/epoch-002.png")
t.cmp_ok(img:size(1), ">", 56, "sample grid has data and model rows")
local html = io.open(dir .. "/report.html"):read("a")
t.ok(html:find("samples/epoch-002.png", 1, true) and html:find("plots/", 1, true), "report links samples and plots")
t.ok(html:find("independent-pixel baseline", 1, true), "report shows the independent-pixel baseline")

-- scripts/sample.lua on the checkpoint: free sampling and inpainting
_, rc = sh("./ebmlua scripts/sample.lua " .. dir .. "/model.ckpt --chains 4 --warmup 5 --samples 2 --every 3")
t.is(rc, 0, "sample.lua runs")
t.is(lfs.attributes(dir .. "/sample.png", "mode"), "file", "sample.lua writes sample.png")
_, rc = sh("./ebmlua scripts/sample.lua " .. dir .. "/model.ckpt --chains 3 --warmup 5 --samples 2 --every 3 --clamp top --out " .. dir .. "/inp.png")
t.is(rc, 0, "sample.lua --clamp runs")
local inp = ebm.viz.load_png(dir .. "/inp.png")
t.cmp_ok(inp:size(1), ">", 4 * 56, "inpainting grid: data, input and 2 snapshot rows")
_, rc = sh("./ebmlua scripts/sample.lua " .. dir .. "/nothere.ckpt")
t.is(rc, 2, "sample.lua: missing checkpoint exits 2")
_, rc = sh("./ebmlua scripts/sample.lua " .. dir .. "/model.ckpt --clamp middle")
t.is(rc, 2, "sample.lua: bad --clamp exits 2")
os.execute("rm -rf '" .. dir .. "'")

-- scripts/train_all_digits.lua, tiny: ten models, a table and a 10-row grid
dir = os.tmpname(); os.remove(dir)
out, rc = sh("./ebmlua scripts/train_all_digits.lua --model potts --quality-samples 0 --no-all --epochs 1 --limit 60 " ..
  "--batch 30 --cd-steps 1 --sample-sweeps 2 --log-every 0 --quiet --out " .. dir)
t.is(rc, 0, "train_all_digits.lua runs")
if rc ~= 0 then t.diag(out) end
local md = io.open(dir .. "/comparison.md") and io.open(dir .. "/comparison.md"):read("a") or ""
local nrows = 0
for _ in md:gmatch("\n| %d | ") do nrows = nrows + 1 end
t.is(nrows, 10, "comparison table has one row per digit")
t.is(lfs.attributes(dir .. "/samples.png", "mode"), "file", "10-row sample grid written")
_, rc = sh("./ebmlua scripts/train_all_digits.lua --levels 3")
t.is(rc, 2, "train_all_digits.lua: bad --levels exits 2")
os.execute("rm -rf '" .. dir .. "'")
t.done_testing()
