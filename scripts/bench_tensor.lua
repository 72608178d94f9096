-- bench_tensor.lua - throughput of the tensor runtime: elementwise ops, reductions, random
-- fills, GEMM, optimiser steps. Prints a table; not a test.
--
--   ebmlua scripts/bench_tensor.lua [--n 10000000] [--gemm 512] [--repeat 5] [--threads T]
local ebm = require "ebm"
local cli = ebm.cli

local parser = cli.parser("bench_tensor.lua", "Tensor runtime throughput (best of --repeat runs).")
parser:option("--n", "Elements for elementwise ops, reductions and fills.", "10000000"):convert(cli.posint)
parser:option("--gemm", "Size of the square GEMM.", "512"):convert(cli.int(1, 1000000))
parser:option("--repeat", "Runs per measurement (the best is reported).", "5"):convert(cli.int(1, 1000))
parser:option("--threads", "OpenMP threads (default: as configured).", nil):convert(cli.int(1, 1024))
local args = cli.parse(parser)
-- the largest buffers: a few f32 vectors of --n elements, three f32 --gemm squares
cli.main(cli.fits, 4 * 4 * args.n, "--n " .. args.n)
cli.main(cli.fits, 4 * 3 * args.gemm * args.gemm, "--gemm " .. args.gemm)
cli.main(function()
  if args.threads then ebm.sys.set_threads(args.threads) end

  local clock = ebm.sys.clock
  local function best(f)
    local b = math.huge
    for _ = 1, args["repeat"] do
      local t0 = clock()
      f()
      b = math.min(b, clock() - t0)
    end
    return b
  end

  local n = args.n
  local rng = ebm.rng(1)
  local a = ebm.f32(n):uniform(rng)
  local b = ebm.f32(n):uniform(rng)
  local rows = {}
  local function row(name, secs, unit, amount)
    rows[#rows + 1] = string.format("%-34s %10.3f ms %10.2f %s", name, secs * 1e3, amount / secs / 1e9, unit)
  end

  row("a:add(b)  f32", best(function() a:add(b) end), "Gelem/s", n)
  row("a:mul(0.5) f32", best(function() a:mul(0.5) end), "Gelem/s", n)
  row("a:axpy(0.1, b) f32", best(function() a:axpy(0.1, b) end), "Gelem/s", n)
  row("a:sigmoid() f32", best(function() a:sigmoid() end), "Gelem/s", n)
  row("a + b (new tensor) f32", best(function() local _ = a + b end), "Gelem/s", n)
  local m = math.floor(math.sqrt(n))
  local mat = ebm.f32(m, m):uniform(rng)
  local rowv = ebm.f32(m):uniform(rng)
  row(string.format("mat:add(row) broadcast %dx%d", m, m), best(function() mat:add(rowv) end), "Gelem/s", m * m)
  row("a:sum() f32", best(function() a:sum() end), "Gelem/s", n)
  row(string.format("mat:sum(1) %dx%d", m, m), best(function() mat:sum(1) end), "Gelem/s", m * m)
  row("a:uniform(rng) f32", best(function() a:uniform(rng) end), "Gelem/s", n)
  row("a:normal(rng) f32", best(function() a:normal(rng) end), "Gelem/s", n)
  row("a:bernoulli(rng, 0.3) f32", best(function() a:bernoulli(rng, 0.3) end), "Gelem/s", n)
  local g = args.gemm
  local A, B, C = ebm.f32(g, g):normal(rng), ebm.f32(g, g):normal(rng), ebm.f32(g, g)
  row(string.format("matmul %dx%d f32", g, g), best(function() ebm.matmul(A, B, C) end), "GFLOP/s", 2 * g ^ 3)
  row(string.format("matmul %dx%d f32, A^T view", g, g), best(function() ebm.matmul(A:t(), B, C) end), "GFLOP/s", 2 * g ^ 3)
  local Ad, Bd, Cd = ebm.f64(g, g):normal(rng), ebm.f64(g, g):normal(rng), ebm.f64(g, g)
  row(string.format("matmul %dx%d f64", g, g), best(function() ebm.matmul(Ad, Bd, Cd) end), "GFLOP/s", 2 * g ^ 3)
  local p, grad, st = ebm.f32(n):normal(rng), ebm.f32(n):normal(rng), {}
  row("optim.adam step f32", best(function() ebm.optim.adam(p, grad, { lr = 1e-3 }, st) end), "Gparam/s", n)
  local st2 = {}
  row("optim.sgd step (momentum) f32", best(function() ebm.optim.sgd(p, grad, { lr = 1e-3, momentum = 0.9 }, st2) end), "Gparam/s", n)

  print(string.format("# n = %d, best of %d, threads = %s", n, args["repeat"], tostring(ebm.sys.nthreads())))
  for _, r in ipairs(rows) do print(r) end
end)
