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
