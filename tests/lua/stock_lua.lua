-- stock_lua.lua - `require "ebm"` from Debian's plain lua5.4 through the C module
-- ebm/core.so (`make module`): the same library, the same results as in ebmlua.
local t = require "tap"
local sh = ebm.sys.capture

if not io.open("ebm/core.so", "rb") then
  print("1..0 # SKIP ebm/core.so not built (make module)")
  os.exit(0)
end
local _, rc = sh("command -v lua5.4")
if rc ~= 0 then
  print("1..0 # SKIP lua5.4 not installed")
  os.exit(0)
end

-- Under `make sanitize` the module is built with ASan, whose runtime must be loaded before
-- anything else; plain lua5.4 is not, so preload it for the lua5.4 runs (leak checks off:
-- they would judge lua5.4 itself, not the module).
local LUA = "lua5.4"
do
  local asan = sh("ldd ebm/core.so 2>/dev/null | awk '/libasan/ {print $3}'"):match("^(%S+)")
  if asan then LUA = "LD_PRELOAD=" .. asan .. " ASAN_OPTIONS=detect_leaks=0 lua5.4" end
end

local PRE = [[package.cpath="./?.so;"..package.cpath; package.path="lua/?.lua;lua/?/init.lua;"..package.path; ]]
local function lua(code)
  local f = os.tmpname()
  local h = assert(io.open(f, "w"))
  h:write(PRE, code)
  h:close()
  local out, status = sh(LUA .. " " .. f)
  os.remove(f)
  return out, status
end

local out
out, rc = lua([[local ebm = require "ebm"; print(ebm.f32{1,2}:sum())]])
t.is(out, "3.0\n", "lua5.4: require 'ebm', ebm.f32{1,2}:sum()")
t.is(rc, 0, "exit status 0")

-- the same random draw and the same exact sampler result as in ebmlua
local code = [[
local ebm = require "ebm"
local r = ebm.rng(7)
local s = 0
for _ = 1, 100 do s = s + r:uniform() end
local t = ebm.f32{{1, 2}, {3, 4}}
print(string.format("%.12f %.1f", s, ebm.matmul(t, t):sum()))
print(package.searchpath("ebm.core", package.cpath))
]]
out, rc = lua(code)
t.is(rc, 0, "lua5.4 runs a tensor/rng script")
local f = os.tmpname()
local h = assert(io.open(f, "w"))
h:write(code)
h:close()
local native = sh("./ebmlua " .. f)
os.remove(f)
t.is(out:match("^[^\n]*"), native:match("^[^\n]*"), "lua5.4 and ebmlua: same uniforms from seed 7, same matmul")
t.is(out:match("\n([^\n]*)"), "./ebm/core.so", "the runtime came from ebm/core.so")

-- Lua modules load lazily through the facade; errors are Lua errors, not crashes
out, rc = lua([[local ebm = require "ebm"; print(type(ebm.viz.grid), pcall(ebm.f32, -1))]])
t.ok(rc == 0 and out:match("^function\tfalse\t"), "lazy submodules and argument errors work under lua5.4")

-- the rockspec: `luarocks make` into a temporary tree, then lua5.4 loads from that tree
if select(2, sh("command -v luarocks")) ~= 0 then
  t.skip("luarocks not installed", 2)
else
  local tree = os.tmpname()
  os.remove(tree)
  out, rc = sh("luarocks --lua-version 5.4 --tree " .. tree .. " make ebmlua-0.1.0-1.rockspec")
  t.is(rc, 0, "luarocks make ebmlua-0.1.0-1.rockspec installs into a temporary tree")
  if rc ~= 0 then t.diag(out) end
  out = sh(string.format("cd / && " .. LUA .. " -e \"package.cpath='%s/lib/lua/5.4/?.so;'..package.cpath; " ..
    "package.path='%s/share/lua/5.4/?.lua;%s/share/lua/5.4/?/init.lua;'..package.path; " ..
    "print(require('ebm').f32{1,2}:sum(), package.searchpath('ebm.core', package.cpath))\"", tree, tree, tree))
  t.is(out, "3.0\t" .. tree .. "/lib/lua/5.4/ebm/core.so\n", "lua5.4 loads ebm from the rock tree")
  os.execute("rm -rf " .. tree)
end
t.done_testing()
