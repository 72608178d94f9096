-- ebm: the Lua side of ebmlua. Loads the C runtime (ebm.core) and exposes the library.
--
-- Submodules in lua/ebm/<name>.lua load on first use: `ebm.data`, `ebm.viz`, ... so
-- adding a module needs no edit here, and start-up stays fast.

local core = require "ebm.core"

local ebm = {
  version = "0.1.0",
  core = core,
}

-- Tensors --------------------------------------------------------------------------

-- Build a tensor of dtype `dt`: from sizes, ebm.f32(2, 3) (zero-filled), or from a
-- nested table of values, ebm.f32{{1, 2}, {3, 4}}. For sizes in a table use ebm.zeros.
local function maker(dt)
  return function(a, ...)
    if type(a) == "table" then return core.tensor_from(dt, a) end
    if a == nil then return core.tensor_new(dt) end
    return core.tensor_new(dt, a, ...)
  end
end

ebm.f32, ebm.f64, ebm.u8, ebm.i32 = maker "f32", maker "f64", maker "u8", maker "i32"

-- ebm.tensor(...) is ebm.f32(...).
ebm.tensor = ebm.f32

-- ebm.zeros({sizes}, dtype) and ebm.ones({sizes}, dtype)
function ebm.zeros(size, dt)
  return core.tensor_new(dt or "f32", size)
end

function ebm.ones(size, dt)
  return core.tensor_new(dt or "f32", size):fill(1)
end

ebm.is_tensor = core.is_tensor

-- Random numbers: ebm.rng(seed) -> a Philox4x32-10 generator.
function ebm.rng(seed)
  return core.rng(seed or 0)
end

-- Arithmetic returning new tensors (methods such as t:add(x) work in place) -------

for _, k in ipairs { "add", "sub", "mul", "div", "pow", "maximum", "minimum", "matmul" } do
  ebm[k] = core[k]
end
for _, k in ipairs { "neg", "exp", "log", "sigmoid", "abs", "sqrt", "tanh", "square" } do
  ebm[k] = function(t) return core.unary(k, t) end
end

-- ebm.clamp(t, lo, hi) -> new tensor with values limited to [lo, hi] (nil = no bound).
function ebm.clamp(t, lo, hi) return core.unary("clamp", t, lo, hi) end

-- ebm.arange(stop) or ebm.arange(start, stop [, step [, dtype]]): start, start+step, ...
-- up to but excluding stop. The dtype defaults to i32 when all arguments are integers,
-- else f32.
function ebm.arange(a, b, step, dt)
  if b == nil then a, b = 0, a end
  step = step or 1
  if dt == nil then
    local int = math.type(a) == "integer" and math.type(b) == "integer" and math.type(step) == "integer"
    dt = int and "i32" or "f32"
  end
  return core.arange(a, b, step, dt)
end

-- ebm.linspace(a, b, n [, dtype = "f32"]): n evenly spaced values from a to b inclusive.
function ebm.linspace(a, b, n, dt) return core.linspace(a, b, n, dt) end

-- Printing: tensors print like Torch (values, then shape and dtype); the REPL prints
-- results through ebm.repl_print (tables pretty-printed). Both live in ebm/repl.lua.
do
  local mt = debug.getregistry()["ebm.Tensor"]
  mt.__tostring = function(t) return require("ebm.repl").format_tensor(t) end
end

function ebm.repl_print(...) return require("ebm.repl").print(...) end

-- ebm.Tensor: the method table shared by all tensors; add Lua methods with
-- `function ebm.Tensor:name(...) ... end`.
ebm.Tensor = debug.getregistry()["ebm.Tensor"].__index

-- Lazy submodules ------------------------------------------------------------------

setmetatable(ebm, {
  __index = function(t, k)
    if type(k) ~= "string" then return nil end
    local name = "ebm." .. k
    if package.loaded[name] == nil and not package.searchpath(name, package.path) then
      return nil
    end
    local m = require(name)
    rawset(t, k, m)
    return m
  end,
})

return ebm
