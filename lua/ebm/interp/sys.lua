-- ebm.sys: operating-system helpers (C side: runtime/lua/l_sys.c).
--
--   ebm.sys.isatty(io.stdout)   true on a terminal
--   ebm.sys.clock()             monotonic seconds (durations)
--   ebm.sys.cputime()           CPU seconds of this process
--   ebm.sys.nthreads() / set_threads(n) / ncpus()
--   ebm.sys.loadavg()           1, 5, 15 minute load averages
--   ebm.sys.exe()               path of the running ebmlua
--   ebm.sys.sleep(s)
--   out, status = ebm.sys.capture(cmd)   run a shell command, output with stderr
--   local die = ebm.sys.usage_exit("x.lua")  die(msg): "x.lua: <first line of msg>" on
--                               stderr, exit status 2 (a script's bad-input error)
local core = require "ebm.core"

local M = {}
for _, k in ipairs { "isatty", "clock", "cputime", "ncpus", "loadavg", "pid", "exe", "sleep" } do
  M[k] = core["sys_" .. k]
end

-- Thread count of the runtime (OpenMP kernels and OpenBLAS products): the same binding as
-- ebm.threads (core.threads, runtime/lua/l_sys.c), under the names ebm.sys callers use.
function M.nthreads() return core.threads() end
function M.set_threads(n) core.threads(n) end

-- A script's usage error: one line on stderr naming the script, then exit status 2.
function M.usage_exit(name)
  return function(msg)
    io.stderr:write(name, ": ", (tostring(msg):gsub("\n.*", "")), "\n")
    os.exit(2)
  end
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
