-- ebm.report: report.html for a run folder (plain HTML and CSS, no scripts).
--
--   ebm.report.write(dir)                          -- reads config.json, metrics.csv, ...
--   ebm.report.write(dir, {title = "digit 3", summary = {...}, notes = "...",
--                          sections = {{title = "Sample quality", html = "..."}}})
--
-- The page shows, in order: the headline figures (final validation pseudo-log-likelihood
-- per pixel, energy gap, time per epoch, and anything in `summary` / summary.json), the
-- latest samples (samples/epoch-NNN.png, newest), every PNG in plots/, the configuration
-- and the last rows of metrics.csv. Images are linked by relative path, so the folder can
-- be moved or copied as a whole.
--
--   ebm.report.training_plots(run, {model=, data_energy=, sample_energy=, sweeps=})
--     PNG plots in plots/: curves of metrics.csv, histograms of the parameters, and the
--     energy distributions of training images and model samples (nothing without gnuplot)
local run = require "ebm.io.run"
local plot = require "ebm.io.plot"
local lfs = require "lfs"

local M = {}

local function esc(s)
  return (tostring(s):gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }))
end
M.escape = esc

local function num(v, fmt)
  if type(v) ~= "number" then return v == nil and "-" or esc(v) end
  if math.type(v) == "integer" then return tostring(v) end
  if v == math.floor(v) and math.abs(v) < 1e15 then return string.format("%d", v) end
  return string.format(fmt or "%.4g", v)
end

