-- build_tools.lua - the build keeps its required flags whatever the user's CFLAGS, and the
-- interpreter runs under debugging tools (no re-exec under valgrind or EBMLUA_NO_REEXEC).
local t = require "tap"
local sh = ebm.sys.capture

-- `make CFLAGS=-O2` (a user's own optimisation flags) must still compile with OpenMP, C11
-- and the version: -n prints the commands of a full rebuild without running them.
local out, rc = sh("env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -n -B CFLAGS=-O2 LDLIBS= ebmlua")
t.is(rc, 0, "make -n -B CFLAGS=-O2 ebmlua runs")
local ncc, missing = 0, {}
for line in out:gmatch("[^\n]+") do
  if line:match("^%S*cc ") and (line:find(" %-c ") or line:find("%-o ebmlua")) then
    ncc = ncc + 1
    for _, flag in ipairs { "-fopenmp", "-std=c11", "-DEBM_VERSION=", "-O2" } do
      if not line:find(flag, 1, true) then missing[#missing + 1] = flag .. " in: " .. line:sub(1, 120) end
    end
    if line:find("-o ebmlua", 1, true) and not line:find("-lopenblas", 1, true) then
      missing[#missing + 1] = "-lopenblas (LDLIBS= given) in the link line"
    end
  end
end
t.ok(ncc >= 10, "the dry run shows the compile and link commands (" .. ncc .. ")")
t.is(#missing, 0, "every command keeps -fopenmp, -std=c11, the version define and the user's -O2")
if #missing > 0 then t.diag(table.concat(missing, "\n")) end

out = sh("./ebmlua -v")
t.ok(out:match("^ebmlua %d+%.%d+%.%d+") and not out:find("0.0.0", 1, true), "the binary knows its version: " .. out)

-- Environment defaults for OpenBLAS and libgomp are read by their constructors, so ebmlua
-- sets them and re-executes itself; OMP_DISPLAY_ENV makes libgomp print its settings at
-- each start. Passive waiting shows as GOMP_SPINCOUNT = '0'.
local base = "env -u OMP_WAIT_POLICY -u OPENBLAS_CORETYPE -u EBMLUA_NO_REEXEC OMP_DISPLAY_ENV=verbose "
local probe = " ./ebmlua -e 'print(\"policy=\" .. tostring(os.getenv(\"OMP_WAIT_POLICY\")))' 2>&1"
local function starts(s)
  local k = 0
  for _ in s:gmatch("OPENMP DISPLAY ENVIRONMENT BEGIN") do k = k + 1 end
  return k
end
out = sh(base .. probe)
t.is(starts(out), 2, "by default the interpreter starts once more with the defaults set")
t.ok(out:match("GOMP_SPINCOUNT = '0'[^\n]*\n.*policy=passive"), "and libgomp's threads then wait passively")
out = sh(base .. "EBMLUA_NO_REEXEC=1" .. probe)
t.is(starts(out), 1, "EBMLUA_NO_REEXEC=1: no second start")
t.ok(out:find("policy=passive", 1, true), "the defaults are still set for child processes")
-- valgrind runs its client with LD_PRELOAD naming its vgpreload_* libraries; a missing one
-- only makes ld.so print a warning, so this is how ebmlua sees valgrind without valgrind.
out = sh(base .. "LD_PRELOAD=/nonexistent/vgpreload_core-amd64-linux.so" .. probe)
t.is(starts(out), 1, "under valgrind (its LD_PRELOAD) no re-exec: the tool keeps its process")

-- The real thing when valgrind is installed. valgrind cannot run AVX-512 instructions, which
-- -march=native (the default OPT) emits on such CPUs: then `make valgrind` (the AVX2 build,
-- build/v3/ebmlua) is the way, and this check is skipped.
local sanitized = sh("ldd ./ebmlua"):find("libasan", 1, true)
if sanitized then
  t.skip("this is the AddressSanitizer build (make sanitize), which valgrind cannot run", 1)
elseif sh("command -v valgrind >/dev/null && echo yes"):match("yes") then
  out, rc = sh([[sh -c 'valgrind -q --error-exitcode=1 ./ebmlua -e "print(6 * 7)"' 2>&1]])
  if rc ~= 0 and (out:find("unhandled instruction", 1, true) or out:find("Illegal opcode", 1, true)) then
    t.skip("this build uses instructions valgrind cannot run (-march=native); see make valgrind", 1)
  else
    t.ok(rc == 0 and out:find("42", 1, true) and not out:find("cannot run", 1, true),
         "valgrind --error-exitcode=1 ./ebmlua -e ... runs the interpreter")
    if rc ~= 0 then t.diag(out) end
  end
else
  t.skip("valgrind not installed", 1)
end
t.done_testing()
