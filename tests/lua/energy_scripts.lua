-- energy_scripts.lua - scripts/efficiency.lua, landscape.lua and animations.lua: --help, bad
-- options (exit 2, one line), and short real runs whose outputs are checked.
local t = require "tap"
local cjson = require "cjson"

local dir = os.tmpname()
os.remove(dir)
assert(require("lfs").mkdir(dir))

local function run(cmd)
  local p = io.popen(cmd .. " 2>&1; echo rc=$?")
  local out = p:read("a")
  p:close()
  return out, tonumber(out:match("rc=(%d+)\n$"))
end

for _, s in ipairs { "efficiency", "landscape", "animations" } do
  local out, rc = run("./ebmlua scripts/" .. s .. ".lua --help")
  t.ok(rc == 0 and out:match("Usage:"), s .. ".lua --help prints usage")
end
local out, rc = run("./ebmlua scripts/efficiency.lua --watts 5,1")
t.ok(rc == 2 and out:match("LO,HI"), "efficiency.lua: inverted --watts is a usage error")
out, rc = run("./ebmlua scripts/landscape.lua /no/such.ckpt")
t.ok(rc == 2 and out:match("not found"), "landscape.lua: missing checkpoint is a usage error")
out, rc = run("./ebmlua scripts/animations.lua /no/such.ckpt")
t.ok(rc == 2 and out:match("not found"), "animations.lua: missing checkpoint is a usage error")

-- efficiency.lua: one timed call per configuration, no instruction count
local js = dir .. "/eff.json"
out, rc = run("./ebmlua scripts/efficiency.lua --reps 1 --no-count --json " .. js)
t.is(rc, 0, "efficiency.lua --reps 1 --no-count runs")
if rc ~= 0 then t.diag(out) end
local e = cjson.decode(assert(io.open(js)):read("a"))
t.is(#e.rows, 5, "five configurations measured")
local okrows = true
for _, r in ipairs(e.rows) do
  if not (r.cpu_ns > 0 and r.wall_ns > 0 and r.j_lo > 0 and r.j_hi >= r.j_lo) then okrows = false end
end
t.ok(okrows, "every row has positive times and an energy range lo <= hi")
t.ok(e.rows[1].bytes_per_update < e.rows[2].bytes_per_update, "packed kernel moves fewer bytes per update than u8")
t.near(e.landauer_j, 2.871e-21, 1e-24, "Landauer kT ln 2 at 300 K")

-- a tiny trained model for the other two scripts
local ckdir = dir .. "/run"
out, rc = run("./ebmlua scripts/train_digit.lua 3 --model potts --quality-samples 0 --levels 2 --limit 64 --epochs 1 --batch 32 --cd-steps 1 "
  .. "--sample-sweeps 1 --quiet --out " .. ckdir)
t.is(rc, 0, "tiny binary model trained")
if rc ~= 0 then t.diag(out) end
out, rc = run(("./ebmlua scripts/landscape.lua %s/model.ckpt --n 20 --quench 20 --grid 4 --path-steps 4 "
  .. "--path-chains 2 --sample-sweeps 2 --out %s/land"):format(ckdir, dir))
t.is(rc, 0, "landscape.lua runs on it")
if rc ~= 0 then t.diag(out) end
local l = cjson.decode(assert(io.open(dir .. "/land/summary.json")):read("a"))
local m = l.models[1]
t.is(#m.sets, 8, "data, samples, other digits, noise and 4 corruption rates")
local aucok = true
for k = 2, #m.sets do if not (m.sets[k].auc >= 0 and m.sets[k].auc <= 1) then aucok = false end end
t.ok(aucok, "AUCs in [0, 1]")
t.ok(m.basins[1].converged and m.basins[2].converged, "quenches converged to local minima")
t.ok(m.basins[1].distinct >= 1 and m.basins[1].distinct <= 20, "distinct minima counted among 20 chains")
t.ok(m.paths[1].barrier_straight >= 0 and m.paths[1].barrier_gibbs >= 0, "barriers are >= 0 by definition")
for _, f in ipairs { "hist", "pca", "paths", "minima" } do
  t.ok(io.open(("%s/land/landscape-%s-run.png"):format(dir, f)), "wrote landscape-" .. f .. "-run.png")
end
out, rc = run(("./ebmlua scripts/animations.lua %s/model.ckpt --quick --out %s/anim"):format(ckdir, dir))
t.is(rc, 0, "animations.lua --quick runs")
if rc ~= 0 then t.diag(out) end
local fr = ebm.core.gif_read(dir .. "/anim/blocks.gif")
t.is(fr:size(1), 1 + 2, "blocks.gif: the start and one frame per block (2 blocks, 1 sweep)")

t.done_testing()
