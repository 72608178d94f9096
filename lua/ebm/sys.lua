-- ebm.sys: operating-system helpers (C side: runtime/lua/l_sys.c).
--
--   ebm.sys.isatty(io.stdout)   true on a terminal
--   ebm.sys.clock()             monotonic seconds (durations)
--   ebm.sys.cputime()           CPU seconds of this process
--   ebm.sys.ncpus()             processors online (threads: ebm.threads)
--   ebm.sys.loadavg()           1, 5, 15 minute load averages
--   ebm.sys.exe()               path of the running ebmlua
--   ebm.sys.sleep(s)
local core = require "ebm.core"

local M = {}
for _, k in ipairs { "isatty", "clock", "cputime", "ncpus", "loadavg", "pid", "exe", "sleep" } do
  M[k] = core["sys_" .. k]
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
