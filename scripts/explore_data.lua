-- explore_data.lua - a first look at MNIST (or Fashion-MNIST): sample grids, the pixel
-- histogram, the same digits discretised at 2, 4 and 16 levels, class counts, level
-- fractions and load timing.
--
--   ebmlua scripts/explore_data.lua                  # writes runs/explore/*.png, summary.json
--   ebmlua scripts/explore_data.lua --fashion --out runs/explore-fashion
local cjson = require "cjson"
local ebm = require "ebm"
local cli = ebm.cli
local data, viz, plot = ebm.data, ebm.viz, ebm.plot

local p = cli.parser("explore_data.lua", "Explore the MNIST data: pictures, histograms, class counts, load timing.")
p:option("--out", "Output folder.", "runs/explore"):convert(cli.outdir)
p:option("--split", "Data split shown in the pictures: train or test.", "train"):choices { "train", "test" }
p:option("--per-class", "Sample images per class in the grids.", "12"):convert(cli.int(1, 100))
p:option("--scale", "Pixel magnification in the pictures.", "2"):convert(cli.int(1, 16))
p:option("--seed", "Seed of the stochastic binarisation.", "1"):convert(cli.int())
p:option("--repeat", "Timed loads of the full training set (median reported).", "5"):convert(cli.int(1, 100))
p:flag("--fashion", "Use Fashion-MNIST (Debian dataset-fashion-mnist) instead of MNIST.")
local a = cli.parse(p)
local per, scale, reps, seed = a.per_class, a.scale, a["repeat"], a.seed

