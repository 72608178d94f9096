-- cli.lua - ebm.cli: converters, negative numbers read as values, the one-line error policy,
-- and the shared training options (defaults and types as train_digit.lua always had them).
local t = require "tap"
local ebm = require "ebm"
local cli = require "ebm.interp.cli"

local exe = ebm.sys.exe()
local T = os.tmpname()
os.remove(T)
assert(os.execute("mkdir -p '" .. T .. "/dir'"))
local function shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function write(path, s) local f = assert(io.open(path, "wb")); f:write(s); f:close() end
write(T .. "/file", "x")

-- converters
t.is(cli.posint("12"), 12, "posint reads an integer")
t.is(math.type(cli.posint("1e3")), "integer", "posint reads 1e3 as the integer 1000")
t.is(select(2, cli.posint("-1")), "must be a positive integer, got '-1'", "posint refuses -1 with a message")
t.is(select(2, cli.posint("2.5")), "must be a positive integer, got '2.5'", "and 2.5")
t.is(cli.count("0"), 0, "count accepts 0")
t.is(select(2, cli.int(2, 16)("17")), "must be an integer in 2..16, got '17'", "int(lo, hi) names its range")
t.is(cli.number { above = 0 }("0.5"), 0.5, "number reads 0.5")
t.is(select(2, cli.number { above = 0 }("0")), "must be a number > 0, got '0'", "number{above=0} refuses 0")
t.is(select(2, cli.number { min = 0, below = 1 }("1")), "must be a number >= 0 and < 1, got '1'", "[0, 1) refuses 1")
for _, bad in ipairs { "nan", "inf", "-inf", "1e999", "x", "" } do
  t.is(cli.number()(bad), nil, "number refuses '" .. bad .. "'")
end
t.is_deeply(cli.list(cli.posint)("1,2,3"), { 1, 2, 3 }, "list reads 1,2,3")
t.ok(select(2, cli.list(cli.posint)("1,x")):find("got 'x'"), "list names the bad item")
t.is(cli.list(cli.posint)(","), nil, "list refuses an empty list")
t.is(cli.file(T .. "/file"), T .. "/file", "file accepts an existing file")
t.ok(select(2, cli.file(T .. "/none")):find("not found"), "file refuses a missing one")
t.ok(select(2, cli.file(T .. "/dir")):find("is a folder"), "and a folder")
t.is(cli.outdir(T .. "/dir/new/deeper"), T .. "/dir/new/deeper", "outdir accepts a folder to create")
t.ok(select(2, cli.outdir(T .. "/file")):find("not a folder"), "outdir refuses an existing file")
t.ok(select(2, cli.outdir(T .. "/file/sub")):find("not a folder"), "and a path under a file")
t.ok(select(2, cli.outdir("/proc/x")):find("cannot write in '/proc'"), "and a folder nothing can be made in")
t.ok(select(2, cli.outdir("")):find("got ''"), "and ''")
t.is(cli.outfile(T .. "/dir/out.json"), T .. "/dir/out.json", "outfile accepts a new file in a folder")
t.ok(select(2, cli.outfile(T .. "/dir")):find("is a folder"), "outfile refuses a folder")
t.ok(select(2, cli.outfile("/proc/x.json")):find("cannot write"), "and a file in /proc")
local left = io.popen("ls -A " .. shq(T .. "/dir")):read("a")
t.is(left, "", "the write checks leave nothing behind (and create nothing)")

-- parsing: negative numbers are values
local function parser()
  local p = cli.parser("x.lua", "test")
  p:argument("n", "a number"):convert(cli.int())
  p:option("--epochs", "e", "1"):convert(cli.int())
  p:option("--lr", "l", "0.1"):convert(cli.number())
  p:option("-j --jobs", "j", "1"):convert(cli.int())
  p:flag("--f", "f")
  return p
end
local a = cli.parse(parser(), { "--epochs", "-3", "-7", "--lr", "-1e-3", "-j", "-2", "--f" })
t.is(a.epochs, -3, "--epochs -3 is the value -3")
t.is(a.n, -7, "a negative positional argument is a value")
t.is(a.lr, -1e-3, "--lr -1e-3 is a value")
t.is(a.jobs, -2, "-j -2 (a short option) too")
t.is(a.f, true, "flags still work")
a = cli.parse(parser(), { "--epochs=-4", "5" })
t.is(a.epochs, -4, "--epochs=-4")
a = cli.parse(parser(), { "--epochs", "2", "--", "-6" })
t.ok(a.n == -6 and a.epochs == 2, "after '--' every word is an argument")

