-- ebm.sweep: hyperparameter search where each trial is a separate ebmlua process.
--
--   local sw = ebm.sweep.plan{
--     name = "lr-cd", script = "scripts/train_digit.lua", args = {"3", "--epochs", "2"},
--     space = { lr = {0.01, 0.03}, ["cd-steps"] = {1, 10}, pcd = {false, true} },  -- grid
--     -- or random = 8 with ranges: lr = {log = {1e-3, 1e-1}}, batch = {int = {32, 256}}
--   }
--   ebm.sweep.write(sw)                 -- commands.txt, trials.json, sweep.slurm
--   ebm.sweep.run(sw, {jobs = 2})       -- GNU parallel runs commands.txt
--   local rows = ebm.sweep.collect(sw.dir, {metric = "valid_pll"})  -- results.md, .csv, plot
--
-- Execution is GNU parallel's job (`parallel -j N`, `--sshloginfile` for several hosts
-- sharing the file system); on a cluster `sbatch sweep.slurm` runs the same commands as a
-- Slurm job array. This module only writes commands and reads results.
local base = require "ebm.base"
local run = require "ebm.io.run"
local plot = require "ebm.io.plot"
local sys = require "ebm.interp.sys"
local lfs = require "lfs"

local M = {}

-- Quote a string for /bin/sh.
local function shq(s)
  s = tostring(s)
  if s:match("^[%w%._/:=,+%-]+$") then return s end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end
M.shq = shq

local function abspath(p)
  if p:sub(1, 1) == "/" then return p end
  return lfs.currentdir() .. "/" .. p:gsub("^%./", "")
end

local function sorted_keys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  table.sort(ks)
  return ks
end

-- Value text for names and tables: 0.01 -> "0.01", true -> "true".
local function vtext(v)
  if type(v) == "number" and math.type(v) == "float" then
    local s = string.format("%.4g", v)
    return s
  end
  return tostring(v)
end

