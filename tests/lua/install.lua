-- install.lua - `make install PREFIX=<tmp>` gives a working copy that finds its own Lua
-- library from another directory.
local t = require "tap"

local prefix = os.tmpname()
os.remove(prefix)
local sh = ebm.sys.capture

local out, rc = sh("make -s install PREFIX=" .. prefix)
t.is(rc, 0, "make install succeeds")
if rc ~= 0 then t.diag(out) end
local exe = prefix .. "/bin/ebmlua"
out, rc = sh("cd / && env -u EBMLUA_PATH " .. exe .. " -e 'print(ebm.version)'")
t.ok(rc == 0 and out:match("^%d+%.%d+%.%d+\n$"), "installed ebmlua prints ebm.version")
out = sh("cd / && env -u EBMLUA_PATH " .. exe .. " -e 'print(package.searchpath(\"ebm\", package.path))'")
t.ok(out:find(prefix .. "/bin/../share/ebmlua/lua/ebm/init.lua", 1, true), "its library is the installed copy")
out = sh("cd / && env -u EBMLUA_PATH " .. exe ..
  " -e 'local x = ebm.f32{1,2}; local f = os.tmpname(); ebm.io.save(f, x); os.remove(f); print(ebm.optim ~= nil, (x + 1):sum())'")
t.is(out, "true\t5.0\n", "submodules load lazily from the installed tree")
t.ok(io.open(prefix .. "/share/ebmlua/scripts", "r") ~= nil, "scripts are installed")
os.execute("rm -rf " .. prefix)
t.done_testing()
