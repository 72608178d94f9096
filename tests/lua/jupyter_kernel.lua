-- jupyter_kernel.lua - the notebook kernel (`ebmlua --kernel`) under the Jupyter project's
-- kernel test tool: runs tests/jupyter/test_kernel.py with Debian's /usr/bin/python3
-- (python3-jupyter-kernel-test, python3-jupyter-client) and reports each unittest as a
-- TAP line. What the Python file checks: kernel_info, execute (stdout, stderr, results,
-- errors, display_data), complete, is_complete, history (tail, range, search), inspect
-- (from the kernel test tool); a message signed with a wrong key is dropped and not run;
-- SIGINT and interrupt_request stop a running cell and the next cell runs; output arrives
-- while a cell runs; a plot as a cell's value shows as PNG; a .gif path as image/gif; inspect
-- shows doc comments; the heartbeat answers; restart gives a fresh state; after a shutdown
-- request the process exits by itself with status 0; cells queued behind a failing cell
-- are answered "aborted" (stop_on_error); binary output does not break messages.
local t = require "tap"
local sh = ebm.sys.capture

local cjson = require "cjson"

-- the command line: bad input is a message and status 1, --install-kernel writes the spec
local out, rc = sh("./ebmlua --kernel /nonexistent/connection.json")
t.ok(rc == 1 and out:find("cannot read the connection file", 1, true), "--kernel with a missing file: message, status 1")
out, rc = sh("./ebmlua --install-kernel --bogus")
t.ok(rc == 1 and out:find("usage: ebmlua --install-kernel", 1, true), "--install-kernel with a bad option: usage, status 1")
local prefix = os.tmpname()
os.remove(prefix)
rc = select(2, sh("./ebmlua --install-kernel --prefix " .. prefix))
local dir = prefix .. "/share/jupyter/kernels/ebmlua"
local f = io.open(dir .. "/kernel.json")
local spec = f and cjson.decode(f:read("a"))
if f then f:close() end
local self = ebm.sys.capture("readlink -f ./ebmlua"):gsub("\n$", "")
t.ok(rc == 0 and spec and spec.argv[1] == self and spec.argv[2] == "--kernel" and spec.argv[3] == "{connection_file}"
  and spec.language == "lua" and spec.display_name == "ebmlua", "--install-kernel --prefix writes kernel.json with the binary's absolute path")
local okl, logo = pcall(ebm.viz.load_png, dir .. "/logo-64x64.png")
t.ok(okl and logo:size(1) == 64 and logo:size(2) == 64, "the 64x64 logo is a PNG the project's reader loads")
os.execute("rm -rf " .. prefix)

local py = "/usr/bin/python3"
rc = select(2, sh(py .. " -c 'import jupyter_kernel_test, jupyter_client' 2>&1"))
if rc ~= 0 then
  t.skip(py .. " lacks jupyter_kernel_test (sh tools/deps.sh installs it)")
  t.done_testing()
end

out, rc = sh("EBMLUA=./ebmlua " .. py .. " -m unittest -v tests/jupyter/test_kernel.py 2>&1")
-- unittest -v writes "test_x (module.Class.test_x) ... ok"; the kernel's own log lines
-- (same stderr) may come between the dots and the verdict
local n, pending = 0, nil
local function verdict(result)
  n = n + 1
  if result == "skipped" then t.skip(pending) else t.ok(result == "ok", pending) end
  pending = nil
end
for line in out:gmatch("[^\n]*") do
  local name, cls, rest = line:match("^(test_[%w_]+) %(([%w_.]+)%)(.*)$")
  if name then
    pending = (cls:match("([%w_]+)%.[%w_]+$") or cls) .. "." .. name
    line = rest
  end
  if pending then
    local r = line:match("%.%.%. (%a+)$") or line:match("^(ok)$") or line:match("^(FAIL)$")
      or line:match("^(ERROR)$") or line:match("^(skipped)")
    if r then verdict(r) end
  end
end
t.ok(out:find("ebmlua kernel: dropped a message with a bad signature", 1, true),
  "the kernel logged the badly signed message")
t.ok(n >= 15, "the kernel test file ran (" .. n .. " tests)")
t.is(rc, 0, "python3 -m unittest tests/jupyter/test_kernel.py passes")
if rc ~= 0 then t.diag(out) end
t.done_testing()
