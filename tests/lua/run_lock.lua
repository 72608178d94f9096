-- run_lock.lua - a run folder has one owner at a time (ebm.run.lock), and temporary files of
-- dead writers are removed (ebm.sys.remove_stale_temps).
--   * a second process on a held folder refuses with one line naming the holder (pid, start
--     time, command) and writes nothing there; train_digit.lua refuses before loading data
--   * the lock is released on a normal exit, on an error, on Ctrl-C (SIGINT) and on kill -9
--   * a lock file naming a dead process is taken over
--   * model.ckpt.tmp.<pid> of a dead writer is removed when the folder is taken and before a
--     checkpoint save; one of a live process is kept
local t = require "tap"
local ebm = require "ebm"
local lfs = require "lfs"

local exe = ebm.sys.exe()
local T = os.tmpname()
os.remove(T)
assert(lfs.mkdir(T))
local function shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function exists(p) return lfs.attributes(p) ~= nil end
local function write(path, s) local f = assert(io.open(path, "wb")); f:write(s); f:close() end

-- wait until `path` exists (a child's signal that it holds the lock), at most 20 s
local function wait_for(path)
  for _ = 1, 2000 do
    if exists(path) then return true end
    ebm.sys.sleep(0.01)
  end
  return false
end

-- start `ebmlua -e code` in the background; returns its pid
local function spawn(code, log)
  local p = io.popen(string.format("%s -e %s >%s 2>&1 & echo $!", shq(exe), shq(code), shq(log or "/dev/null")))
  local pid = math.tointeger(tonumber(p:read("l")))
  p:close()
  return pid
end

-- a pid that is certainly dead: a shell that has exited
local function dead_pid()
  local p = io.popen("sh -c 'echo $$'")
  local pid = math.tointeger(tonumber(p:read("l")))
  p:close()
  return pid
end

-- a child that takes D, creates D.ready, then waits (sleeps, or spins so SIGINT reaches Lua)
local function holder(dir, mode)
  local wait = mode == "spin" and "while true do end" or "ebm.sys.sleep(30)"
  return spawn(string.format("ebm.run.lock(%q); io.open(%q, 'w'):close(); %s", dir, dir .. ".ready", wait))
end

-- 1. a held folder: a second run refuses with one line naming the holder
local D = T .. "/d"
local pid = holder(D)
t.ok(wait_for(D .. ".ready"), "the first process holds the folder")
local out, rc = ebm.sys.capture(string.format("%s scripts/train_digit.lua 3 --out %s --epochs 1 --limit 50 --quiet",
  shq(exe), shq(D)))
t.isnt(rc, 0, "train_digit.lua on a held folder exits non-zero")
t.is(select(2, out:gsub("\n", "")), 1, "with one line")
t.ok(out:find("in use by pid " .. pid, 1, true), "naming the holder's pid: " .. out:gsub("\n", ""))
t.ok(out:find("ebm.run.lock", 1, true) and out:find("since %d%d%d%d%-"), "its command and start time")
t.ok(not exists(D .. "/config.json") and not exists(D .. "/metrics.csv"), "and writes nothing in the folder")
t.error_like(function() ebm.run.lock(D) end, "in use by pid " .. pid, "ebm.run.lock in this process refuses too")
t.error_like(function() ebm.run.new { out = D } end, "in use by pid", "so does ebm.run.new")
-- 2. kill -9: the kernel drops the lock with the process
os.execute("kill -9 " .. pid)
ebm.sys.sleep(0.05)
for _ = 1, 200 do if not ebm.sys.alive(pid) then break end ebm.sys.sleep(0.01) end
t.ok(pcall(ebm.run.lock, D), "after kill -9 of the holder the folder is taken over")
t.is(ebm.run.holder(D).pid, ebm.sys.pid(), "the lock file names the new owner")
t.ok(ebm.run.unlock(D), "unlock gives it up")

-- 3. Ctrl-C: a SIGINT ends the holder through a Lua error; the lock goes with it
local D2 = T .. "/d2"
pid = holder(D2, "spin")
t.ok(wait_for(D2 .. ".ready"), "a spinning holder holds the folder")
os.execute("kill -INT " .. pid)
for _ = 1, 500 do if not ebm.sys.alive(pid) then break end ebm.sys.sleep(0.01) end
t.ok(not ebm.sys.alive(pid), "SIGINT ends it")
t.ok(pcall(ebm.run.lock, D2), "and the folder is free again")
ebm.run.unlock(D2)

-- 4. an error exit and a normal exit release it
local D3 = T .. "/d3"
local _, rc3 = ebm.sys.capture(string.format("%s -e %s", shq(exe), shq(string.format("ebm.run.lock(%q); error('boom')", D3))))
t.is(rc3, 1, "a holder that fails exits 1")
t.ok(pcall(ebm.run.lock, D3), "its folder is free")
ebm.run.unlock(D3)

-- 5. a stale lock file (dead pid, no lock held) is taken over; Run:close releases
local D4 = T .. "/d4"
assert(lfs.mkdir(D4))
local dead = dead_pid()
write(D4 .. "/lock", string.format("pid=%d\nhost=elsewhere\nsince=2000-01-01T00:00:00Z\ncommand=old run\n", dead))
local r = ebm.run.new { out = D4, config = { x = 1 } }
t.is(ebm.run.holder(D4).pid, ebm.sys.pid(), "a stale lock file of a dead process is taken over by ebm.run.new")
t.ok(not io.open(D4 .. "/lock"):read("a"):find("old run"), "its old content is replaced")
local _, rc4 = ebm.sys.capture(string.format("%s -e %s", shq(exe), shq(string.format("ebm.run.lock(%q)", D4))))
t.is(rc4, 1, "while the run is open another process cannot take it")
r:close()
local _, rc5 = ebm.sys.capture(string.format("%s -e %s", shq(exe), shq(string.format("ebm.run.lock(%q)", D4))))
t.is(rc5, 0, "after Run:close it can")

-- 6. two real runs started together on one folder: exactly one trains, the other refuses
local D5 = T .. "/d5"
local cmd = string.format("%s scripts/train_digit.lua 3 --out %s --epochs 1 --limit 300 --sample-sweeps 1 --quiet",
  shq(exe), shq(D5))
os.execute(string.format("(%s >%s 2>&1; echo $? >%s) & (%s >%s 2>&1; echo $? >%s) & wait", cmd, shq(T .. "/a.log"),
  shq(T .. "/a.rc"), cmd, shq(T .. "/b.log"), shq(T .. "/b.rc")))
local function slurp(p) local f = io.open(p); local s = f and f:read("a") or ""; if f then f:close() end; return s end
local rca, rcb = tonumber(slurp(T .. "/a.rc")), tonumber(slurp(T .. "/b.rc"))
t.ok((rca == 0 and rcb == 1) or (rca == 1 and rcb == 0),
  string.format("two concurrent runs on one folder: one succeeds, one refuses (exit %s and %s)", rca, rcb))
local refused = rca == 1 and slurp(T .. "/a.log") or slurp(T .. "/b.log")
t.ok(refused:find("is in use by pid"), "the refusal names the holder: " .. refused:gsub("\n", " "))
local cfg = ebm.run.read_json(D5 .. "/config.json")
t.ok(cfg and cfg.config.limit == 300 and exists(D5 .. "/model.ckpt"), "the folder holds the one finished run")

-- 7. temporary files of dead writers are removed, those of live ones kept
local D6 = T .. "/d6"
assert(lfs.mkdir(D6))
local me, gone = ebm.sys.pid(), dead_pid()
write(D6 .. "/model.ckpt.tmp." .. gone, "partial")
write(D6 .. "/model.ckpt.tmp." .. me, "being written")
write(D6 .. "/epoch.png.tmp" .. gone, "partial")
write(D6 .. "/notes.tmp.txt", "not a temporary file of ours")
ebm.run.lock(D6)
t.ok(not exists(D6 .. "/model.ckpt.tmp." .. gone), "taking the folder removes model.ckpt.tmp.<dead pid>")
t.ok(not exists(D6 .. "/epoch.png.tmp" .. gone), "and a PNG's .tmp<dead pid>")
t.ok(exists(D6 .. "/model.ckpt.tmp." .. me), "but keeps the temp file of a live writer")
t.ok(exists(D6 .. "/notes.tmp.txt"), "and files that only look alike")
ebm.run.unlock(D6)
local D7 = T .. "/d7"
assert(lfs.mkdir(D7))
write(D7 .. "/model.ckpt.tmp." .. gone, "partial")
write(D7 .. "/other.ckpt.tmp." .. gone, "partial")
ebm.io.save_checkpoint(D7 .. "/model.ckpt", { meta = { a = 1 }, tensors = { w = ebm.f32(2) } })
t.ok(not exists(D7 .. "/model.ckpt.tmp." .. gone), "a checkpoint save removes its dead writer's temp file")
t.ok(exists(D7 .. "/other.ckpt.tmp." .. gone), "and leaves other files' temp files to their own saves")
t.ok(exists(D7 .. "/model.ckpt"), "the checkpoint is written")

-- 8. kill -9 during a save leaves model.ckpt.tmp.<pid>; the next run in the folder removes it
local D8 = T .. "/d8"
local code = string.format([[
local x = ebm.f32(4000000)
ebm.run.lock(%q)
io.open(%q, 'w'):close()
while true do ebm.io.save_checkpoint(%q, { meta = {}, tensors = { x = x } }) end]], D8, D8 .. ".ready", D8 .. "/model.ckpt")
pid = spawn(code)
t.ok(wait_for(D8 .. ".ready"), "a writer saves checkpoints in a loop")
local tmpname = D8 .. "/model.ckpt.tmp." .. pid
for _ = 1, 2000 do if exists(tmpname) then break end ebm.sys.sleep(0.001) end
os.execute("kill -9 " .. pid)
for _ = 1, 200 do if not ebm.sys.alive(pid) then break end ebm.sys.sleep(0.01) end
-- the kill may land between two saves; make sure the leftover is there for the check
if not exists(tmpname) then write(tmpname, "partial") end
t.ok(exists(tmpname), "kill -9 leaves model.ckpt.tmp.<pid>")
local r8 = ebm.run.new { out = D8 }
t.ok(not exists(tmpname), "the next run in the folder removes it")
r8:close()

os.execute("rm -rf " .. shq(T))
t.done_testing()