cli.main(function()
  local load = a.fashion and data.fashion or data.mnist
  local name = a.fashion and "Fashion-MNIST" or "MNIST"
  local function classname(d)
    return a.fashion and string.format("%d %s", d, data.FASHION_CLASSES[d + 1]) or tostring(d)
  end

  ebm.run.mkdirs(a.out)
  local function out(f) return a.out .. "/" .. f end

  -- Load timing -------------------------------------------------------------------------
  local clock = ebm.sys and ebm.sys.clock or os.clock
  local function median(t)
    table.sort(t)
    local n = #t
    return n % 2 == 1 and t[(n + 1) // 2] or (t[n // 2] + t[n // 2 + 1]) / 2
  end
  local function timed(opts)
    local ts = {}
    for r = 1, reps do
      local t0 = clock()
      load(opts)
      ts[r] = clock() - t0
      collectgarbage()
    end
    return median(ts), ts
  end
  local timing = {}
  print(string.format("%s: load timing, full training set, median of %d runs (wall seconds)", name, reps))
  for _, case in ipairs {
    { "raw 0..255", {} },
    { "levels=2 (threshold)", { levels = 2 } },
    { "levels=16", { levels = 16 } },
    { "stochastic binarisation", { binarize = "stochastic", seed = seed } },
    { "digits={3}, levels=2", { digits = { 3 }, levels = 2 } },
  } do
    local m = timed(case[2])
    timing[case[1]] = m
    print(string.format("  %-26s %8.1f ms", case[1], m * 1000))
  end

  -- The data shown ---------------------------------------------------------------------
  local raw, labels = load { split = a.split }
  local _, test_labels = load { split = "test" }
  local _, train_labels = load { split = "train" }
  local n = raw:size(1)

  -- Counts per class
  local function class_counts(l)
    local h = data.histogram(l)
    local c = {}
    for d = 0, 9 do c[d + 1] = h[d + 1] end
    return c
  end
  local ctrain, ctest = class_counts(train_labels), class_counts(test_labels)
  print(string.format("\nimages per class (train %d, test %d):", train_labels:size(1), test_labels:size(1)))
  print(string.format("  %-16s %7s %7s", "class", "train", "test"))
  for d = 0, 9 do print(string.format("  %-16s %7d %7d", classname(d), ctrain[d + 1], ctest[d + 1])) end

  -- Fractions of pixels per level, for the split shown
  local fractions = {}
  print(string.format("\nfraction of pixels at each level (%s split, %d pixels):", a.split, raw:numel()))
  for _, K in ipairs { 2, 4, 16 } do
    local h = data.histogram(data.discretize(raw, { levels = K }))
    local f = {}
    for v = 1, K do f[v] = h[v] / raw:numel() end
    fractions[tostring(K)] = f
    local cells = {}
    for v = 1, K do cells[v] = string.format("%.4f", f[v]) end
    print(string.format("  K=%-3d %s", K, table.concat(cells, " ")))
  end
  local hs = data.histogram(data.discretize(raw, { binarize = "stochastic", seed = seed }))
  local stoch_on = hs[2] / raw:numel()
  print(string.format("  stochastic binarisation (seed %d): fraction of ones %.4f", seed, stoch_on))

  -- Pictures ----------------------------------------------------------------------------
  -- 1. sample images per class, one labelled row per class
  local rows = {}
  local firsts = {}
  for d = 0, 9 do
    local idx = ebm.core.data_filter(labels, { d }, per)
    rows[#rows + 1] = { label = classname(d), images = data.take(raw, idx), levels = 0 }
    firsts[#firsts + 1] = idx:get(1)
  end
  viz.rows(rows, { scale = scale, pad = 1, path = out("samples_per_class.png") })

  -- Plots need gnuplot; without it the pictures are still written and the plots skipped.
  local written = { "samples_per_class.png", "levels.png" }
  local function try_plot(fn, o)
    if not plot.available() then
      io.stderr:write("explore_data.lua: gnuplot not found, skipping ", o.path, " (sh tools/deps.sh gnuplot-nox)\n")
      return
    end
    fn(o)
    written[#written + 1] = o.path:match("[^/]*$")
  end

  -- 2. pixel-value histogram (log scale: zeros dominate)
  local h = data.histogram(raw)
  local xs = {}
  for v = 0, 255 do xs[v + 1] = v end
  try_plot(plot.histogram, { path = out("pixel_histogram.png"), x = xs, counts = h, logy = true,
    title = string.format("%s %s: pixel values (%d images)", name, a.split, n), xlabel = "pixel value",
    ylabel = "number of pixels (log scale)" })

  -- 3. the same images (the first of each class, then the next ones) at 2, 4, 16 levels
  local pick = {}
  for i = 1, #firsts do pick[i] = firsts[i] end
  for d = 0, 1 do pick[#pick + 1] = ebm.core.data_filter(labels, { d }, 2):get(2) end
  local sample = data.take(raw, pick)
  viz.rows({
    { label = "raw", images = sample, levels = 0 },
    { label = "16 levels", images = data.discretize(sample, { levels = 16 }), levels = 16 },
    { label = "4 levels", images = data.discretize(sample, { levels = 4 }), levels = 4 },
    { label = "2 levels", images = data.discretize(sample, { levels = 2 }), levels = 2 },
    { label = "stochastic", images = data.discretize(sample, { binarize = "stochastic", seed = seed, ids = ebm.i32(pick) }), levels = 2 },
  }, { scale = scale + 1, pad = 1, path = out("levels.png") })

  -- 4. class counts and level fractions as bar charts
  local names = {}
  for d = 0, 9 do names[d + 1] = a.fashion and data.FASHION_CLASSES[d + 1] or tostring(d) end
  try_plot(plot.bars, { path = out("class_counts.png"), labels = names, title = name .. ": images per class",
    ylabel = "images", series = { { name = "train", values = ctrain }, { name = "test", values = ctest } } })
  local lv = {}
  for v = 1, 16 do lv[v] = tostring(v - 1) end
  try_plot(plot.bars, { path = out("level_fractions_16.png"), labels = lv, values = fractions["16"], logy = true,
    title = string.format("%s %s: fraction of pixels per level, K = 16", name, a.split), xlabel = "level",
    ylabel = "fraction (log scale)" })

  local summary = {
    dataset = name, split = a.split, images = n, seed = seed,
    class_counts = { train = ctrain, test = ctest },
    level_fractions = fractions, stochastic_fraction_ones = stoch_on,
    load_seconds_median = timing, load_repeats = reps,
  }
  ebm.run.write_file(out("summary.json"), cjson.encode(summary) .. "\n")
  written[#written + 1] = "summary.json"
  print("\nwrote " .. table.concat(written, ", ") .. " in " .. a.out)
end)
