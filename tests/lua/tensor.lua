-- tensor.lua - tensor operations from Lua against hand-computed values, and the errors
-- bad arguments raise.
local t = require "tap"

local function close(a, b, tol)
  local x, y = a:totable(), b
  local function walk(u, v)
    if type(u) == "table" then
      if #u ~= #v then return false end
      for i = 1, #u do if not walk(u[i], v[i]) then return false end end
      return true
    end
    return math.abs(u - v) <= (tol or 1e-6)
  end
  return walk(x, y)
end

local a = ebm.f32 { { 1, 2, 3 }, { 4, 5, 6 } }
local row = ebm.f32 { 10, 20, 30 }

-- elementwise, new results
t.ok(close(a + row, { { 11, 22, 33 }, { 14, 25, 36 } }), "a + row broadcasts")
t.ok(close(a - 1, { { 0, 1, 2 }, { 3, 4, 5 } }), "a - scalar")
t.ok(close(2 - a, { { 1, 0, -1 }, { -2, -3, -4 } }), "scalar - a")
t.ok(close(a * a, { { 1, 4, 9 }, { 16, 25, 36 } }), "a * a is elementwise")
t.ok(close(6 / a, { { 6, 3, 2 }, { 1.5, 1.2, 1 } }), "scalar / a")
t.ok(close(-a, { { -1, -2, -3 }, { -4, -5, -6 } }), "unary minus")
t.ok(close(a ^ 2, { { 1, 4, 9 }, { 16, 25, 36 } }), "a ^ 2")
t.ok(close(ebm.exp(ebm.f64 { 0, 1 }), { 1, math.exp(1) }, 1e-12), "ebm.exp")
t.ok(close(ebm.log(ebm.f64 { 1, math.exp(2) }), { 0, 2 }, 1e-12), "ebm.log")
t.ok(close(ebm.sigmoid(ebm.f64 { 0, 2 }), { 0.5, 1 / (1 + math.exp(-2)) }, 1e-12), "ebm.sigmoid")
t.ok(close(ebm.tanh(ebm.f64 { 0.5 }), { (math.exp(1) - 1) / (math.exp(1) + 1) }, 1e-12), "ebm.tanh")
t.ok(close(ebm.abs(ebm.f32 { -2, 3 }), { 2, 3 }), "ebm.abs")
t.ok(close(ebm.sqrt(ebm.f32 { 4, 9 }), { 2, 3 }), "ebm.sqrt")
t.ok(close(ebm.clamp(a, 2, 5), { { 2, 2, 3 }, { 4, 5, 5 } }), "ebm.clamp")
t.ok(close(ebm.maximum(a, row / 10 + 1), { { 2, 3, 4 }, { 4, 5, 6 } }), "ebm.maximum broadcasts")
t.is(a:get(1, 1), 1, "operators leave their operands alone")
t.is((ebm.u8 { 1 } + ebm.f64 { 0.5 }):dtype(), "f64", "dtype promotion u8 + f64 -> f64")
t.is((ebm.u8 { 1 } * 0.5):dtype(), "f32", "u8 times a fraction gives f32")
t.is((ebm.i32 { 1 } * 3):dtype(), "i32", "i32 times an integer stays i32")

-- in place
local b = a:clone()
t.ok(rawequal(b:add(1), b), "t:add returns t")
t.ok(close(b, { { 2, 3, 4 }, { 5, 6, 7 } }), "t:add(scalar) in place")
b:sub(row, 0.1)
t.ok(close(b, { { 1, 1, 1 }, { 4, 4, 4 } }), "t:sub(x, alpha) with broadcasting")
b:mul(2):div(ebm.f32 { 1, 2, 4 })
t.ok(close(b, { { 2, 1, 0.5 }, { 8, 4, 2 } }), "mul and div chain")
local y = ebm.f64 { 1, 1, 1 }
y:axpy(2, ebm.f64 { 1, 2, 3 })
t.ok(close(y, { 3, 5, 7 }), "y:axpy(alpha, x)")
local c = ebm.f32 { -1, 0, 1 }
c:exp():log()
t.ok(close(c, { -1, 0, 1 }, 1e-6), "exp then log round trip")
t.ok(close(ebm.f32 { -3, 0.5, 9 }:clamp(0, 1), { 0, 0.5, 1 }), "t:clamp")
t.ok(close(ebm.f32 { -3, 2 }:clamp(nil, 1), { -3, 1 }), "t:clamp with only an upper bound")

