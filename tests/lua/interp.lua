-- interp.lua - the ebmlua interpreter behaves like lua: arg table, -e, -v, exit codes, stdin.
local t = require "tap"
local _

local exe = "./ebmlua"
local run = ebm.sys.capture

local out, rc = run(exe .. " -e 'print(ebm.version)'")
t.ok(out:match("^%d+%.%d+%.%d+\n$"), "-e prints ebm.version")
t.is(rc, 0, "exit status 0 on success")

out, rc = run(exe .. " -e 'error(\"boom\")'")
t.is(rc, 1, "a script error exits 1")
t.ok(out:find("boom") and out:find("stack traceback"), "error message and traceback on stderr")

local f = os.tmpname()
local h = io.open(f, "w")
h:write("print(arg[0] == ... and 'x' or 'y', #arg, arg[1], arg[2], arg[-1] ~= nil)\n")
h:close()
out = run(exe .. " " .. f .. " a b")
t.is(out, "y\t2\ta\tb\ttrue\n", "script sees arg table and ... ")
os.remove(f)

out = run("echo 'print(1 + 2)' | " .. exe .. " -")
t.is(out, "3\n", "- runs stdin")

out = run(exe .. " -v")
t.ok(out:match("^ebmlua %S+ %(Lua 5%.4"), "-v prints the version")

_, rc = run(exe .. " -l nosuchmodule -e 'print(1)'")
t.is(rc, 1, "-l of a missing module fails")

out, rc = run(exe .. " -q")
t.ok(rc == 1 and out:find("unrecognized option"), "bad option: usage and exit 1")

out = run("printf '1+1\\nfor i=1,2 do\\nprint(i*10)\\nend\\n' | " .. exe .. " -i")
t.ok(out:find("\n2\n") or out:find("> 2\n"), "REPL prints expression values")
t.ok(out:find("10\n") and out:find("20\n"), "REPL accepts multi-line input")

t.done_testing()
