-- cli_errors.lua - every script with wrong argument lists: unknown options, missing values,
-- negative, zero, huge and non-numeric numbers, bad choices, missing and corrupt files,
-- unwritable outputs. Each call must exit non-zero with exactly one line on stderr,
-- "script.lua: message", naming the option or file (the `want` text), with no stack traceback
-- and no internal `file.lua:NN:` position. Every script's --help exits 0.
-- The calls stop before any training (most before loading data; the corrupt-data ones at the
-- first file header), so the file runs in seconds.
--
-- EBM_CLI_ROOT=DIR runs the scripts of another tree (e.g. an older checkout) with this
-- ebmlua, to count how many of the same calls it gets right: EBM_CLI_REPORT=1 prints each
-- failing call and a summary line instead of failing.
local t = require "tap"
local ebm = require "ebm"

local cwd = io.popen("pwd"):read("l")
local root = os.getenv("EBM_CLI_ROOT") or cwd
local report_only = os.getenv("EBM_CLI_REPORT") ~= nil
local exe = ebm.sys.exe()
local T = os.tmpname()
os.remove(T)
assert(os.execute("mkdir -p '" .. T .. "/bad/mnist' '" .. T .. "/empty'"))

-- fixtures: a text file (a corrupt checkpoint), a folder, corrupt MNIST (images cut after
-- 1000 bytes: a correct header, then too few bytes), the real labels
local function write(path, s) local f = assert(io.open(path, "wb")); f:write(s); f:close() end
write(T .. "/file.txt", "not a checkpoint\n")
local src = assert(io.open("data/mnist/train-images-idx3-ubyte", "rb"), "tests need data/mnist (make data)")
write(T .. "/bad/mnist/train-images-idx3-ubyte", src:read(1000))
src:close()
for _, f in ipairs { "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" } do
  local s = assert(io.open("data/mnist/" .. f, "rb"))
  write(T .. "/bad/mnist/" .. f, s:read("a"))
  s:close()
end

local FILE, NOPE, EMPTY, BAD = T .. "/file.txt", T .. "/nope.ckpt", T .. "/empty", T .. "/bad"

