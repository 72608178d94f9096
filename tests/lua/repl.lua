-- repl.lua - the REPL driven through stdin (the pseudo-terminal test is tests/c/repl_pty.c)
-- and the pretty-printer behind it (ebm.repl_print).
local t = require "tap"

local sh = ebm.sys.capture

local out, rc = sh([[printf '1+1\n{z=1, a={2,3}}\nebm.f32{{1,2},{3,4}}\nfor i=1,2 do\nprint(i*10)\nend\nreturn 1, "x", nil\n' | ./ebmlua -i]])
t.is(rc, 0, "REPL on stdin exits 0 at end of input")
t.ok(out:find("\n2\n", 1, true) or out:find("^2\n"), "expression value printed")
t.ok(out:find('{a = {2, 3}, z = 1}', 1, true), "table pretty-printed with sorted keys")
t.ok(out:find("1  2\n3  4\n[ebm.Tensor f32 of size 2x2]", 1, true), "tensor printed like Torch")
t.ok(out:find("10\n20\n", 1, true), "multi-line chunk")
t.ok(out:find("1\tx\tnil", 1, true), "several results tab-separated, nil included")

-- Ctrl-C (SIGINT) interrupts a running chunk; the next command still runs.
out, rc = sh([[
  ( printf 'while true do end\n'; sleep 1; printf 'print(6*7)\n' ) | ./ebmlua -i &
  pid=$!
  sleep 0.4
  kill -INT $pid
  wait $pid
]])
t.ok(out:find("interrupted!", 1, true), "SIGINT interrupts the running chunk")
t.ok(out:find("\n42\n", 1, true) or out:find("42\n", 1, true), "the following command still works")
t.is(rc, 0, "and the REPL ends normally")

-- the printer itself
local R = require "ebm.interp.repl"
t.is(R.format({ 3, 2, 1 }), "{3, 2, 1}", "list in order")
t.is(R.format({ b = 1, a = 2, [2] = "x", [1] = true }), '{true, "x", a = 2, b = 1}', "array part first, then sorted keys")
t.is(R.format({ ["not id"] = 1, [1.5] = 2 }), '{[1.5] = 2, ["not id"] = 1}', "non-identifier keys bracketed")
local cyc = { name = "c" }
cyc.self = cyc
t.ok(R.format(cyc):find("<cycle: table: ", 1, true), "cycles are marked, not followed")
local shared = { 1 }
t.is(R.format({ a = shared, b = shared }), "{a = {1}, b = {1}}", "a table seen twice (no cycle) prints twice")
local deep = { { { { { { 1 } } } } } }
t.is(R.format(deep, { depth = 3 }), "{{{{...}}}}", "depth limit")
local many = {}
for i = 1, 120 do many[i] = i end
t.ok(R.format(many):find("... (70 more)", 1, true), "item limit")
local long = {}
for i = 1, 30 do long["key" .. i] = i end
local text = R.format(long)
t.ok(text:find("\n  key1 = 1,\n", 1, true), "long tables break over lines with indentation")
t.ok(R.format({ w = ebm.f32(2, 3) }):find("ebm.Tensor(f32, 2x3)", 1, true), "tensors inside tables are brief")
t.is(R.format("s"), '"s"', "strings quoted")
t.is(R.format(setmetatable({}, { __tostring = function() return "obj" end })), "obj", "__tostring respected")

t.done_testing()
