-- ebm.sys: operating-system helpers (C side: runtime/lua/l_sys.c).
--
--   ebm.sys.isatty(io.stdout)   true on a terminal
--   ebm.sys.clock()             monotonic seconds (durations)
--   ebm.sys.cputime()           CPU seconds of this process
--   ebm.sys.nthreads() / set_threads(n) / ncpus()
--   ebm.sys.loadavg()           1, 5, 15 minute load averages
--   ebm.sys.exe()               path of the running ebmlua
--   ebm.sys.alive(pid)          a process with this id exists on this host
--   ebm.sys.remove_stale_temps(dir[, base])  remove dir's temporary files (NAME.tmp.PID or
--                               NAME.tmpPID, NAME = base if given) whose writer PID is dead
--   ebm.sys.sleep(s)
--   out, status = ebm.sys.capture(cmd)   run a shell command, output with stderr
local lfs = require "lfs"
local core = require "ebm.core"

local M = {}

-- The whole file at path as a string, or nil and the error message.
function M.read_file(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local s = f:read("a")
  f:close()
  return s
end
for _, k in ipairs { "isatty", "clock", "cputime", "ncpus", "loadavg", "pid", "alive", "exe", "sleep" } do
  M[k] = core["sys_" .. k]
end

-- Thread count of the runtime (OpenMP kernels and OpenBLAS products): the same binding as
-- ebm.threads (core.threads, runtime/lua/l_sys.c), under the names ebm.sys callers use.
function M.nthreads() return core.threads() end
-- n >= 1: fixed; 0: automatic; nil: leave the setting (automatic unless fixed before).
function M.set_threads(n) if n ~= nil then core.threads(n) end end

-- A script's usage error: one line on stderr naming the script, then exit status 2. Scripts
-- use ebm.cli (options, one-line errors); this stays for scripts not yet moved to it.
function M.usage_exit(name)
  return function(msg)
    io.stderr:write(name, ": ", (tostring(msg):gsub("\n.*", "")), "\n")
    os.exit(2)
  end
end

-- Temporary files of writers that died (kill -9 during a save) stay forever unless someone
-- removes them: files NAME.tmp.PID (ebm.run, checkpoints) or NAME.tmpPID (PNG) in dir whose
-- PID is not a live process on this host. Returns the list of removed names.
function M.remove_stale_temps(dir, base)
  local removed = {}
  if lfs.attributes(dir, "mode") ~= "directory" then return removed end
  local me = M.pid()
  for f in lfs.dir(dir) do
    local name, pid = f:match("^(.+)%.tmp%.?(%d+)$")
    pid = math.tointeger(tonumber(pid))
    if pid and pid > 0 and pid <= 0x7fffffff and pid ~= me and (base == nil or name == base) and not M.alive(pid) then
      if os.remove(dir .. "/" .. f) then removed[#removed + 1] = f end
    end
  end
  return removed
end

-- Run a shell command; returns its output (stdout and stderr together) and exit status.
function M.capture(cmd)
  local p = assert(io.popen("(" .. cmd .. "\n) 2>&1; echo \"rc=$?\""))
  local out = p:read("a")
  p:close()
  local rc = tonumber(out:match("rc=(%d+)\n$"))
  return (out:gsub("rc=%d+\n$", "")), rc
end

-- Git commit of the source tree holding `dir` (default: the current directory), or nil.
function M.git_commit(dir)
  local cmd = "git " .. (dir and ("-C '" .. dir:gsub("'", "'\\''") .. "' ") or "") .. "rev-parse --short=12 HEAD 2>/dev/null"
  local p = io.popen(cmd)
  if not p then return nil end
  local s = p:read("l")
  p:close()
  return s and s:match("^%x+$") and s or nil
end

return M