-- a view is updated in place, its base sees it
local base = ebm.f32(3, 4)
base:narrow(2, 2, 2):fill(7):mul(2)
t.is(base:get(3, 3), 14.0, "in-place ops on a narrowed view write through")
t.is(base:get(3, 1), 0.0, "outside the view unchanged")

-- u8 saturation
local u = ebm.u8 { 250, 10 }
u:add(10)
t.is_deeply(u:totable(), { 255, 20 }, "u8 addition saturates at 255")
u:sub(30)
t.is_deeply(u:totable(), { 225, 0 }, "u8 subtraction saturates at 0")
t.is_deeply(ebm.f32 { -1.5, 300, 3.7 }:to("u8"):totable(), { 0, 255, 3 }, "f32 -> u8 conversion saturates and truncates")
t.is_deeply(ebm.f64 { 3e9, -3e9, 0 / 0 }:to("i32"):totable(), { 2147483647, -2147483648, 0 }, "f64 -> i32 saturates, NaN -> 0")

-- reductions
t.is(a:sum(), 21.0, "sum over all")
t.is(a:mean(), 3.5, "mean over all")
t.ok(close(a:sum(1), { 5, 7, 9 }), "sum over dim 1")
t.ok(close(a:sum(2), { 6, 15 }), "sum over dim 2")
t.is_deeply(a:sum(2, true):size(), { 2, 1 }, "keepdim keeps a size-1 dim")
t.ok(close(a:mean(-1), { 2, 5 }), "mean over the last dim (-1)")
local vals, idx = ebm.f32 { { 3, 9, 1 }, { 7, 2, 8 } }:max(2)
t.ok(close(vals, { 9, 8 }), "max over dim: values")
t.is_deeply(idx:totable(), { 2, 3 }, "max over dim: 1-based indices")
t.is_deeply(ebm.f32 { { 3, 9, 1 }, { 7, 2, 8 } }:argmin(1):totable(), { 1, 2, 1 }, "argmin over dim 1")
local mv, mi = ebm.f32 { 4, -2, 8, 8 }:max()
t.ok(mv == 8 and mi == 3, "max over all: value and first index")
t.is(ebm.f32 { 4, -2, 8 }:min(), -2.0, "min over all")
t.is(ebm.u8 { 200, 100 }:sum(), 300.0, "u8 sums do not wrap")
t.is(ebm.u8 { { 200, 100 } }:sum(2):dtype(), "f64", "integer sums over a dim are f64")
t.is(ebm.f32 { 1, 2, 3 }:dot(ebm.f32 { 4, 5, 6 }), 32.0, "dot")
t.near(ebm.f32 { 3, 4 }:norm(), 5, 1e-6, "L2 norm")
t.near(ebm.f32 { 3, -4 }:norm(1), 7, 1e-6, "L1 norm")

-- sequences
t.is_deeply(ebm.arange(4):totable(), { 0, 1, 2, 3 }, "arange(n) is 0..n-1")
t.is(ebm.arange(4):dtype(), "i32", "integer arange gives i32")
t.ok(close(ebm.arange(1, 2, 0.25), { 1, 1.25, 1.5, 1.75 }), "fractional step, stop excluded")
t.ok(close(ebm.arange(3, 0, -1), { 3, 2, 1 }), "negative step")
t.ok(close(ebm.linspace(0, 1, 5), { 0, 0.25, 0.5, 0.75, 1 }), "linspace includes both ends")

-- matmul
local m = ebm.matmul(a, a, { transb = true })
t.ok(close(m, { { 14, 32 }, { 32, 77 } }), "a a^T")
t.ok(close(ebm.matmul(a:t(), a), { { 17, 22, 27 }, { 22, 29, 36 }, { 27, 36, 45 } }), "transposed view as input")
local out = ebm.f32(2, 2):fill(1)
ebm.matmul(a, a:t(), out, { alpha = 2, beta = 1 })
t.ok(close(out, { { 29, 65 }, { 65, 155 } }), "out, alpha and beta")
t.ok(close(a:matmul(ebm.f32 { { 1 }, { 1 }, { 1 } }), { { 6 }, { 15 } }), "t:matmul(b)")