-- Parse a command-line option spec "name=..." into (name, spec):
--   "lr=0.01,0.03"          a list of values (grid axis, or choices when random)
--   "lr=log:1e-3:1e-1"      log-uniform range     (random search only)
--   "lr=lin:0.01:0.1"       uniform range
--   "batch=int:32:256"      uniform integer range
--   "pcd=true,false"        a flag: true passes --pcd, false omits it
function M.parse_spec(s)
  local name, rest = s:match("^([%w_%-]+)=(.+)$")
  if not name then return nil, "bad option spec '" .. s .. "' (expected name=v1,v2 or name=log:lo:hi)" end
  local kind, lo, hi = rest:match("^(%a+):([^:]+):([^:]+)$")
  if kind then
    lo, hi = tonumber(lo), tonumber(hi)
    if not (kind == "log" or kind == "lin" or kind == "int") or not lo or not hi or lo > hi then
      return nil, "bad range in '" .. s .. "' (expected log:lo:hi, lin:lo:hi or int:lo:hi with lo <= hi)"
    end
    if kind == "log" and lo <= 0 then return nil, "log range needs lo > 0 in '" .. s .. "'" end
    return name, { [kind] = { lo, hi } }
  end
  local vals = {}
  for v in rest:gmatch("[^,]+") do
    if v == "true" then vals[#vals + 1] = true
    elseif v == "false" then vals[#vals + 1] = false
    else vals[#vals + 1] = tonumber(v) or v end
  end
  if #vals == 0 then return nil, "no values in '" .. s .. "'" end
  return name, vals
end

-- Draw one value of `spec` with generator g.
local function draw(spec, g)
  if spec.log then
    local a, b = math.log(spec.log[1]), math.log(spec.log[2])
    return math.exp(g:uniform(a, b))
  elseif spec.lin then
    return g:uniform(spec.lin[1], spec.lin[2])
  elseif spec.int then
    return math.tointeger(spec.int[1]) + g:uniform(math.tointeger(spec.int[2] - spec.int[1] + 1)) - 1
  end
  return spec[g:uniform(#spec)]
end

-- The trials of a search: a list of option tables.
--   space: name -> list of values (or a range table when random)
--   random: nil for the full grid (Cartesian product), or a number of random draws.
function M.trials(space, random, seed)
  local names = sorted_keys(space)
  local out = {}
  if random then
    local g = base.rng(seed or 1)
    for _ = 1, random do
      local t = {}
      for _, k in ipairs(names) do t[k] = draw(space[k], g) end
      out[#out + 1] = t
    end
    return out
  end
  for _, k in ipairs(names) do
    if type(space[k]) ~= "table" or #space[k] == 0 then
      error("ebm.sweep: option '" .. k .. "' needs a list of values for a grid search (ranges need random=N)", 0)
    end
  end
  local function rec(i, cur)
    if i > #names then
      local t = {}
      for k, v in pairs(cur) do t[k] = v end
      out[#out + 1] = t
      return
    end
    for _, v in ipairs(space[names[i]]) do
      cur[names[i]] = v
      rec(i + 1, cur)
    end
  end
  rec(1, {})
  return out
end

-- Command-line arguments for one trial's options: {lr=0.01, pcd=true} -> {"--lr", "0.01", "--pcd"}.
function M.option_args(opts)
  local a = {}
  for _, k in ipairs(sorted_keys(opts)) do
    local v = opts[k]
    if v == true then a[#a + 1] = "--" .. k
    elseif v ~= false then
      a[#a + 1] = "--" .. k
      a[#a + 1] = (type(v) == "number" and math.type(v) == "float") and string.format("%.6g", v) or tostring(v)
    end
  end
  return a
end

-- Build a sweep plan. Fields: name, root ("runs"), out (folder; default root/sweep-<name>),
-- script, args (fixed arguments), space, random (nil = grid), seed, exe (default: this ebmlua).
function M.plan(p)
  assert(type(p) == "table", "ebm.sweep.plan: expected a table")
  if type(p.script) ~= "string" then error("ebm.sweep.plan: 'script' is required", 2) end
  if type(p.space) ~= "table" or next(p.space) == nil then error("ebm.sweep.plan: 'space' must name at least one option", 2) end
  local name = p.name or "sweep"
  local dir = abspath(p.out or ((p.root or "runs") .. "/sweep-" .. name))
  local exe = p.exe or sys.exe() or "ebmlua"
  local cwd = lfs.currentdir()
  local plan = { name = name, dir = dir, script = p.script, args = p.args or {}, space = p.space,
    random = p.random, seed = p.seed or 1, exe = exe, cwd = cwd, trials = {} }
  local width = #tostring(#M.trials(p.space, p.random, plan.seed))
  for i, opts in ipairs(M.trials(p.space, p.random, plan.seed)) do
    local tname = string.format("t%0" .. math.max(2, width) .. "d", i)
    for _, k in ipairs(sorted_keys(opts)) do tname = tname .. "-" .. k .. vtext(opts[k]) end
    tname = tname:gsub("[^%w%._%-]", "_")
    local tdir = dir .. "/" .. tname
    local words = { shq(exe), shq(p.script) }
    for _, a in ipairs(plan.args) do words[#words + 1] = shq(a) end
    for _, a in ipairs(M.option_args(opts)) do words[#words + 1] = shq(a) end
    words[#words + 1] = "--out"
    words[#words + 1] = shq(tdir)
    local cmd = string.format("cd %s && mkdir -p %s && %s > %s 2>&1", shq(cwd), shq(tdir),
      table.concat(words, " "), shq(tdir .. "/log.txt"))
    plan.trials[i] = { name = tname, options = opts, dir = tdir, command = cmd }
  end
  return plan
end

-- Write commands.txt (one shell command per trial), trials.json and sweep.slurm.
function M.write(plan)
  run.mkdirs(plan.dir)
  local lines = {}
  for i, t in ipairs(plan.trials) do lines[i] = t.command end
  run.write_file(plan.dir .. "/commands.txt", table.concat(lines, "\n") .. "\n")
  run.write_json(plan.dir .. "/trials.json", { name = plan.name, script = plan.script, args = plan.args,
    random = plan.random or false, seed = plan.seed, trials = plan.trials })
  local slurm = table.concat({
    "#!/bin/bash",
    "# Slurm job array for sweep '" .. plan.name .. "': one array task per line of commands.txt.",
    "#   sbatch " .. plan.dir .. "/sweep.slurm",
    "# then collect: ebmlua scripts/sweep.lua --collect " .. plan.dir,
    "#SBATCH --job-name=ebm-" .. plan.name,
    "#SBATCH --array=1-" .. #plan.trials,
    "#SBATCH --cpus-per-task=2",
    "#SBATCH --time=01:00:00",
    "#SBATCH --output=" .. plan.dir .. "/slurm-%A_%a.out",
    "set -eu",
    'cmd=$(sed -n "${SLURM_ARRAY_TASK_ID}p" ' .. shq(plan.dir .. "/commands.txt") .. ")",
    'export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-2}"',
    'eval "$cmd"',
    "" }, "\n")
  run.write_file(plan.dir .. "/sweep.slurm", slurm)
  return plan.dir .. "/commands.txt"
end

-- The GNU parallel command line that runs commands.txt.
--   opts.jobs (default: number of CPUs), opts.sshloginfile, opts.parallel (program name)
function M.parallel_command(plan, opts)
  opts = opts or {}
  local words = { opts.parallel or "parallel", "--will-cite", "-j", tostring(opts.jobs or "100%"),
    "--joblog", shq(plan.dir .. "/joblog.tsv") }
  if opts.sshloginfile then
    words[#words + 1] = "--sshloginfile"
    words[#words + 1] = shq(opts.sshloginfile)
  end
  words[#words + 1] = "<"
  words[#words + 1] = shq(plan.dir .. "/commands.txt")
  return table.concat(words, " ")
end

-- Run every trial through GNU parallel. Returns true when all trials exited 0.
function M.run(plan, opts)
  M.write(plan)
  os.remove(plan.dir .. "/joblog.tsv")
  local ok = os.execute(M.parallel_command(plan, opts))
  return ok == true
end

-- Exit status of each command from parallel's joblog: command text -> exit value.
local function read_joblog(path)
  local st = {}
  local f = io.open(path)
  if not f then return st end
  local header = true
  for line in f:lines() do
    if header then header = false else
      local fields = {}
      for x in (line .. "\t"):gmatch("([^\t]*)\t") do fields[#fields + 1] = x end
      -- Seq Host Starttime JobRuntime Send Receive Exitval Signal Command
      if #fields >= 9 then st[table.concat(fields, "\t", 9)] = tonumber(fields[7]) end
    end
  end
  f:close()
  return st
end

local function fnum(v, fmt)
  if type(v) ~= "number" then return "" end
  return string.format(fmt or "%.4g", v)
end

-- Gather the trials' results under `dir` (a sweep folder with trials.json) into a table
-- ranked by `metric` (default valid_pll; higher is better unless minimize=true).
-- Writes results.md (markdown), results.csv and plots/<metric>.png (when ebm.plot is
-- available). Returns the ranked rows: {trial, options, final, best, epochs, seconds, status}.
function M.collect(dir, opts)
  opts = opts or {}
  local metric = opts.metric or "valid_pll"
  local meta, err = run.read_json(dir .. "/trials.json")
  if not meta then error("ebm.sweep.collect: " .. tostring(err), 0) end
  local jl = read_joblog(dir .. "/joblog.tsv")
  local rows = {}
  local names = {}
  for _, t in ipairs(meta.trials) do
    for k in pairs(t.options) do names[k] = true end
    local m = run.read_metrics(t.dir .. "/metrics.csv")
    local final, best, last
    local epochs = 0
    for _, r in ipairs(m) do
      if r[metric] then
        final = r[metric]
        if best == nil or (opts.minimize and r[metric] < best or (not opts.minimize and r[metric] > best)) then best = r[metric] end
      end
      last = r
    end
    for _, r in ipairs(m) do
      if r.epoch and r.seconds and (r.epoch > epochs) then epochs = r.epoch end
    end
    local secs = last and last.seconds or nil
    local status = jl[t.command]
    rows[#rows + 1] = { trial = t.name, dir = t.dir, options = t.options, final = final, best = best,
      gap = last and last.energy_gap, epochs = epochs, seconds = secs,
      status = status == nil and (final and "done" or "missing") or (status == 0 and "ok" or ("exit " .. status)),
      series = m }
  end
  table.sort(rows, function(a, b)
    if a.final == nil or b.final == nil then
      if a.final == b.final then return a.trial < b.trial end
      return a.final ~= nil
    end
    if a.final == b.final then return a.trial < b.trial end
    if opts.minimize then return a.final < b.final end
    return a.final > b.final
  end)
  local onames = sorted_keys(names)
  -- markdown
  local md = { "# Sweep " .. tostring(meta.name), "",
    string.format("Script `%s %s`; %d trials, %s; ranked by final `%s` (%s is better).", meta.script,
      table.concat(meta.args or {}, " "), #rows, meta.random and ("random search, seed " .. tostring(meta.seed)) or "grid search",
      metric, opts.minimize and "lower" or "higher"), "" }
  local head = { "rank", "trial" }
  for _, k in ipairs(onames) do head[#head + 1] = k end
  for _, h in ipairs { metric, "best " .. metric, "energy_gap", "epochs", "seconds", "status" } do head[#head + 1] = h end
  md[#md + 1] = "| " .. table.concat(head, " | ") .. " |"
  md[#md + 1] = "|" .. string.rep("---|", #head)
  local csv = { table.concat(head, ",") }
  for i, r in ipairs(rows) do
    local cells = { tostring(i), r.trial }
    for _, k in ipairs(onames) do cells[#cells + 1] = r.options[k] == nil and "" or vtext(r.options[k]) end
    cells[#cells + 1] = fnum(r.final, "%.5f")
    cells[#cells + 1] = fnum(r.best, "%.5f")
    cells[#cells + 1] = fnum(r.gap, "%.4g")
    cells[#cells + 1] = tostring(r.epochs)
    cells[#cells + 1] = fnum(r.seconds, "%.1f")
    cells[#cells + 1] = r.status
    md[#md + 1] = "| " .. table.concat(cells, " | ") .. " |"
    csv[#csv + 1] = table.concat(cells, ",")
  end
  run.write_file(dir .. "/results.md", table.concat(md, "\n") .. "\n")
  run.write_file(dir .. "/results.csv", table.concat(csv, "\n") .. "\n")
  M.plot(dir, rows, metric)
  return rows
end

-- A plot of `metric` against epoch, one line per trial (the best eight), through ebm.plot.
function M.plot(dir, rows, metric)
  local series = {}
  for i, r in ipairs(rows) do
    if i > 8 then break end
    local xs, ys = {}, {}
    for _, m in ipairs(r.series) do
      if m[metric] and m.epoch then xs[#xs + 1] = m.epoch; ys[#ys + 1] = m[metric] end
    end
    if #xs > 0 then series[#series + 1] = { x = xs, y = ys, name = r.trial, style = "linespoints" } end
  end
  if #series == 0 then return nil end
  run.mkdirs(dir .. "/plots")
  local path = dir .. "/plots/" .. metric .. ".png"
  if not plot.available() then return nil end
  local pok, perr = pcall(plot.lines, { path = path, series = series, title = "sweep: " .. metric, xlabel = "epoch", ylabel = metric })
  if not pok then io.stderr:write("ebm.sweep: plot failed: ", tostring(perr), "\n"); return nil end
  return path
end

return M
