-- sweep.lua - hyperparameter search: each trial a separate ebmlua process with its own
-- run folder, executed by GNU parallel; results ranked in a markdown table and a plot.
--
--   ebmlua scripts/sweep.lua --name lr --grid lr=0.01,0.03 --grid cd-steps=1,10 -j 2 \
--          --args '3 --epochs 2'
--   ebmlua scripts/sweep.lua --name rnd --random 8 --grid lr=log:1e-3:1e-1 \
--          --grid batch=32,64,128 --grid pcd=true,false
--   ebmlua scripts/sweep.lua --collect runs/sweep-lr          # only (re)collect results
--   ebmlua scripts/sweep.lua ... --dry-run                    # write commands + sweep.slurm
local ebm = require "ebm"
local cli = ebm.cli
local sweep = ebm.sweep

local p = cli.parser("sweep.lua", "Hyperparameter search over a grid or random samples, run through GNU parallel.")
p:epilog([[
Option specs (--grid, repeatable):  name=v1,v2,...   a list of values (true/false for flags)
                                    name=log:lo:hi   log-uniform range  (with --random)
                                    name=lin:lo:hi   uniform range      (with --random)
                                    name=int:lo:hi   integer range      (with --random)
Each trial runs: ebmlua SCRIPT ARGS --name value ... --out SWEEPDIR/TRIAL
Outputs in SWEEPDIR (runs/sweep-NAME): commands.txt, trials.json, sweep.slurm (Slurm job
array running the same commands), joblog.tsv, results.md, results.csv, plots/.]])
p:option("--name", "Sweep name (folder runs/sweep-NAME).", "sweep")
p:option("--out", "Sweep folder (instead of runs/sweep-NAME)."):convert(cli.outdir)
p:option("--script", "Training script each trial runs.", "scripts/train_digit.lua")
p:option("--args", "Fixed arguments for every trial (one string, split on spaces).", "")
p:option("--grid", "Option spec (repeatable), see below."):count("*")
p:option("--random", "Draw N random trials instead of the full grid."):convert(cli.int(1, 1000000))
p:option("--seed", "Seed of the random draws.", "1"):convert(cli.int())
p:option("-j --jobs", "Trials run at once (GNU parallel -j: a count or a percentage of the cores).", "1")
  :convert(cli.converter(function(s)
    if tostring(s):match("^%d+%%$") then return s end
    local v = math.tointeger(tonumber(s))
    if v and v >= 1 then return v end
    return nil, "must be a positive integer or a percentage (e.g. 50%), got '" .. tostring(s) .. "'"
  end))
p:option("--sshloginfile", "GNU parallel --sshloginfile (hosts sharing this file system).")
p:option("--metric", "metrics.csv column to rank by.", "valid_pll")
p:flag("--minimize", "Lower metric is better.")
p:flag("--dry-run", "Write commands.txt and sweep.slurm, print the parallel command, run nothing.")
p:option("--collect", "Only collect the results of an existing sweep folder."):convert(cli.dir)

local a = cli.parse(p)
if a.name == "" or a.name:find("[/%c]") then cli.main(cli.usage, "--name: must be a non-empty name without '/', got '%s'", a.name) end

if a.collect then
  cli.main(function()
    sweep.collect(a.collect, { metric = a.metric, minimize = a.minimize })
    io.write(ebm.run.read_file(a.collect .. "/results.md") or "")
  end)
  os.exit(0)
end

local space = {}
cli.main(function()
  if #a.grid == 0 then cli.usage("give at least one --grid name=values") end
  for _, s in ipairs(a.grid) do
    local name, spec = sweep.parse_spec(s)
    if not name then cli.usage("--grid: %s", spec) end
    if not a.random and spec[1] == nil then cli.usage("--grid: range '%s' needs --random N", s) end
    space[name] = spec
  end
  local okf, ferr = cli.file(a.script)
  if not okf then cli.usage("--script: %s", ferr) end
end)
local fixed = {}
for w in a.args:gmatch("%S+") do fixed[#fixed + 1] = w end

local plan = cli.main(sweep.plan, { name = a.name, out = a.out, script = a.script, args = fixed, space = space,
  random = a.random, seed = a.seed })
cli.main(ebm.run.lock, plan.dir) -- own the sweep folder: a second sweep on it stops here
cli.main(sweep.write, plan)
local cmd = sweep.parallel_command(plan, { jobs = a.jobs, sshloginfile = a.sshloginfile })
print(string.format("sweep %s: %d trials in %s", plan.name, #plan.trials, plan.dir))
if a.dry_run then
  print(cmd)
  print("slurm: sbatch " .. plan.dir .. "/sweep.slurm")
  os.exit(0)
end
local t0 = ebm.sys.clock()
local allok = cli.main(sweep.run, plan, { jobs = a.jobs, sshloginfile = a.sshloginfile })
local rows = cli.main(sweep.collect, plan.dir, { metric = a.metric, minimize = a.minimize })
io.write(ebm.run.read_file(plan.dir .. "/results.md") or "")
print(string.format("%d trials in %.1f s; results in %s/results.md", #rows, ebm.sys.clock() - t0, plan.dir))
if not allok then
  io.stderr:write("sweep.lua: some trials failed; see their log.txt\n")
  os.exit(1)
end
