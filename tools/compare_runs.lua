-- compare_runs.lua A B: compare two run folders written at the same seed (e.g. before and
-- after a refactoring): metrics.csv value by value as written (the timing column 'seconds'
-- skipped) and every tensor of their model.ckpt exactly. Exit status 1 on any difference.
--
--   ./ebmlua tools/compare_runs.lua runs/before-digit3 runs/after-digit3
if arg[1] == "-h" or arg[1] == "--help" or not arg[2] then
  io.write("Usage: ebmlua tools/compare_runs.lua RUN_A RUN_B\n\n",
    "Compare two run folders: metrics.csv digit for digit (except the 'seconds' column)\n",
    "and every tensor of model.ckpt exactly. Exits 1 when anything differs.\n")
  os.exit((arg[1] == "-h" or arg[1] == "--help") and 0 or 2)
end
local a, b = arg[1], arg[2]
for _, dir in ipairs { a, b } do
  for _, f in ipairs { "metrics.csv", "model.ckpt" } do
    local h = io.open(dir .. "/" .. f, "rb")
    if not h then io.stderr:write("compare_runs.lua: ", dir, "/", f, " not found\n"); os.exit(2) end
    h:close()
  end
end
local function rows(path)
  local out = {}
  for line in io.lines(path) do out[#out + 1] = line end
  return out
end
local ra, rb = rows(a .. "/metrics.csv"), rows(b .. "/metrics.csv")
local hdr = {}
for h in (ra[1] .. ","):gmatch("([^,]*),") do hdr[#hdr + 1] = h end
local diff = 0
if #ra ~= #rb then print("row counts differ", #ra, #rb); diff = diff + 1 end
for i = 2, math.min(#ra, #rb) do
  local fa, fb = {}, {}
  for v in (ra[i] .. ","):gmatch("([^,]*),") do fa[#fa + 1] = v end
  for v in (rb[i] .. ","):gmatch("([^,]*),") do fb[#fb + 1] = v end
  for j, h in ipairs(hdr) do
    if h ~= "seconds" and fa[j] ~= fb[j] then
      diff = diff + 1
      if diff < 20 then print(string.format("row %d %s: %s vs %s", i - 1, h, fa[j], fb[j])) end
    end
  end
end
print(string.format("metrics.csv: %d rows x %d columns compared (seconds skipped): %d differences", #ra - 1, #hdr - 1, diff))
local function load(path)
  local ok, ck = pcall(ebm.io.load_checkpoint, path)
  if not ok then io.stderr:write("compare_runs.lua: ", tostring(ck):gsub("^[^:]*:%d+: ", ""), "\n"); os.exit(2) end
  return ck
end
local ca, cb = load(a .. "/model.ckpt"), load(b .. "/model.ckpt")
local nt, nd = 0, 0
local function walk(x, y, path)
  if ebm.is_tensor(x) then
    nt = nt + 1
    if not ebm.is_tensor(y) or x:numel() ~= y:numel() or x:dtype() ~= y:dtype() then nd = nd + 1; print("tensor shape differs: " .. path); return end
    local d = (x:to("f64") - y:to("f64")):abs():max()
    if d ~= 0 then nd = nd + 1; print(string.format("tensor %s: max |diff| %g", path, d)) end
  elseif type(x) == "table" then
    local keys = {}
    for k in pairs(x) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    for _, k in ipairs(keys) do walk(x[k] or x[tonumber(k)], type(y) == "table" and (y[k] or y[tonumber(k)]) or nil, path .. "/" .. k) end
  end
end
walk(ca.tensors, cb.tensors, "")
print(string.format("model.ckpt: %d tensors compared: %d differ", nt, nd))
os.exit((diff == 0 and nd == 0) and 0 or 1)
