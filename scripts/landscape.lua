-- landscape.lua - the energy landscape of trained grid EBMs (model.ckpt files of
-- train_digit.lua): energy histograms and how well energy separates digits from non-digits,
-- a 2-D PCA picture with the energy as a heat map, energy along paths between two training
-- digits, and the minima reached by zero-temperature quenches.
--
--   ebmlua scripts/train_digit.lua 3 --model seed --levels 2 --out runs/d3-seed-k2
--   ebmlua scripts/train_digit.lua 3 --model potts --levels 2 --out runs/d3-potts-k2
--   ebmlua scripts/landscape.lua runs/d3-seed-k2/model.ckpt runs/d3-potts-k2/model.ckpt --out runs/landscape
--
-- For each model (E(x) = -sum b - sum T, beta 1; lower = more probable):
--   sets      test images of the model's digit (data), test images of the other digits,
--             model samples (chains from the biases, --sample-sweeps sweeps), uniform noise,
--             and the data with a fraction r of pixels corrupted (binary: flipped; K levels:
--             replaced by another level) for r in --rates. AUC = P(E(data) < E(other)).
--   PCA       principal components of training images of the digit (LAPACK); data and
--             samples projected on PC1/PC2; the heat map is the energy of the *thresholded
--             reconstruction* mean + z1 v1 + z2 v2 rounded to the nearest level at each point
--             z of the plane (an image on the plane, not the energy of the points shown)
--   paths     from a training image a to b: (1) the straight line in Hamming space (the
--             differing pixels switch to b's values in a random order), (2) low-temperature
--             Gibbs paths: the same switches, but after each step the other pixels are
--             resampled at --path-beta for 2 sweeps (the switched ones clamped); best of
--             --path-chains chains. Barrier = max E along the path - max(E(a), E(b)). Pairs:
--             two styles of the digit (the training image farthest in Hamming distance from
--             the first among 300) and the digit against another digit (--other).
--   basins    --quench chains from noise and from test images quenched by block-wise ICM to a
--             local minimum (no single-pixel change lowers E); distinct minima, their energies
--             and basin sizes (chains ending there); picture of the most common minima.
-- Writes PNGs (landscape-<hist|pca|paths|minima>-<name>.png) and summary.json into --out.
local cjson = require "cjson"
local ebm = require "ebm"
local cli = ebm.cli
local L = ebm.landscape

local p = cli.parser("landscape.lua", "Energy landscape of trained grid EBMs: histograms, AUC, PCA heat map, paths, basins.")
p:argument("ckpt", "Checkpoints written by train_digit.lua (model.ckpt); one or more."):args("+"):convert(cli.file)
p:option("--out", "Output folder (PNGs and summary.json).", "runs/landscape"):convert(cli.outdir)
p:option("--n", "Images (and chains) per set.", "500"):convert(cli.int(10, 100000))
p:option("--rates", "Corruption rates (comma-separated fractions of pixels).", "0.02,0.05,0.1,0.2")
  :convert(cli.list(cli.number { min = 0, max = 1 }))
p:option("--sample-sweeps", "Gibbs sweeps for the model samples.", "200"):convert(cli.int(0, 1000000))
p:option("--grid", "Heat-map points per side.", "40"):convert(cli.int(4, 400))
p:option("--path-steps", "Steps along each path.", "40"):convert(cli.int(2, 10000))
p:option("--path-beta", "Inverse temperature of the Gibbs paths.", "2"):convert(cli.number { min = 0 })
p:option("--path-chains", "Gibbs paths per pair (the lowest barrier is reported).", "16"):convert(cli.int(1, 4096))
p:option("--quench", "Chains quenched from noise and from data (each).", "1000"):convert(cli.int(1, 1000000))
p:option("--other", "The other digit for the between-digits path.", "7"):convert(cli.int(0, 9))
p:option("--seed", "Seed of every random choice.", "1"):convert(cli.int(0, 1 << 31))
p:option("--names", "Comma-separated names of the models (default: the checkpoint folders).")
p:flag("--quick", "Smaller sets (under a minute for two models).")
local a = cli.parse(p)
local N, G, steps = a.n, a.grid, a.path_steps
local sweeps, pchains, nq = a.sample_sweeps, a.path_chains, a.quench
local other, seed, pbeta = a.other, a.seed, a.path_beta
local rates = a.rates
if a.quick then N, G, steps, pchains, nq = math.min(N, 200), math.min(G, 24), math.min(steps, 20), math.min(pchains, 8),
  math.min(nq, 300) end
local names = {}
if a.names then for s in a.names:gmatch("[^,]+") do names[#names + 1] = s end end
cli.main(ebm.run.mkdirs, a.out)
local t0 = ebm.sys.clock()
local function loadavg() return ("%.2f %.2f %.2f"):format(ebm.sys.loadavg()) end
print(("# landscape.lua: %d images per set, load average %s"):format(N, loadavg()))

local function energies(m, rows) return m:energy(rows):totable() end
local function median(t)
  local c = {}
  for k, v in ipairs(t) do c[k] = v end
  table.sort(c)
  return #c % 2 == 1 and c[(#c + 1) // 2] or 0.5 * (c[#c // 2] + c[#c // 2 + 1])
end
local function rows_of(x) -- chains [n, C] -> images [C, 28, 28]
  return x:t():contiguous():view(x:size(2), 28, 28)
end

cli.main(function()
  local summary = {}
  for mi, path in ipairs(a.ckpt) do
    local m, meta = ebm.ckpt.load_model(path)
    local cfg = meta.config
    local K, digit = cfg.levels, cfg.digit
    if digit == "all" then cli.usage("%s: a model of one digit is needed (the sets are that digit vs the others)", path) end
    local name = names[mi] or (path:match("([^/]+)/[^/]*$") or ("model" .. mi))
    local rng = ebm.rng(seed)
    local res = { name = name, checkpoint = path, levels = K, digit = digit, model = cfg.model }
    print(("\n## %s (%s, %d levels, digit %s)"):format(name, cfg.model, K, tostring(digit)))

    -- 1. sets, energies, AUC
    local data = ebm.data.mnist { split = "test", digits = { digit }, levels = K, limit = N }
    local others = {}
    for d = 0, 9 do if d ~= digit then others[#others + 1] = d end end
    local odata = ebm.data.mnist { split = "test", digits = others, levels = K, limit = N }
    local s = ebm.sampler { model = m, seed = seed }
    local xs = s:chains(N, "bias")
    s:sweep(xs, { n = sweeps })
    local noise = ebm.zeros({ N, 28, 28 }, "u8")
    noise = L.corrupt(noise, 1, K, rng) -- every pixel a uniform non-zero level ...
    noise = L.corrupt(noise, (K - 1) / K, K, rng) -- ... then uniform over all K levels
    local sets = {
      { name = "data (test " .. digit .. "s)", e = energies(m, data) },
      { name = "samples", e = m:energy(xs):totable() },
      { name = "other digits", e = energies(m, odata) },
      { name = "noise", e = energies(m, noise) },
    }
    for _, r in ipairs(rates) do
      sets[#sets + 1] = { name = ("corrupted %g%%"):format(100 * r), e = energies(m, L.corrupt(data, r, K, rng)) }
    end
    print("| set | median E | AUC vs data |")
    print("|---|---|---|")
    res.sets = {}
    for k, st in ipairs(sets) do
      st.auc = k > 1 and L.auc(sets[1].e, st.e) or nil
      res.sets[k] = { name = st.name, median = median(st.e), auc = st.auc }
      print(("| %s | %.1f | %s |"):format(st.name, median(st.e), st.auc and ("%.3f"):format(st.auc) or ""))
    end
    if ebm.plot.available() then
      local lo, hi = math.huge, -math.huge
      for _, st in ipairs(sets) do for _, v in ipairs(st.e) do lo, hi = math.min(lo, v), math.max(hi, v) end end
      local B = 60
      local w = (hi - lo) / B
      local series = {}
      for _, st in ipairs(sets) do
        local cnt, xsr = {}, {}
        for b = 1, B do cnt[b], xsr[b] = 0, lo + (b - 0.5) * w end
        for _, v in ipairs(st.e) do
          local b = math.min(B, math.floor((v - lo) / w) + 1)
          cnt[b] = cnt[b] + 1 / #st.e
        end
        series[#series + 1] = { name = st.name, x = xsr, y = cnt }
      end
      ebm.plot.lines { path = a.out .. "/landscape-hist-" .. name .. ".png", series = series, width = 720, height = 420,
        title = name .. ": energy histograms (fraction of each set per bin)", xlabel = "energy E(x)", ylabel = "fraction",
        key = "top right" }
    end

    -- 2. PCA picture
    local train = ebm.data.mnist { split = "train", digits = { digit }, levels = K, limit = math.max(N, 1000) }
    local X = train:view(train:size(1), 784):to("f64")
    local pc = L.pca(X, 2)
    local V = pc.components -- [2, 784]
    local function project(rows)
      local R = rows:contiguous():view(rows:size(1), 784):to("f64")
      R:sub(pc.mean:view(1, 784))
      return ebm.matmul(R, V, { transb = true }) -- [n, 2]
    end
    local pd, ps = project(data), project(rows_of(xs))
    local lo1, hi1, lo2, hi2 = math.huge, -math.huge, math.huge, -math.huge
    for _, P in ipairs { pd, ps } do
      for r = 1, P:size(1) do
        lo1, hi1 = math.min(lo1, P:get(r, 1)), math.max(hi1, P:get(r, 1))
        lo2, hi2 = math.min(lo2, P:get(r, 2)), math.max(hi2, P:get(r, 2))
      end
    end
    local Z = ebm.zeros({ G * G, 2 }, "f64")
    for j = 1, G do
      for i = 1, G do
        Z:set((j - 1) * G + i, 1, lo1 + (i - 1) * (hi1 - lo1) / (G - 1))
        Z:set((j - 1) * G + i, 2, lo2 + (j - 1) * (hi2 - lo2) / (G - 1))
      end
    end
    local recon = ebm.matmul(Z, V):add(pc.mean:view(1, 784)):add(0.5):clamp(0, K - 1 + 0.49) -- round to levels
    local img = ebm.zeros({ G * G, 784 }, "u8")
    img:copy(recon) -- f64 -> u8 truncates: floor(v + 0.5) = nearest level
    local eg = m:energy(img:view(G * G, 28, 28))
    local zt = {}
    for j = 1, G do
      zt[j] = {}
      for i = 1, G do zt[j][i] = eg:get((j - 1) * G + i) end
    end
    res.pca = { var = { pc.var:get(1), pc.var:get(2) }, total = pc.total }
    print(("PCA: PC1 and PC2 explain %.1f%% and %.1f%% of the variance of %d training images"):format(
      100 * pc.var:get(1) / pc.total, 100 * pc.var:get(2) / pc.total, train:size(1)))
    if ebm.plot.available() then
      local nshow = math.min(200, N)
      ebm.plot.heatmap { path = a.out .. "/landscape-pca-" .. name .. ".png", z = zt, x = { lo1, hi1 }, y = { lo2, hi2 },
        width = 640, height = 480, cblabel = "E(thresholded reconstruction)",
        title = name .. ": energy over the PC1/PC2 plane, test images and samples projected",
        xlabel = "PC1", ylabel = "PC2", key = "top right opaque",
        points = { { name = "test " .. digit .. "s", x = pd:narrow(1, 1, nshow):select(2, 1), y = pd:narrow(1, 1, nshow):select(2, 2),
          color = "#00c0ff" }, { name = "samples", x = ps:narrow(1, 1, nshow):select(2, 1),
          y = ps:narrow(1, 1, nshow):select(2, 2), color = "#60ff60" } } }
    end

    -- 3. paths
    local pool = ebm.data.mnist { split = "train", digits = { digit }, levels = K, limit = 300 }
    local A = pool:select(1, 1):clone()
    local far, farD = 2, -1
    for k = 2, pool:size(1) do
      local dd = (pool:select(1, k):to("f32") - A:to("f32")):abs():clamp(0, 1):sum() -- pixels that differ
      if dd > farD then far, farD = k, dd end
    end
    local Bo = ebm.data.mnist { split = "train", digits = { other }, levels = K, limit = 1 }:select(1, 1):clone()
    local pairs_ = { { name = "two styles of " .. digit, b = pool:select(1, far):clone() },
      { name = digit .. " to " .. other, b = Bo } }
    local pseries = {}
    res.paths = {}
    print("| pair | differing pixels | E(a) | E(b) | barrier, straight | barrier, Gibbs beta " .. pbeta .. " |")
    print("|---|---|---|---|---|---|")
    for _, pr in ipairs(pairs_) do
      local lin, D = L.hamming_path(A, pr.b, steps, rng)
      local el = m:energy(lin):totable()
      local ea, eb = el[1], el[#el]
      local function barrier(t) local mx = -math.huge; for _, v in ipairs(t) do mx = math.max(mx, v) end; return mx - math.max(ea, eb) end
      -- Gibbs paths: switched pixels clamped to b, the rest resampled at pbeta
      local x = ebm.zeros({ 784, pchains }, "u8")
      for c = 1, pchains do x:select(2, c):copy(A:view(784)) end
      local sg = ebm.sampler { model = m, seed = seed + 17 }
      local best, bestpath
      local paths = {}
      for c = 1, pchains do paths[c] = { ea } end
      for st = 1, steps do
        local target = lin:select(2, st + 1)
        local mask = ebm.zeros({ 784 }, "u8")
        local av = A:view(784)
        for i = 1, 784 do if target:get(i) ~= av:get(i) then mask:set(i, 1) end end
        for c = 1, pchains do
          local col = x:select(2, c)
          for i = 1, 784 do if mask:get(i) == 1 then col:set(i, target:get(i)) end end
        end
        if st < steps then sg:sweep(x, { n = 2, beta = pbeta, clamp = mask }) end
        local e = m:energy(x):totable()
        for c = 1, pchains do paths[c][#paths[c] + 1] = st < steps and e[c] or eb end
      end
      for c = 1, pchains do
        local b = barrier(paths[c])
        if not best or b < best then best, bestpath = b, paths[c] end
      end
      local bl = barrier(el)
      res.paths[#res.paths + 1] = { pair = pr.name, differing = D, ea = ea, eb = eb, barrier_straight = bl, barrier_gibbs = best }
      print(("| %s | %d | %.1f | %.1f | %.1f | %.1f |"):format(pr.name, D, ea, eb, bl, best))
      local xsr = {}
      for k = 0, steps do xsr[k + 1] = k / steps end
      pseries[#pseries + 1] = { name = pr.name .. ", straight", x = xsr, y = el }
      pseries[#pseries + 1] = { name = pr.name .. ", Gibbs beta " .. pbeta, x = xsr, y = bestpath }
    end
    if ebm.plot.available() then
      ebm.plot.lines { path = a.out .. "/landscape-paths-" .. name .. ".png", series = pseries, width = 720, height = 420,
        title = name .. ": energy along paths between training images", xlabel = "fraction of differing pixels switched",
        ylabel = "energy E(x)" }
    end

    -- 4. basins
    local qs = ebm.sampler { model = m, seed = seed + 33 }
    local qn = qs:chains(nq, "uniform")
    local _, swn, chn = L.quench(m, qn, { max_sweeps = 10000 })
    local qdata = ebm.data.mnist { split = "test", digits = { digit }, levels = K, limit = nq }
    local qd = qs:chains(qdata)
    local _, swd, chd = L.quench(m, qd, { max_sweeps = 10000 })
    res.basins = {}
    local rowsimg = {}
    print("| start | chains | ICM sweeps | distinct minima | largest basins (chains) | E of the largest | lowest E | median E |")
    print("|---|---|---|---|---|---|---|---|")
    for _, q in ipairs { { "noise", qn, swn, chn }, { "data", qd, swd, chd } } do
      local mins = L.minima(m, q[2])
      local top = {}
      for k = 1, math.min(5, #mins) do top[k] = mins[k].count end
      local lowest = math.huge
      for _, mn in ipairs(mins) do lowest = math.min(lowest, mn.energy) end
      local es = m:energy(q[2]):totable()
      res.basins[#res.basins + 1] = { start = q[1], chains = q[2]:size(2), sweeps = q[3], converged = q[4] == 0,
        distinct = #mins, top_counts = top, top_energy = mins[1].energy, lowest = lowest, median = median(es) }
      print(("| %s | %d | %d%s | %d | %s | %.1f | %.1f | %.1f |"):format(q[1], q[2]:size(2), q[3],
        q[4] == 0 and "" or " (not converged)", #mins, table.concat(top, ", "), mins[1].energy, lowest, median(es)))
      local nshow = math.min(10, #mins)
      local im = ebm.zeros({ nshow, 28, 28 }, "u8")
      for k = 1, nshow do im:select(1, k):copy(mins[k].state:view(28, 28)) end
      rowsimg[#rowsimg + 1] = { label = "from " .. q[1], images = im, levels = K }
    end
    ebm.viz.rows(rowsimg, { scale = 2, pad = 1, path = a.out .. "/landscape-minima-" .. name .. ".png" })
    summary[#summary + 1] = res
  end

  ebm.run.write_file(a.out .. "/summary.json",
    cjson.encode({ models = summary, load_average = loadavg(), seconds = ebm.sys.clock() - t0 }) .. "\n")
  print(("\n# %s/summary.json and PNGs; %.1f s, load average %s"):format(a.out, ebm.sys.clock() - t0, loadavg()))
end)