-- random fills are reproducible and use the generator
local r1, r2 = ebm.rng(42), ebm.rng(42)
local x1, x2 = ebm.f32(1000):normal(r1), ebm.f32(1000):normal(r2)
t.is((x1 - x2):abs():max(), 0.0, "same seed, same normal fill")
local x3 = ebm.f32(1000):normal(r1)
t.cmp_ok((x1 - x3):abs():max(), ">", 0, "the generator advances")
local bern = ebm.f32(20000):bernoulli(ebm.rng(7), 0.25)
t.near(bern:mean(), 0.25, 5 * math.sqrt(0.25 * 0.75 / 20000), "bernoulli(p) rate within 5 standard errors")
local probs = ebm.f32 { 0, 1, 0, 1 }
t.is_deeply(ebm.f32(4):bernoulli(ebm.rng(1), probs):totable(), { 0, 1, 0, 1 }, "bernoulli with 0/1 probabilities")
local unif = ebm.f64(20000):uniform(ebm.rng(3), 2, 4)
t.ok(unif:min() >= 2 and unif:max() < 4, "uniform(lo, hi) stays in [lo, hi)")
t.near(unif:mean(), 3, 5 * (2 / math.sqrt(12)) / math.sqrt(20000), "uniform mean within 5 standard errors")

-- fills and sums give the same results for any number of threads (big enough to run in
-- parallel)
do
  local sys = ebm.sys
  local before = sys.nthreads()
  local function run(threads)
    sys.set_threads(threads)
    local r = ebm.rng(11)
    local x = ebm.f32(600000):uniform(r)
    local z = ebm.f64(600000):normal(r)
    local bb = ebm.u8(600000):bernoulli(r, 0.5)
    return x, z, bb, x:sum(), z:sum()
  end
  local xa, z1, b1, s1, zs1 = run(1)
  local xb, z2, b2, s2, zs2 = run(2)
  sys.set_threads(before)
  t.ok((xa - xb):abs():max() == 0 and (z1 - z2):abs():max() == 0 and (b1:to("f32") - b2:to("f32")):abs():max() == 0,
    "uniform/normal/bernoulli fills identical for 1 and 2 threads")
  t.ok(s1 == s2 and zs1 == zs2, "sums identical for 1 and 2 threads")
end

-- printing
local s = tostring(ebm.f32 { { 1, 2 }, { 3, 4 } })
t.ok(s:find("1  2\n3  4\n", 1, true) and s:find("%[ebm.Tensor f32 of size 2x2%]"), "tostring shows values, dtype and shape")
local big = tostring(ebm.arange(10000):view(100, 100))
t.ok(big:find("...", 1, true) and #big < 2000, "big tensors are summarised")

-- errors name the function and argument
t.error_like(function() return a + ebm.f32(4) end, "does not broadcast", "shape mismatch in +")
t.error_like(function() a:add(ebm.f32(2, 2)) end, "bad argument #1 to 'add'", "in-place shape mismatch names the argument")
t.error_like(function() a:add("x") end, "ebm.Tensor or number expected", "wrong operand type")
t.error_like(function() a:sum(3) end, "dimension 3 out of range", "sum over a missing dim")
t.error_like(function() a:max(0) end, "out of range", "max over dim 0")
t.error_like(function() ebm.matmul(a, a) end, "inner dimensions differ", "matmul shape mismatch")
t.error_like(function() ebm.matmul(a, ebm.f64(3, 2)) end, "dtype", "matmul dtype mismatch")
t.error_like(function() ebm.matmul(ebm.u8(2, 2), ebm.u8(2, 2)) end, "f32 or f64", "matmul of u8 refused")
t.error_like(function() ebm.matmul(ebm.f32(3), a) end, "2%-d", "matmul of a 1-d tensor refused")
t.error_like(function() ebm.matmul(a, a:t(), ebm.f32(3, 3)) end, "expected shape %[2,2%]", "wrong out shape")
t.error_like(function() ebm.f32(3):uniform(42) end, "ebm.Rng expected", "fills need a generator")
t.error_like(function() ebm.f32(3):bernoulli(ebm.rng(1), 1.5) end, "probability", "bernoulli p out of range")
t.error_like(function() ebm.f32(0):max() end, "empty", "max of an empty tensor")
t.error_like(function() ebm.f32(3):dot(ebm.f32(4)) end, "element counts differ", "dot size mismatch")
t.error_like(function() ebm.arange(0, 1, 0) end, "step", "arange with step 0")
t.error_like(function() a:view(4, 2) end, "cannot view", "view with the wrong element count")

t.done_testing()
