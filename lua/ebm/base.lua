-- ebm.base: the bottom layer of the Lua library, on top of the C runtime (ebm.core):
-- the version string, tensor constructors, element-wise arithmetic returning new tensors,
-- and the random-number generator. Library modules require this (never the `ebm` facade);
-- the facade (ebm/init.lua) re-exports every field, so scripts write ebm.f32, ebm.zeros, ...
local core = require "ebm.core"

local M = {
  version = "0.1.0",
  core = core,
}

-- Build a tensor of dtype `dt`: from sizes, ebm.f32(2, 3) (zero-filled), or from a
-- nested table of values, ebm.f32{{1, 2}, {3, 4}}. For sizes in a table use ebm.zeros.
local function maker(dt)
  return function(a, ...)
    if type(a) == "table" then return core.tensor_from(dt, a) end
    if a == nil then return core.tensor_new(dt) end
    return core.tensor_new(dt, a, ...)
  end
end

M.f32, M.f64, M.u8, M.i32 = maker "f32", maker "f64", maker "u8", maker "i32"

-- ebm.tensor(...) is ebm.f32(...).
M.tensor = M.f32

-- ebm.zeros({sizes}, dtype) and ebm.ones({sizes}, dtype)
function M.zeros(size, dt)
  return core.tensor_new(dt or "f32", size)
end

function M.ones(size, dt)
  return core.tensor_new(dt or "f32", size):fill(1)
end

M.is_tensor = core.is_tensor

-- Random numbers: ebm.rng(seed) -> a Philox4x32-10 generator.
function M.rng(seed)
  return core.rng(seed or 0)
end

-- Arithmetic returning new tensors (methods such as t:add(x) work in place) -------

for _, k in ipairs { "add", "sub", "mul", "div", "pow", "maximum", "minimum", "matmul" } do
  M[k] = core[k]
end
for _, k in ipairs { "neg", "exp", "log", "sigmoid", "abs", "sqrt", "tanh", "square" } do
  M[k] = function(t) return core.unary(k, t) end
end

-- ebm.clamp(t, lo, hi) -> new tensor with values limited to [lo, hi] (nil = no bound).
function M.clamp(t, lo, hi) return core.unary("clamp", t, lo, hi) end

-- ebm.arange(stop) or ebm.arange(start, stop [, step [, dtype]]): start, start+step, ...
-- up to but excluding stop. The dtype defaults to i32 when all arguments are integers,
-- else f32.
function M.arange(a, b, step, dt)
  if b == nil then a, b = 0, a end
  step = step or 1
  if dt == nil then
    local int = math.type(a) == "integer" and math.type(b) == "integer" and math.type(step) == "integer"
    dt = int and "i32" or "f32"
  end
  return core.arange(a, b, step, dt)
end

-- ebm.linspace(a, b, n [, dtype = "f32"]): n evenly spaced values from a to b inclusive.
function M.linspace(a, b, n, dt) return core.linspace(a, b, n, dt) end

-- ebm.Tensor: the method table shared by all tensors; add Lua methods with
-- `function ebm.Tensor:name(...) ... end`.
M.Tensor = debug.getregistry()["ebm.Tensor"].__index

return M
