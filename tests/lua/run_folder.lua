-- run_folder.lua - ebm.run (config.json, metrics.csv), ebm.report, ebm.progress, ebm.sys.
local t = require "tap"
local ebm = require "ebm"
local lfs = require "lfs"

local dir = os.tmpname()
os.remove(dir)

-- ebm.sys
t.ok(type(ebm.sys.clock()) == "number", "sys.clock returns seconds")
local c0 = ebm.sys.clock(); ebm.sys.sleep(0.01)
t.cmp_ok(ebm.sys.clock() - c0, ">=", 0.009, "monotonic clock advances over a sleep")
t.is(ebm.sys.isatty(io.open("/dev/null")), false, "/dev/null is not a terminal")
t.error_like(function() ebm.sys.isatty("x") end, "bad argument #1", "isatty rejects a string")
t.cmp_ok(ebm.sys.ncpus(), ">=", 1, "ncpus >= 1")
local cout, crc = ebm.sys.capture("echo hi; echo err >&2; exit 3")
t.is(cout, "hi\nerr\n", "capture returns stdout and stderr")
t.is(crc, 3, "capture returns the exit status")
t.ok(ebm.sys.exe():match("ebmlua$"), "exe is the running ebmlua")

-- a run folder
local r = ebm.run.new { out = dir, config = { lr = 0.05, levels = 4, model = "potts", tags = { "a", "b" } }, seed = 7 }
for e = 1, 3 do r:log { epoch = e, step = 10 * e, valid_pll = -0.5 + 0.1 * e, energy_gap = 1 / e, lr = 0.05, seconds = 1.5 * e } end
r:close()
t.is(lfs.attributes(dir .. "/samples", "mode"), "directory", "samples/ exists")
t.is(lfs.attributes(dir .. "/plots", "mode"), "directory", "plots/ exists")
local meta = ebm.run.read_json(dir .. "/config.json")
t.is(meta.config.lr, 0.05, "config.json keeps options")
t.is(meta.seed, 7, "config.json has the seed")
t.is(meta.versions.ebm, ebm.version, "config.json has ebm.version")
t.is(meta.versions.lua, _VERSION, "config.json has the Lua version")
local head = io.open(dir .. "/metrics.csv"):read("l")
t.is(head, "epoch,step,data_energy,sample_energy,energy_gap,valid_pll,grad_norm,param_norm,lr,seconds,train_log_p_y," ..
  "test_accuracy,fd,fd_floor,fd_ceiling,fd_position,precision,recall,mem_ratio,mem_copies", "fixed metrics header")
local rows = ebm.run.read_metrics(dir .. "/metrics.csv")
t.is(#rows, 3, "three metric rows")
t.near(rows[2].valid_pll, -0.3, 1e-9, "values read back")
t.is(rows[2].data_energy, nil, "missing values are empty")

-- resume keeps rows up to the checkpoint step, then appends
local r2 = ebm.run.new { out = dir, config = { lr = 0.05 }, resume = true }
r2:truncate_metrics(20)
r2:log { epoch = 3, step = 30, valid_pll = 0 }
r2:close()
rows = ebm.run.read_metrics(dir .. "/metrics.csv")
t.is(#rows, 3, "resume: rows after the checkpoint replaced")
t.is(rows[3].valid_pll, 0, "resume: new row appended")
t.ok(ebm.run.read_json(dir .. "/config.json").resumed, "config.json records the resume")

-- report
local html = io.open(ebm.report.write(dir, { summary = { baseline_valid_pll = -0.42, parameters = 3138 } })):read("a")
t.ok(html:find("<!DOCTYPE html>", 1, true), "report.html is HTML")
t.ok(html:find("-0.4200", 1, true) and html:find("3138", 1, true), "report shows summary figures")
t.ok(html:find("seconds per epoch", 1, true), "report shows time per epoch")
t.ok(not html:find("<script", 1, true), "no JavaScript")
local h = ebm.report.headline(ebm.run.read_metrics(dir .. "/metrics.csv"))
t.is(h.epochs, 3, "headline epochs")
t.near(h.seconds_per_epoch, 1.5, 1e-9, "headline median seconds per epoch")

-- a fresh run in the same folder starts a new metrics.csv
ebm.run.new { out = dir, config = {} }:close()
t.is(#ebm.run.read_metrics(dir .. "/metrics.csv"), 0, "fresh run replaces metrics.csv")
t.error_like(function() ebm.run.new { name = "a/b" } end, "name", "run name with '/' is an error")

-- progress: plain lines when not a terminal
local tmp = os.tmpname()
local f = io.open(tmp, "w")
local bar = ebm.progress.new { total = 4, epochs = 2, out = f, every = 1e9 }
for s = 1, 4 do bar:update { epoch = (s - 1) // 2 + 1, step = s } end
bar:finish("done")
f:close()
local text = io.open(tmp):read("a")
t.ok(not text:find("\r", 1, true), "no carriage returns when not a terminal")
t.ok(text:find("epoch 2/2  step 3/4", 1, true), "a line at the start of a new epoch")
t.ok(text:find("done\n", 1, true), "finish message")
t.is(ebm.progress.hms(3725), "1:02:05", "hms formatting")
-- terminal mode (forced): one line redrawn with a bar, rate and ETA
f = io.open(tmp, "w")
bar = ebm.progress.new { total = 4, epochs = 1, out = f, tty = true }
bar:update { epoch = 1, step = 1 }
ebm.sys.sleep(0.11)
bar:update { epoch = 1, step = 4 }
bar:finish()
f:close()
text = io.open(tmp):read("a")
t.ok(text:find("\r[", 1, true) and text:find("[########################] 100%", 1, true), "terminal mode redraws a bar")
t.ok(text:find("it/s", 1, true) and text:find("ETA", 1, true), "terminal mode shows rate and ETA")
t.ok(not text:find("\n.", 1), "terminal mode prints no extra lines")
os.remove(tmp)
os.execute("rm -rf '" .. dir .. "'")
t.done_testing()