-- a script's view: one line on stderr and the exit status
local function script(body, ...)
  local path = T .. "/s.lua"
  write(path, body)
  local args = {}
  for i, v in ipairs { ... } do args[i] = shq(v) end
  local out, rc = ebm.sys.capture(string.format("%s %s %s 2>&1 >/dev/null", shq(exe), shq(path), table.concat(args, " ")))
  return out, rc
end
local HEAD = [[
local cli = require "ebm.interp.cli"
local p = cli.parser("s.lua", "test")
p:option("--epochs", "e", "1"):convert(cli.posint)
p:option("--out", "o"):convert(cli.outdir)
local a = cli.parse(p)
]]
local out, rc = script(HEAD, "--epochs", "-1")
t.is(out, "s.lua: --epochs: must be a positive integer, got '-1'\n", "--epochs -1: one line naming the option")
t.is(rc, 2, "usage errors exit 2")
out, rc = script(HEAD, "--bogus")
t.is(select(2, out:gsub("\n", "")), 1, "an unknown option: one line")
t.is(rc, 2, "exit 2")
t.ok(out:find("'--bogus'"), "naming it")
out, rc = script(HEAD, "--epochs")
t.ok(rc == 2 and out:find("--epochs"), "a missing value names the option")
out, rc = script(HEAD .. "cli.main(function() cli.fail('cannot do %s', 'x') end)")
t.is(out, "s.lua: cannot do x\n", "cli.fail: one line")
t.is(rc, 1, "exit 1")
out, rc = script(HEAD .. "cli.main(function() error('ebm.thing: the file is corrupt', 0) end)")
t.is(out, "s.lua: ebm.thing: the file is corrupt\n", "a library message raised with level 0: one line")
t.is(rc, 1, "exit 1")
out, rc = script(HEAD .. "cli.main(function() error('ebm.thing: bad header') end)")
t.is(out, "s.lua: ebm.thing: bad header\n", "a message with a position: the position is dropped")
t.is(rc, 1, "exit 1")
out, rc = script(HEAD .. "cli.main(function() ebm.core.idx_read('" .. T .. "/file') end)")
t.ok(out:match("^s%.lua: idx_read: [^\n]*\n$") and not out:find("%.lua:%d"), "a C runtime error: one line, no position")
t.is(rc, 1, "exit 1")
out, rc = script(HEAD .. "cli.main(function() local x; return x.y end)")
t.ok(out:find("attempt to index") and out:find("stack traceback"), "a bug (Lua's own run-time error) shows its traceback")
t.is(rc, 1, "and exits 1")
out = script(HEAD .. "cli.main(function() cli.fail('user mistake') end)", "--debug")
t.ok(out:find("user mistake") and out:find("stack traceback"), "--debug shows the traceback of a user error")
out, rc = script(HEAD .. "print('ran')", "--help")
t.ok(rc == 0 and out == "", "--help exits 0 (usage on stdout)")

-- the shared training options: defaults and types as before
local q = cli.parser("t.lua", "t")
q:argument("digit")
cli.train_options(q)
local cfg = cli.train_config(cli.parse(q, { "3", "--model", "potts" }))
local want = { digit = 3, levels = 4, model = "potts", epochs = 20, batch = 128, lr = 0.03, cd_steps = 10, pcd = true,
  beta = 1, optim = "adam", clip = 0, weight_decay = 0, schedule = "cosine", init = "marginals", seed = 1,
  valid = 0.1, limit = 0, log_every = 10, sample_sweeps = 200, stop_after = 0 }
t.is_deeply(cfg, want, "train_config: the defaults of train_digit.lua (grid models)")
t.error_like(function() cli.train_config(cli.parse(q, { "3", "--model", "rbm", "--levels", "4" })) end,
  "binary pixels", "latent and rbm models need --levels 2")
for _, k in ipairs { "levels", "epochs", "batch", "cd_steps", "seed", "limit", "log_every", "sample_sweeps", "stop_after" } do
  t.is(math.type(cfg[k]), "integer", k .. " is an integer")
end
cfg = cli.train_config(cli.parse(q, { "all", "--cd", "--resume", "--out", T .. "/run", "--levels", "16", "--model", "potts" }))
t.ok(cfg.digit == "all" and cfg.pcd == false and cfg.resume == true and cfg.levels == 16, "digit all, --cd, --resume")
t.error_like(function() cli.train_config(cli.parse(q, { "12", "--model", "potts" })) end, "digit must be 0%-9", "digit 12 is refused")
t.error_like(function() cli.train_config(cli.parse(q, { "3", "--cd", "--pcd", "--model", "potts" })) end, "exclude", "--cd with --pcd is refused")
t.error_like(function() cli.train_config(cli.parse(q, { "3", "--batch", "100000000", "--model", "potts" })) end, "%-%-batch 100000000 needs",
  "a batch that cannot fit in memory is refused before allocating")

os.execute("rm -rf " .. shq(T))
t.done_testing()