-- { script, args, want = text the message must contain, env = {NAME = value} }
local CASES = {
  { "train_digit", { "3", "--bogus" }, want = "--bogus" },
  { "train_digit", {}, want = "digit" },
  { "train_digit", { "3", "--epochs" }, want = "--epochs" },
  { "train_digit", { "3", "--epochs", "-1" }, want = "--epochs" },
  { "train_digit", { "3", "--epochs", "0" }, want = "--epochs" },
  { "train_digit", { "3", "--epochs", "abc" }, want = "--epochs" },
  { "train_digit", { "3", "--epochs", "1e30" }, want = "--epochs" },
  { "train_digit", { "3", "--batch", "1e8" }, want = "--batch" },
  { "train_digit", { "3", "--lr", "-0.1" }, want = "--lr" },
  { "train_digit", { "3", "--lr", "nan" }, want = "--lr" },
  { "train_digit", { "3", "--valid", "1" }, want = "--valid" },
  { "train_digit", { "3", "--model", "foo" }, want = "--model" },
  { "train_digit", { "3", "--levels", "3" }, want = "--levels" },
  { "train_digit", { "-1" }, want = "digit" },
  { "train_digit", { "10" }, want = "digit" },
  { "train_digit", { "3", "--out", FILE }, want = "--out" },
  { "train_digit", { "3", "--out", "/proc/x" }, want = "--out" },
  { "train_digit", { "3", "--out", "" }, want = "--out" },
  { "train_digit", { "3", "--resume", NOPE, "--out", EMPTY .. "/r0" }, want = "nope.ckpt" },
  { "train_digit", { "3", "--model", "potts", "--resume", FILE, "--out", EMPTY .. "/r0" }, want = "file.txt" },
  { "train_digit", { "3", "--cd", "--pcd" }, want = "--cd" },
  { "train_digit", { "3", "--resume", "--out", EMPTY }, want = "model.ckpt" },
  { "train_digit", { "3", "--threads", "0" }, want = "--threads" },
  { "train_digit", { "3", "--name", "a/b" }, want = "--name" },
  { "train_digit", { "3", "--seed", "x" }, want = "--seed" },
  { "train_digit", { "3", "--out", T .. "/r1", "--epochs", "1" }, want = "train-images", env = { EBMLUA_DATA = BAD } },
  { "train_all_digits", { "--epochs", "-2" }, want = "--epochs" },
  { "train_all_digits", { "--out", FILE }, want = "--out" },
  { "train_all_digits", { "--resume" }, want = "--resume" },
  { "train_all_digits", { "--levels", "5" }, want = "--levels" },
  { "train_all_digits", { "--batch", "0" }, want = "--batch" },
  { "train_rbm", { "--limit", "0" }, want = "--limit" },
  { "train_rbm", { "--epochs", "-1" }, want = "--epochs" },
  { "train_rbm", { "--hidden", "0" }, want = "--hidden" },
  { "train_rbm", { "--pcd", "--chains", "100000000" }, want = "--chains" },
  { "train_rbm", { "--digits", "3,x" }, want = "--digits" },
  { "train_rbm", { "--digits", "11" }, want = "--digits" },
  { "train_rbm", { "--lr", "0" }, want = "--lr" },
  { "train_rbm", { "--momentum", "1.5" }, want = "--momentum" },
  { "train_rbm", { "--levels", "3" }, want = "--levels" },
  { "train_rbm", { "--binarize", "maybe" }, want = "--binarize" },
  { "train_rbm", { "--out", "/proc/x" }, want = "--out" },
  { "train_rbm", { "--out", "" }, want = "--out" },
  { "train_rbm", { "--resume" }, want = "--resume" },
  { "train_rbm", { "--out", EMPTY, "--resume" }, want = "model.ckpt" },
  { "train_rbm", { "--disc", "1" }, want = "--disc" },
  { "train_rbm", { "--threads", "-4" }, want = "--threads" },
  { "train_rbm", { "--out", T .. "/r2", "--epochs", "1", "--hidden", "10" }, want = "train-images", env = { EBMLUA_DATA = BAD } },
  { "train_latent_grid", { "--digit", "10" }, want = "digit" },
  { "train_latent_grid", { "--jumps", "4,-1" }, want = "--jumps" },
  { "train_latent_grid", { "--epochs", "-1" }, want = "--epochs" },
  { "train_latent_grid", { "--batch", "100000000" }, want = "--batch" },
  { "train_latent_grid", { "--out", FILE }, want = "--out" },
  { "train_latent_grid", { "--lr", "x" }, want = "--lr" },
  { "train_latent_grid", { "--stop-after", "-1" }, want = "--stop-after" },
  { "train_latent_grid", { "--resume", "--out", EMPTY }, want = "model.ckpt" },
  { "train_latent_grid", { "--out", T .. "/r3" }, want = "train-images", env = { EBMLUA_DATA = BAD } },
  { "train_classifier", { "--arch", "cnn" }, want = "--arch" },
  { "train_classifier", { "--hidden", "0" }, want = "--hidden" },
  { "train_classifier", { "--epochs", "-1" }, want = "--epochs" },
  { "train_classifier", { "--out", T }, want = "--out" },
  { "train_classifier", { "--out", "/proc/x.ckpt" }, want = "--out" },
  { "train_classifier", { "--out", "" }, want = "--out" },
  { "train_classifier", { "--binarize-aug", "2" }, want = "--binarize-aug" },
  { "train_classifier", { "--out", T .. "/c.ckpt" }, want = "train-images", env = { EBMLUA_DATA = BAD } },
  { "evaluate", {}, want = "checkpoint" },
  { "evaluate", { NOPE, "--ais" }, want = "nope.ckpt" },
  { "evaluate", { FILE, "--ais" }, want = "file.txt" },
  { "evaluate", { T, "--ais" }, want = T },
  { "evaluate", { FILE }, want = "--ais" },
  { "evaluate", { FILE, "--ais", "--runs", "-5" }, want = "--runs" },
  { "evaluate", { FILE, "--ais", "--betas", "2" }, want = "--betas" },
  { "evaluate", { FILE, "--ais", "--json", "/proc/x.json" }, want = "--json" },
  { "evaluate", { FILE, "--quality", "--classifier", NOPE }, want = "--classifier" },
  { "evaluate", { FILE, "--ais", "--ladder", "2,3" }, want = "--ladder" },
  { "evaluate", { FILE, "--ais", "--start", "middle" }, want = "--start" },
  { "evaluate", { FILE, "--ais", "--threads", "0" }, want = "--threads" },
  { "sample", {}, want = "ckpt" },
  { "sample", { NOPE }, want = "nope.ckpt" },
  { "sample", { FILE }, want = "file.txt" },
  { "sample", { FILE, "--chains", "-1" }, want = "--chains" },
  { "sample", { FILE, "--beta", "-1" }, want = "--beta" },
  { "sample", { FILE, "--init", "zero" }, want = "--init" },
  { "sample", { FILE, "--out", "/proc/x.png" }, want = "--out" },
  { "sample", { FILE, "--anneal", "-0.5" }, want = "--anneal" },
  { "eval_per_digit", { "nopattern" }, want = "%d" },
  { "eval_per_digit", { T .. "/x%d.ckpt", "--samples", "0" }, want = "--samples" },
  { "eval_per_digit", { T .. "/x%d.ckpt", "--classifier", NOPE }, want = "nope.ckpt" },
  { "eval_per_digit", { T .. "/x%d.ckpt", "--classifier", FILE }, want = "file.txt" },
  { "eval_per_digit", { T .. "/x%d.ckpt", "--json", "/proc/x.json" }, want = "--json" },
  { "explore_data", { "--per-class", "0" }, want = "--per-class" },
  { "explore_data", { "--split", "val" }, want = "--split" },
  { "explore_data", { "--out", FILE }, want = "--out" },
  { "explore_data", { "--scale", "-3" }, want = "--scale" },
  { "explore_data", { "--out", T .. "/ex", "--repeat", "1" }, want = "train-images", env = { EBMLUA_DATA = BAD } },
  { "sweep", {}, want = "--grid" },
  { "sweep", { "--grid", "lr" }, want = "lr" },
  { "sweep", { "--grid", "lr=0.1", "--random", "-3" }, want = "--random" },
  { "sweep", { "--collect", NOPE }, want = "nope.ckpt" },
  { "sweep", { "--collect", EMPTY }, want = "empty" },
  { "sweep", { "--grid", "lr=0.1", "--out", "/proc/x", "--dry-run" }, want = "/proc" },
  { "sweep", { "--grid", "lr=0.1", "--script", NOPE }, want = "nope.ckpt" },
  { "sweep", { "-j", "-1", "--grid", "lr=0.1" }, want = "-j" },
  { "schedule_anneal", { "--levels", "1" }, want = "--levels" },
  { "schedule_anneal", { "--beta-min", "5" }, want = "--beta-min" },
  { "schedule_anneal", { "--sweeps", "-10" }, want = "--sweeps" },
  { "schedule_anneal", { "--out", FILE }, want = "--out" },
  { "schedule_random_order", { "--chains", "0" }, want = "--chains" },
  { "schedule_random_order", { "--weight", "x" }, want = "--weight" },
  { "schedule_random_order", { "--seed", "-1" }, want = "--seed" },
  { "bench_packed", { "--reps", "-1" }, want = "--reps" },
  { "bench_packed", { "--batches", "1,x" }, want = "--batches" },
  { "bench_packed", { "--stencil", "6" }, want = "--stencil" },
  { "bench_packed", { "--json", "/proc/x.json" }, want = "--json" },
  { "bench_packed", { "--batches", "100000000" }, want = "--batches" },
  { "bench_sampling", { "--reps", "0" }, want = "--reps" },
  { "convergence", { "--bogus" }, want = "--bogus" },
  { "convergence", { "--chains", "2" }, want = "--chains" },
  { "convergence", { "--sweeps", "abc" }, want = "--sweeps" },
  { "convergence", { "--sections", "foo" }, want = "--sections" },
  { "convergence", { "--timer", "x" }, want = "--timer" },
  { "convergence", { "--threads", "2" }, want = "--timer" },
  { "convergence", { "--out", FILE }, want = "--out" },
  { "bench_diag", { "--chains", "0" }, want = "--chains" },
  { "bench_diag", { "--reps", "-1" }, want = "--reps" },
  { "bench_sampling", { "--target", "-1" }, want = "--target" },
  { "bench_sampling", { "--stencils", "5" }, want = "--stencils" },
  { "bench_sampling", { "--json", "" }, want = "--json" },
  { "bench_rbm", { "--hidden", "-5" }, want = "--hidden" },
  { "bench_rbm", { "--disc", "1" }, want = "--disc" },
  { "bench_rbm", { "--threads", "x" }, want = "--threads" },
  { "bench_tensor", { "--n", "-1" }, want = "--n" },
  { "bench_tensor", { "--gemm", "0" }, want = "--gemm" },
  { "bench_tensor", { "--repeat", "abc" }, want = "--repeat" },
  { "bench_train", { "--digit", "12" }, want = "--digit" },
  { "bench_train", { "--levels", "3" }, want = "--levels" },
  { "bench_train", { "--batch", "-1" }, want = "--batch" },
  { "bench_train", { "--threads", "0" }, want = "--threads" },
  { "animations", {}, want = "ckpt" },
  { "animations", { NOPE }, want = "nope.ckpt" },
  { "animations", { FILE }, want = "file.txt" },
  { "animations", { FILE, "--chains", "-1" }, want = "--chains" },
  { "animations", { FILE, "--out", FILE }, want = "--out" },
  { "animations", { FILE, "--delay", "x" }, want = "--delay" },
  { "efficiency", { "--reps", "-1" }, want = "--reps" },
  { "efficiency", { "--watts", "5,1" }, want = "--watts" },
  { "efficiency", { "--json", "/proc/x.json" }, want = "--json" },
  { "efficiency", { "--run-only", "nope" }, want = "nope" },
  { "efficiency", { "--sample-sweeps", "0" }, want = "--sample-sweeps" },
  { "landscape", {}, want = "ckpt" },
  { "landscape", { NOPE }, want = "nope.ckpt" },
  { "landscape", { FILE }, want = "file.txt" },
  { "landscape", { FILE, "--rates", "0.1,2" }, want = "--rates" },
  { "landscape", { FILE, "--n", "-5" }, want = "--n" },
  { "landscape", { FILE, "--out", FILE }, want = "--out" },
}

