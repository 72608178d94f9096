-- fuzz_args.lua - no call from Lua may crash the process: every ebm.core function and every
-- tensor method is called with random argument lists (wrong types, negative and huge
-- numbers, empty and odd-shaped tensors, generators). Errors are expected; a crash is not.
-- The calls run in a child process inside a temporary directory (some functions take a
-- path, and a number is a valid file name).
local t = require "tap"

local seed = t.seed(tonumber(os.getenv("EBM_FUZZ_SEED")) or 5)
local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p '" .. dir .. "'"))
local body = dir .. "/fuzz.lua"
local f = assert(io.open(body, "w"))
f:write([=[
local core = ebm.core
local r = ebm.rng(tonumber(arg[1]))
local trials = tonumber(arg[2])
local function vals()
  return { nil, 0, -1, 1e18, 3, "x", {}, {1, 2}, ebm.f32(2, 2), ebm.u8(3), ebm.f64(0), ebm.i32(2, 3, 4),
           true, ebm.rng(1), -7, ebm.f32(3, 4):t(), 0.5, {n = -1}, {-3, 1e12} }
end
local function call(fn, self)
  for _ = 1, trials do
    local v, args = vals(), {}
    local nargs = r:uniform(7) - 1
    for i = 1, nargs do args[i] = v[r:uniform(#v)] end
    if self then pcall(fn, self(), table.unpack(args, 1, nargs))
    else pcall(fn, table.unpack(args, 1, nargs)) end
  end
end
local names = {}
for k, v in pairs(core) do if type(v) == "function" and k ~= "threads" and k ~= "sys_sleep" then names[#names + 1] = k end end
table.sort(names)
for _, k in ipairs(names) do call(core[k]) end
local methods = {}
for k, v in pairs(ebm.Tensor) do if type(v) == "function" then methods[#methods + 1] = k end end
table.sort(methods)
local selves = { function() return ebm.f32(2, 3) end, function() return ebm.u8(4) end,
                 function() return ebm.f64(2, 2):t() end, function() return ebm.i32(0) end }
for _, k in ipairs(methods) do call(ebm.Tensor[k], selves[r:uniform(#selves)]) end
print(("fuzz done: %d functions, %d methods"):format(#names, #methods))
]=])
f:close()

local out, rc = ebm.sys.capture(string.format("cd '%s' && '%s' fuzz.lua %d 150", dir, ebm.sys.exe(), seed))
t.is(rc, 0, "random arguments to every core function and tensor method: the process survives")
t.ok(out:find("fuzz done"), "the fuzz ran to the end")
if rc ~= 0 then t.diag(out:sub(-2000)) end
os.execute("rm -rf '" .. dir .. "'")
t.done_testing()
