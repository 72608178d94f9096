-- ebm.plot: PNG plots through gnuplot (Debian gnuplot-nox, pngcairo terminal).
--
-- Every function takes one table and writes a PNG at `path` (written under a temporary name,
-- then renamed); it returns `path`. Data are written to temporary files, gnuplot is run,
-- its exit status checked (an error carries gnuplot's message); temporary files are removed.
-- Numbers may be given as Lua arrays or 1-d tensors. Common options:
--   path (required), title, xlabel, ylabel, logx, logy, width=800, height=500,
--   xrange={lo,hi}, yrange={lo,hi} (nil bound: automatic), key="top right" (gnuplot key
--   position, or false: none)
--
--   ebm.plot.lines{path=, series={{name="train", x={...}, y={...}, style="lines"}, ...}}
--     one curve per series; x defaults to 1..#y; style: lines, points, linespoints
--     (also callable as ebm.plot.lines(series, {path=, ...}); title= works as name=)
--   ebm.plot.histogram{path=, values={...}, bins=50, range={lo,hi}}
--   ebm.plot.histogram{path=, x={...}, counts={...}}     -- already counted (bar at each x)
--   ebm.plot.bin(values, bins, {lo, hi}) -> bin centres, counts, width (no plot)
--   ebm.plot.bars{path=, labels={"a","b",...}, series={{name=, values={...}}, ...}}
--     clustered bars, one cluster per label (or values={...} for a single series)
--   ebm.plot.heatmap{path=, z=f64 [ny, nx] | {{...}, ...}, x={lo,hi}, y={lo,hi}, cblabel=,
--                    points={{name=, x={...}, y={...}, color="#rrggbb"}, ...}}
--     z[j][i] is the value at x = lo + (i-1)*(hi-lo)/(nx-1), y likewise; points drawn on top
--   ebm.plot.available() -> true if gnuplot can be run
--   In a notebook, a cell whose value is a plot's returned path shows the plot inline.
--
-- Text is not "enhanced" (an underscore prints as an underscore).

local sys = require "ebm.interp.sys"

local M = {}

-- Paths this process has written plots to: a notebook cell whose value is one of them
-- shows the picture (ebm.display.bundle).
M.written = {}

local function tolist(v, what)
  if type(v) == "table" then return v end
  if type(v) == "userdata" and v.totable then
    if v:dim() ~= 1 then error(string.format("plot: %s must be a 1-d tensor", what), 4) end
    return v:totable()
  end
  error(string.format("plot: %s must be an array of numbers or a 1-d tensor", what), 4)
end

local function num(v)
  if type(v) ~= "number" then error("plot: expected a number, got " .. type(v), 4) end
  if v ~= v or v == math.huge or v == -math.huge then return "NaN" end
  return string.format("%.10g", v)
end

-- gnuplot double-quoted string
local function q(s)
  return '"' .. tostring(s):gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\n", " ") .. '"'
end

local available
function M.available()
  if available == nil then
    available = os.execute("command -v gnuplot >/dev/null 2>&1") == true
  end
  return available
end

-- Temporary file names sharing one unique stem.
local function tmpstem()
  local t = os.tmpname() -- creates the file; we reuse its name as a stem
  return t
end

-- Run a gnuplot script producing `path`; data is a list of {name, text} files it reads.
local function run(o, body, data)
  if type(o.path) ~= "string" then error("plot: path= (the PNG to write) is required", 3) end
  if not M.available() then
    error("plot: gnuplot not found (install Debian's gnuplot-nox: sh tools/deps.sh gnuplot-nox)", 3)
  end
  local stem = tmpstem()
  local files = { stem }
  local names = {}
  for i, d in ipairs(data) do
    local name = stem .. "." .. i .. ".dat"
    local f = assert(io.open(name, "wb"))
    f:write(d)
    f:close()
    files[#files + 1], names[i] = name, name
  end
  local out = o.path .. ".tmp" .. stem:match("[^/]*$")
  local head = {
    string.format("set terminal pngcairo size %d,%d noenhanced font 'sans,10'", o.width or 800, o.height or 500),
    "set output " .. q(out),
    "set encoding utf8",
  }
  if o.title then head[#head + 1] = "set title " .. q(o.title) end
  if o.xlabel then head[#head + 1] = "set xlabel " .. q(o.xlabel) end
  if o.ylabel then head[#head + 1] = "set ylabel " .. q(o.ylabel) end
  if o.logx then head[#head + 1] = "set logscale x" end
  if o.logy then head[#head + 1] = "set logscale y" end
  local function bound(v) return v == nil and "*" or num(v) end
  if o.xrange then head[#head + 1] = string.format("set xrange [%s:%s]", bound(o.xrange[1]), bound(o.xrange[2])) end
  if o.yrange then head[#head + 1] = string.format("set yrange [%s:%s]", bound(o.yrange[1]), bound(o.yrange[2])) end
  if o.key == false then head[#head + 1] = "unset key"
  else head[#head + 1] = "set key " .. (o.key or "top right") .. " noenhanced" end
  head[#head + 1] = "set grid"
  local script = table.concat(head, "\n") .. "\n" .. body(names) .. "\nunset output\n"
  local sf = stem .. ".gp"
  local f = assert(io.open(sf, "wb"))
  f:write(script)
  f:close()
  files[#files + 1] = sf
  local ef = stem .. ".err"
  files[#files + 1] = ef
  local ok, how, code = os.execute(string.format("gnuplot %s 2>%s", q(sf), q(ef)))
  local msg = sys.read_file(ef) or ""
  for _, name in ipairs(files) do os.remove(name) end
  if not ok then
    os.remove(out)
    error(string.format("plot: gnuplot failed (%s %s) writing %s: %s", tostring(how), tostring(code), o.path,
      msg:gsub("%s+$", "")), 3)
  end
  local rok, rerr = os.rename(out, o.path)
  if not rok then
    os.remove(out)
    error("plot: cannot write " .. o.path .. ": " .. tostring(rerr), 3)
  end
  M.written[o.path] = true
  return o.path
end

local STYLES = { lines = "lines lw 2", points = "points pt 7 ps 0.6", linespoints = "linespoints lw 2 pt 7 ps 0.6" }

function M.lines(o, opts)
  if type(o) == "table" and o.series == nil and o[1] ~= nil then -- lines(series, opts) form
    local m = { series = o }
    for k, v in pairs(opts or {}) do m[k] = v end
    o = m
  end
  if type(o) ~= "table" or type(o.series) ~= "table" or #o.series == 0 then
    error("plot.lines: expected {path=, series={{name=, x=, y=}, ...}}", 2)
  end
  local data = {}
  for i, s in ipairs(o.series) do
    local y = tolist(s.y, "series[" .. i .. "].y")
    local x = s.x and tolist(s.x, "series[" .. i .. "].x")
    if x and #x ~= #y then
      error(string.format("plot.lines: series %d has %d x values and %d y values", i, #x, #y), 2)
    end
    local lines = {}
    for k = 1, #y do lines[k] = num(x and x[k] or k) .. " " .. num(y[k]) end
    data[i] = table.concat(lines, "\n") .. "\n"
    if s.style and not STYLES[s.style] then error("plot.lines: unknown style " .. tostring(s.style), 2) end
  end
  return run(o, function(names)
    local parts = {}
    for i, s in ipairs(o.series) do
      parts[i] = string.format("%s using 1:2 with %s title %s", q(names[i]), STYLES[s.style or "lines"],
        q(s.name or s.title or ("series " .. i)))
    end
    return "plot " .. table.concat(parts, ", \\\n  ")
  end, data)
end

-- Counts of `values` (array or 1-d tensor) in `bins` (50) equal bins over range {lo, hi}
-- (default: the values' min and max). Returns bin centres, counts, bin width. Values outside
-- the range are not counted; the upper end belongs to the last bin.
function M.bin(values, bins, range)
  local v = tolist(values, "values")
  bins = bins or 50
  local lo, hi = range and range[1], range and range[2]
  if not lo then
    lo, hi = math.huge, -math.huge
    for _, a in ipairs(v) do lo, hi = math.min(lo, a), math.max(hi, a) end
  end
  if hi == lo then hi = lo + 1 end
  local width = (hi - lo) / bins
  local x, counts = {}, {}
  for b = 1, bins do counts[b], x[b] = 0, lo + (b - 0.5) * width end
  for _, a in ipairs(v) do
    local b = math.floor((a - lo) / width) + 1
    if b == bins + 1 and a == hi then b = bins end
    if b >= 1 and b <= bins then counts[b] = counts[b] + 1 end
  end
  return x, counts, width
end

function M.histogram(o)
  if type(o) ~= "table" then error("plot.histogram: expected an options table", 2) end
  local x, counts, width
  if o.counts then
    counts = tolist(o.counts, "counts")
    x = o.x and tolist(o.x, "x") or {}
    if not o.x then for k = 1, #counts do x[k] = k end end
    if #x ~= #counts then error("plot.histogram: x and counts differ in length", 2) end
    width = #x > 1 and (x[2] - x[1]) or 1
  elseif o.values then
    local v = tolist(o.values, "values")
    if #v == 0 then error("plot.histogram: no values", 2) end
    x, counts, width = M.bin(v, o.bins, o.range)
  else
    error("plot.histogram: give values= or counts=", 2)
  end
  local lines = {}
  for k = 1, #x do lines[k] = num(x[k]) .. " " .. num(counts[k]) end
  o.key = o.key or false
  if not o.xrange and #x > 0 then o.xrange = { x[1] - width, x[#x] + width } end
  if not o.yrange and not o.logy then o.yrange = { 0, nil } end
  return run(o, function(names)
    return string.format("set boxwidth %s absolute\nset style fill solid 0.8 %s\n" ..
      "plot %s using 1:2 with boxes lc rgb '#3060a0' title %s", num(width * (#x > 60 and 1 or 0.9)),
      #x > 60 and "noborder" or "border -1", q(names[1]), q(o.name or "count"))
  end, { table.concat(lines, "\n") .. "\n" })
end

function M.bars(o)
  if type(o) ~= "table" or type(o.labels) ~= "table" then
    error("plot.bars: expected {path=, labels={...}, values={...} or series={...}}", 2)
  end
  local series = o.series or { { name = o.name or "value", values = o.values } }
  local cols = {}
  for i, s in ipairs(series) do
    cols[i] = tolist(s.values, "series[" .. i .. "].values")
    if #cols[i] ~= #o.labels then
      error(string.format("plot.bars: series %d has %d values for %d labels", i, #cols[i], #o.labels), 2)
    end
  end
  local lines = {}
  for k, lab in ipairs(o.labels) do
    local row = { q(lab) }
    for i = 1, #cols do row[#row + 1] = num(cols[i][k]) end
    lines[k] = table.concat(row, " ")
  end
  if #series == 1 and o.key == nil then o.key = false end
  if not o.yrange and not o.logy then o.yrange = { 0, nil } end
  return run(o, function(names)
    local parts = {}
    for i, s in ipairs(series) do
      parts[i] = string.format("%s using %d%s title %s", i == 1 and q(names[1]) or "''", i + 1,
        i == 1 and ":xtic(1)" or "", q(s.name or ("series " .. i)))
    end
    return "set style data histograms\nset style histogram clustered gap 1\nset offsets 0, 0, graph 0.05, 0\n" ..
      "set style fill solid 0.8 border -1\nset boxwidth 0.9\n" ..
      (#o.labels > 12 and "set xtics rotate by -45\n" or "") .. "plot " .. table.concat(parts, ", ")
  end, { table.concat(lines, "\n") .. "\n" })
end

function M.heatmap(o)
  if type(o) ~= "table" or o.z == nil or type(o.x) ~= "table" or type(o.y) ~= "table" then
    error("plot.heatmap: expected {path=, z=, x={lo,hi}, y={lo,hi}}", 2)
  end
  local z = type(o.z) == "table" and o.z or o.z:totable()
  local ny, nx = #z, #z[1]
  if ny < 2 or nx < 2 then error("plot.heatmap: z must be at least 2x2", 2) end
  local lines = {}
  for j = 1, ny do
    if #z[j] ~= nx then error("plot.heatmap: z rows differ in length", 2) end
    local yv = o.y[1] + (j - 1) * (o.y[2] - o.y[1]) / (ny - 1)
    for i = 1, nx do
      lines[#lines + 1] = num(o.x[1] + (i - 1) * (o.x[2] - o.x[1]) / (nx - 1)) .. " " .. num(yv) .. " " .. num(z[j][i])
    end
    lines[#lines + 1] = ""
  end
  local data = { table.concat(lines, "\n") .. "\n" }
  for i, pt in ipairs(o.points or {}) do
    local px, py = tolist(pt.x, "points[" .. i .. "].x"), tolist(pt.y, "points[" .. i .. "].y")
    local pl = {}
    for k = 1, #px do pl[k] = num(px[k]) .. " " .. num(py[k]) end
    data[#data + 1] = table.concat(pl, "\n") .. "\n"
  end
  o.xrange, o.yrange = o.xrange or { o.x[1], o.x[2] }, o.yrange or { o.y[1], o.y[2] }
  return run(o, function(names)
    local parts = { q(names[1]) .. " using 1:2:3 with image notitle" }
    for i, pt in ipairs(o.points or {}) do
      parts[#parts + 1] = string.format("%s using 1:2 with points pt 7 ps 0.5 lc rgb %s title %s", q(names[i + 1]),
        q(pt.color or "#000000"), q(pt.name or ("points " .. i)))
    end
    return "unset grid\nset palette defined (0 '#0d0887', 0.35 '#7e03a8', 0.6 '#cc4778', 0.8 '#f89540', 1 '#f0f921')\n"
      .. (o.cblabel and ("set cblabel " .. q(o.cblabel) .. "\n") or "") .. "plot " .. table.concat(parts, ", ")
  end, data)
end

return M