local function shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- run one script; returns exit status, stdout, stderr
local function run(script, args, env)
  local words = {}
  for k, v in pairs(env or {}) do words[#words + 1] = k .. "=" .. shq(v) end
  words[#words + 1] = shq(exe)
  words[#words + 1] = shq(root .. "/scripts/" .. script .. ".lua")
  for _, a in ipairs(args) do words[#words + 1] = shq(a) end
  local cmd = string.format("cd %s && %s >%s/.stdout 2>%s/.stderr", shq(T), table.concat(words, " "), shq(T), shq(T))
  local _, _, rc = os.execute(cmd)
  local function slurp(p) local f = io.open(p, "rb"); local s = f:read("a"); f:close(); return s end
  return rc, slurp(T .. "/.stdout"), slurp(T .. "/.stderr")
end

-- the data folder is found through the script's tree; run from T, so name it
local data_env = os.getenv("EBMLUA_DATA") or (cwd .. "/data")

local counts = { tried = 0, clean = 0, traceback = 0, position = 0, lines = 0, exit0 = 0, unnamed = 0 }
for _, c in ipairs(CASES) do
  local env = c.env or { EBMLUA_DATA = data_env }
  local rc, _, err = run(c[1], c[2], env)
  local label = c[1] .. ".lua " .. table.concat(c[2], " ")
  local nlines = select(2, err:gsub("\n", ""))
  local one = nlines == 1 and err:sub(-1) == "\n"
  local tb = err:find("stack traceback", 1, true) ~= nil
  local pos = err:find("[%w_]%.lua:%d+:") ~= nil
  local named = err:find(c.want, 1, true) ~= nil
  -- train_latent_grid.lua is a wrapper that runs train_digit.lua --model latent
  local name = c[1] == "train_latent_grid" and "train_digit" or c[1]
  local prefixed = err:sub(1, #name + 6) == name .. ".lua: "
  local clean = rc ~= 0 and one and not tb and not pos
  counts.tried = counts.tried + 1
  if clean then counts.clean = counts.clean + 1 end
  if tb then counts.traceback = counts.traceback + 1 end
  if pos and not tb then counts.position = counts.position + 1 end
  if not one and not tb then counts.lines = counts.lines + 1 end
  if rc == 0 then counts.exit0 = counts.exit0 + 1 end
  if clean and not named then counts.unnamed = counts.unnamed + 1 end
  if report_only then
    if not (clean and named) then
      io.write(string.format("# %-60s rc=%s %s\n", label:sub(1, 60), tostring(rc), (err:gsub("\n", " | ")):sub(1, 200)))
    end
  else
    local ok = t.ok(clean and named and prefixed, label .. ": exit " .. tostring(rc) .. ", one line naming '" .. c.want .. "'")
    if not ok then t.diag("stderr: " .. err:sub(1, 1500)) end
  end
end

if report_only then
  print(string.format("tried %d, clean %d (of which %d do not name the option/file), traceback %d, " ..
    "internal position %d, other multi-line %d, exit 0: %d", counts.tried, counts.clean, counts.unnamed,
    counts.traceback, counts.position, counts.lines, counts.exit0))
  os.execute("rm -rf " .. shq(T))
  return
end

-- --help: every script prints its usage and exits 0
local lfs = require "lfs"
local scripts = {}
for f in lfs.dir(root .. "/scripts") do
  if f:match("%.lua$") then scripts[#scripts + 1] = f:gsub("%.lua$", "") end
end
table.sort(scripts)
for _, s in ipairs(scripts) do
  local rc, out = run(s, { "--help" })
  local name = s == "train_latent_grid" and "train_digit" or s -- a wrapper of train_digit.lua
  t.ok(rc == 0 and out:find("Usage: " .. name .. ".lua", 1, true), s .. ".lua --help prints its usage and exits 0")
end
-- every script in scripts/ is exercised by the wrong-argument list
local seen = {}
for _, c in ipairs(CASES) do seen[c[1]] = true end
for _, s in ipairs(scripts) do t.ok(seen[s], s .. ".lua is in the wrong-argument list") end

-- --debug and EBMLUA_DEBUG=1 show the traceback of a user error
local rc, _, err = run("sample", { FILE, "--debug" })
t.ok(rc ~= 0 and err:find("stack traceback", 1, true), "sample.lua --debug on a corrupt checkpoint shows the traceback")
rc, _, err = run("sample", { FILE }, { EBMLUA_DEBUG = "1" })
t.ok(rc ~= 0 and err:find("stack traceback", 1, true), "EBMLUA_DEBUG=1 shows the traceback too")

os.execute("rm -rf " .. shq(T))
t.done_testing()
