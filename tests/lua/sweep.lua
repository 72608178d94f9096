-- sweep.lua - ebm.sweep: trial expansion, spec parsing, and a 2-trial grid run through
-- GNU parallel with a stub trainer, collected into a ranked table.
local t = require "tap"
local _
local ebm = require "ebm"
local sweep = ebm.sweep

-- spec parsing
local name, spec = sweep.parse_spec("lr=0.01,0.03")
t.is(name, "lr", "spec name")
t.is_deeply(spec, { 0.01, 0.03 }, "spec values")
_, spec = sweep.parse_spec("pcd=true,false")
t.is_deeply(spec, { true, false }, "flag values")
_, spec = sweep.parse_spec("lr=log:1e-3:1e-1")
t.is_deeply(spec, { log = { 1e-3, 1e-1 } }, "log range")
t.is(sweep.parse_spec("lr=log:0:1"), nil, "log range needs lo > 0")
t.is(sweep.parse_spec("oops"), nil, "bad spec")

-- grid and random expansion
local trials = sweep.trials({ a = { 1, 2, 3 }, b = { true, false } })
t.is(#trials, 6, "grid is the Cartesian product")
local r1 = sweep.trials({ lr = { log = { 1e-3, 1e-1 } }, k = { int = { 1, 5 } } }, 20, 3)
local r2 = sweep.trials({ lr = { log = { 1e-3, 1e-1 } }, k = { int = { 1, 5 } } }, 20, 3)
t.is_deeply(r1, r2, "random draws are reproducible for a seed")
local inrange = true
for _, x in ipairs(r1) do
  if x.lr < 1e-3 or x.lr > 1e-1 or x.k < 1 or x.k > 5 or math.type(x.k) ~= "integer" then inrange = false end
end
t.ok(inrange, "random draws stay in their ranges")
t.is_deeply(sweep.option_args({ lr = 0.5, pcd = true, x = false }), { "--lr", "0.5", "--pcd" }, "option args")

-- run a 2-trial grid through GNU parallel with a stub trainer
local dir = os.tmpname(); os.remove(dir)
local stub = os.tmpname()
local f = io.open(stub, "w")
f:write([[
local argparse = require "argparse"
local p = argparse("stub")
p:option("--lr"):convert(tonumber); p:option("--out"); p:option("--epochs"):convert(tonumber)
local a = p:parse()
local r = ebm.run.new{out = a.out, config = {lr = a.lr}}
for e = 1, a.epochs do r:log{epoch = e, step = e, valid_pll = -1 / (a.lr * e), seconds = e} end
r:close()
]])
f:close()
if os.execute("parallel --version >/dev/null 2>&1") then
  local plan = sweep.plan { name = "tap", out = dir, script = stub, args = { "--epochs", "2" }, space = { lr = { 0.1, 0.2 } } }
  t.is(#plan.trials, 2, "two trials")
  t.ok(sweep.run(plan, { jobs = 2 }), "parallel ran both trials")
  local rows = sweep.collect(dir, { metric = "valid_pll" })
  t.is(rows[1].options.lr, 0.2, "best trial ranked first")
  t.near(rows[1].final, -2.5, 1e-9, "its final metric")
  t.is(rows[2].status, "ok", "exit status from the joblog")
  local md = io.open(dir .. "/results.md"):read("a")
  t.ok(md:find("| 1 | t02-lr0.2 | 0.2 |", 1, true), "ranked markdown table")
  t.ok(io.open(dir .. "/sweep.slurm"):read("a"):find("#SBATCH --array=1-2", 1, true), "Slurm job array script")
  local pc = sweep.parallel_command(plan, { jobs = 4, sshloginfile = "hosts.txt" })
  t.ok(pc:find("-j 4", 1, true) and pc:find("--sshloginfile hosts.txt", 1, true), "parallel command passes -j and --sshloginfile")
else
  t.skip("GNU parallel not installed", 8)
end
os.execute("rm -rf '" .. dir .. "' '" .. stub .. "'")

-- a real 2-trial grid of scripts/train_digit.lua through the script and GNU parallel
if os.execute("parallel --version >/dev/null 2>&1") then
  dir = os.tmpname(); os.remove(dir)
  local ok = os.execute("./ebmlua scripts/sweep.lua --out " .. dir .. " --grid cd-steps=1,3 -j 2 " ..
    "--args '3 --model potts --quality-samples 0 --limit 200 --epochs 1 --batch 50 --sample-sweeps 2 --quiet' > /dev/null")
  t.ok(ok, "sweep.lua runs a 2-trial train_digit grid")
  local rows = sweep.collect(dir, { metric = "valid_pll" })
  t.is(#rows, 2, "two trials collected")
  t.ok(rows[1].final and rows[2].final and rows[1].final >= rows[2].final, "ranked by final validation PLL")
  t.is(rows[1].status, "ok", "trial exit status ok")
  os.execute("rm -rf '" .. dir .. "'")
else
  t.skip("GNU parallel not installed", 4)
end

-- the script's argument errors exit 2
local function rc(cmd) local _, _, code = os.execute(cmd .. " >/dev/null 2>&1"); return code end
t.is(rc("./ebmlua scripts/sweep.lua --grid lr=log:1:2"), 2, "range without --random exits 2")
t.is(rc("./ebmlua scripts/sweep.lua"), 2, "no --grid exits 2")
t.done_testing()