-- PNG files in `dir` (relative names), sorted.
local function pngs(dir, pattern)
  local out = {}
  if lfs.attributes(dir, "mode") ~= "directory" then return out end
  for f in lfs.dir(dir) do
    if f:match(pattern or "%.png$") then out[#out + 1] = f end
  end
  table.sort(out)
  return out
end

local function median(xs)
  if #xs == 0 then return nil end
  local c = {}
  for i, x in ipairs(xs) do c[i] = x end
  table.sort(c)
  local n = #c
  return n % 2 == 1 and c[(n + 1) // 2] or 0.5 * (c[n // 2] + c[n // 2 + 1])
end
M.median = median

-- Headline figures from metrics rows: final valid_pll, final energy gap, seconds per epoch.
-- Rows with an epoch but the largest step of that epoch count as epoch rows.
function M.headline(rows)
  local h = {}
  local last_of_epoch = {}
  for _, r in ipairs(rows) do
    if r.valid_pll then h.valid_pll = r.valid_pll end
    if r.energy_gap then h.energy_gap = r.energy_gap end
    if r.epoch then last_of_epoch[r.epoch] = r end
  end
  local epochs, per = {}, {}
  for e in pairs(last_of_epoch) do epochs[#epochs + 1] = e end
  table.sort(epochs)
  local prev = 0
  for _, e in ipairs(epochs) do
    local s = last_of_epoch[e].seconds
    if s then per[#per + 1] = s - prev; prev = s end
  end
  h.epochs = #epochs
  h.seconds_per_epoch = median(per)
  h.seconds = prev > 0 and prev or nil
  return h
end

local CSS = [[
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
.cards{display:flex;flex-wrap:wrap;gap:.8em}
.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:10em}
.card .v{font-size:1.4em;font-weight:600}.card .k{color:#666;font-size:.85em}
table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ddd;padding:.2em .5em;text-align:right}
th{background:#f5f5f5}td.l,th.l{text-align:left}
img{max-width:100%;image-rendering:pixelated;border:1px solid #eee}
.plots{display:flex;flex-wrap:wrap;gap:1em}.plots figure{margin:0;max-width:520px}
figcaption{color:#666;font-size:.85em}
pre{background:#f7f7f7;padding:.6em;overflow-x:auto;font-size:.85em}
]]

-- Flatten a nested config into ("a.b", value) rows, sorted.
local function flatten(t, prefix, out)
  out = out or {}
  for _, kv in ipairs(run.sorted_pairs(t)) do
    local k, v = kv[1], kv[2]
    local name = prefix and (prefix .. "." .. k) or k
    if type(v) == "table" and next(v) ~= nil and #v == 0 then flatten(v, name, out)
    elseif type(v) == "table" then
      local parts = {}
      for i, x in ipairs(v) do parts[i] = tostring(x) end
      out[#out + 1] = { name, "[" .. table.concat(parts, ", ") .. "]" }
    elseif math.type(v) == "float" and v == math.floor(v) and math.abs(v) < 1e15 then
      out[#out + 1] = { name, string.format("%d", v) }
    else out[#out + 1] = { name, tostring(v) } end
  end
  return out
end

-- Write dir/report.html; returns its path. opts.summary (a table of name -> value) is
-- merged into summary.json in the folder and shown among the headline figures.
function M.write(dir, opts)
  opts = opts or {}
  local meta = run.read_json(dir .. "/config.json") or {}
  local rows = run.read_metrics(dir .. "/metrics.csv")
  local summary = run.read_json(dir .. "/summary.json") or {}
  if opts.summary then
    for k, v in pairs(opts.summary) do summary[k] = v end
    run.write_json(dir .. "/summary.json", summary)
  end
  local h = M.headline(rows)
  local title = opts.title or summary.title or (meta.config and meta.config.name) or dir:match("([^/]+)$")
  local o = {}
  local function w(...) for _, s in ipairs { ... } do o[#o + 1] = s end end
  w("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", esc(title), "</title>\n<style>", CSS, "</style></head><body>\n")
  w("<h1>", esc(title), "</h1>\n")
  w("<p>Run folder <code>", esc(dir), "</code>; created ", esc(meta.created or "?"),
    meta.resumed and (", resumed " .. esc(meta.resumed)) or "", "; ebmlua ", esc(meta.versions and meta.versions.ebm or "?"),
    ", ", esc(meta.versions and meta.versions.lua or "?"), ", commit ", esc(meta.versions and meta.versions.git or "unknown"),
    ", ", num(meta.threads), " threads.</p>\n")
  if opts.notes or summary.notes then w("<p>", esc(opts.notes or summary.notes), "</p>\n") end

  w("<h2>Headline figures</h2>\n<div class=\"cards\">\n")
  local cards = {
    { "validation pseudo-log-likelihood per pixel (nats)", h.valid_pll and num(h.valid_pll, "%.4f") },
    { "energy gap (sample - data), last logged", h.energy_gap and num(h.energy_gap, "%.4g") },
    { "seconds per epoch (median)", h.seconds_per_epoch and num(h.seconds_per_epoch, "%.3g") },
    { "epochs", tostring(h.epochs) },
    { "training seconds", h.seconds and num(h.seconds, "%.1f") },
  }
  if summary.baseline_valid_pll then
    cards[#cards + 1] = { "independent-pixel baseline: validation PLL per pixel", num(summary.baseline_valid_pll, "%.4f") }
    if h.valid_pll then
      cards[#cards + 1] = { "gain over the baseline (nats per pixel)", string.format("%+.4f", h.valid_pll - summary.baseline_valid_pll) }
    end
  end
  -- other summary figures; final_* repeat the headline above and are not shown twice
  local skeys = {}
  for k in pairs(summary) do
    if k ~= "title" and k ~= "notes" and k ~= "baseline_valid_pll" and not k:match("^final_") then skeys[#skeys + 1] = k end
  end
  table.sort(skeys)
  for _, k in ipairs(skeys) do
    local v = summary[k]
    if type(v) ~= "table" then cards[#cards + 1] = { (k:gsub("_", " ")), num(v, "%.4g") } end
  end
  for _, c in ipairs(cards) do
    if c[2] then w("<div class=\"card\"><div class=\"v\">", c[2], "</div><div class=\"k\">", esc(c[1]), "</div></div>\n") end
  end
  w("</div>\n")

  for _, sec in ipairs(opts.sections or {}) do w("<h2>", esc(sec.title), "</h2>\n", sec.html) end -- {title=, html=}

  local samples = pngs(dir .. "/samples", "^epoch%-.*%.png$")
  if #samples > 0 then
    local latest = samples[#samples]
    w("<h2>Latest samples</h2>\n<figure><img src=\"samples/", esc(latest), "\" alt=\"samples\">",
      "<figcaption>", esc(latest), ": model samples next to real data", "</figcaption></figure>\n")
    if #samples > 1 then
      w("<p>Earlier: ")
      for i = 1, #samples - 1 do w("<a href=\"samples/", esc(samples[i]), "\">", esc(samples[i]:gsub("%.png$", "")), "</a> ") end
      w("</p>\n")
    end
  end
  local extra = pngs(dir, "%.png$")
  local plots = pngs(dir .. "/plots")
  if #plots + #extra > 0 then
    w("<h2>Plots</h2>\n<div class=\"plots\">\n")
    for _, f in ipairs(plots) do
      w("<figure><img src=\"plots/", esc(f), "\" alt=\"", esc(f), "\"><figcaption>", esc(f), "</figcaption></figure>\n")
    end
    for _, f in ipairs(extra) do
      w("<figure><img src=\"", esc(f), "\" alt=\"", esc(f), "\"><figcaption>", esc(f), "</figcaption></figure>\n")
    end
    w("</div>\n")
  end

  w("<h2>Configuration</h2>\n<table>\n")
  for _, kv in ipairs(flatten(meta.config or {})) do
    w("<tr><th class=\"l\">", esc(kv[1]), "</th><td class=\"l\">", esc(kv[2]), "</td></tr>\n")
  end
  w("</table>\n")
  if meta.command then w("<pre>", esc(meta.command), "</pre>\n") end

  if #rows > 0 then
    w("<h2>Metrics (last rows of metrics.csv)</h2>\n<table>\n<tr>")
    for _, c in ipairs(run.COLUMNS) do w("<th>", esc(c), "</th>") end
    w("</tr>\n")
    for i = math.max(1, #rows - 24), #rows do
      w("<tr>")
      for _, c in ipairs(run.COLUMNS) do w("<td>", num(rows[i][c], "%.5g"), "</td>") end
      w("</tr>\n")
    end
    w("</table>\n<p><a href=\"metrics.csv\">metrics.csv</a> · <a href=\"config.json\">config.json</a></p>\n")
  end
  w("</body></html>\n")
  local path = dir .. "/report.html"
  run.write_file(path, table.concat(o))
  return path
end

-- PNG plots of a training run (skipped when gnuplot is missing): curves of r's metrics.csv,
-- a histogram of each parameter tensor (a bar chart for a handful of tied weights), and
-- the energies of training images against those of model samples.
-- o: model (its params()), data_energy, sample_energy (1-d tensors), sweeps (of the samples).
function M.training_plots(r, o)
  if not plot.available() then return end
  local rows = r:metrics()
  local function series(col, name)
    local xs, ys = {}, {}
    for _, row in ipairs(rows) do
      if row[col] and row.step then xs[#xs + 1] = row.step; ys[#ys + 1] = row[col] end
    end
    return { name = name or col, x = xs, y = ys, style = "linespoints" }
  end
  local dir = r:path("plots")
  local vp = series("valid_pll", "validation PLL / pixel")
  if #vp.x > 0 then
    plot.lines { path = dir .. "/valid_pll.png", title = "validation pseudo-log-likelihood per pixel",
      xlabel = "update", ylabel = "nats / pixel", series = { vp } }
  end
  plot.lines { path = dir .. "/energies.png", title = "mean energy of data and of negative samples",
    xlabel = "update", ylabel = "energy", series = { series("data_energy", "data"), series("sample_energy", "samples") } }
  plot.lines { path = dir .. "/energy_gap.png", title = "energy gap (samples - data)",
    xlabel = "update", ylabel = "energy", series = { series("energy_gap", "gap") } }
  plot.lines { path = dir .. "/norms.png", title = "gradient and parameter norms", xlabel = "update",
    logy = true, series = { series("grad_norm", "gradient"), series("param_norm", "parameters") } }
  -- parameters
  local params, order = o.model:params()
  for _, name in ipairs(order) do
    local p = params[name]
    if p:numel() > 16 then -- (tied weights get the bar chart below)
      plot.histogram { path = dir .. "/hist-" .. name:gsub("[^%w]", "_") .. ".png",
        title = "parameter values: " .. name, xlabel = "value", ylabel = "count",
        values = p:contiguous():view(p:numel()), bins = 50 }
    end
  end
  local wname = order[#order]
  local w = params[wname]
  if w:numel() <= 16 then
    local labels, vals = {}, {}
    for i = 1, w:numel() do labels[i] = "slot " .. i; vals[i] = w:contiguous():view(w:numel()):get(i) end
    local lo, hi = 0, 0
    for _, v in ipairs(vals) do lo, hi = math.min(lo, v), math.max(hi, v) end
    local pad = 0.1 * math.max(hi - lo, 1e-3)
    plot.bars { path = dir .. "/weights.png", title = "coupling weights: " .. wname, labels = labels, values = vals,
      yrange = { lo < 0 and lo - pad or 0, hi > 0 and hi + pad or 0 } }
  end
  -- one picture: the two energy distributions as frequency polygons over shared bins
  local de, se = o.data_energy:totable(), o.sample_energy:totable()
  local lo, hi = math.huge, -math.huge
  for _, t in ipairs { de, se } do
    for _, v in ipairs(t) do lo, hi = math.min(lo, v), math.max(hi, v) end
  end
  local function freq(vals)
    local xs, counts = plot.bin(vals, 40, { lo, hi })
    for b = 1, #counts do counts[b] = counts[b] / #vals end
    return xs, counts
  end
  local xs, fd = freq(de)
  local _, fs = freq(se)
  plot.lines { path = dir .. "/energy-hist.png", title = "energy of training images and of model samples",
    xlabel = "energy", ylabel = "fraction per bin", series = {
      { name = string.format("data (%d images)", #de), x = xs, y = fd },
      { name = string.format("samples (%d chains, %d sweeps)", #se, o.sweeps or 0), x = xs, y = fs } } }
end

return M
