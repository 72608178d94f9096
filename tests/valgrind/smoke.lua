-- smoke.lua - a small tour of the runtime for `make valgrind` (seconds under valgrind, not
-- minutes): tensors and BLAS, a grid model, block Gibbs sweeps (generic, threshold tables and
-- bit-packed), statistics, a checkpoint and a PNG written and read back. Exits non-zero on a
-- wrong value.
local a = ebm.f32{{1, 2}, {3, 4}}
assert((a * a):sum() == 30)
local m = ebm.grid{height=6, width=6, levels=3, stencil="8", coupling="potts"}
m:randomise(0.5, ebm.rng(1))
local s = ebm.sampler{model=m, seed=1}
local x = s:chains(64, "uniform")
s:sweep(x, {n=5, beta=1})
assert(x:size(1) == 36 and x:size(2) == 64)
local m4 = ebm.grid{height=5, width=5, levels=4}  -- 4 neighbours of 4 levels: threshold tables
m4:randomise(0.5, ebm.rng(3))
local s4 = ebm.sampler{model=m4, seed=1}
local x4 = s4:chains(128)
s4:sweep(x4, {n=10})                              -- 1280 chain-sweeps: the tables are filled
s4:sweep(x4, {n=2, levels="float", rng="philox"})
assert(x4:size(1) == 25)
m:energy(x); m:stats(x)
local b = ebm.grid{height=5, width=5, levels=2, stencil="4", coupling="spin"}
local sb = ebm.sampler{model=b, seed=2}
local p = sb:pack(sb:chains(128))
sb:sweep_packed(p, {n=3})
assert(p:unpack():size(2) == 128)
local dir = os.tmpname()
ebm.io.save(dir, a)
assert(ebm.io.load(dir):sum() == 10)
os.remove(dir)
local img = ebm.u8(7, 5):fill(200)
ebm.viz.save_png(dir .. ".png", img)
assert(ebm.viz.load_png(dir .. ".png"):sum() == 7 * 5 * 200)
os.remove(dir .. ".png")
print("smoke ok")
