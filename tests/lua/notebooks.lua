-- notebooks.lua - every notebook in notebooks/ runs top to bottom in the ebmlua kernel
-- (headless: jupyter nbconvert --execute, through notebooks/execute.sh --check, executed
-- copies in a temporary directory) and no cell raises an error; the committed notebooks
-- carry outputs, match their sources in notebooks/src/, and total under 5 MB.
local t = require "tap"
local sh = ebm.sys.capture
local lfs = require "lfs"

local _, rc = sh("test -x /usr/bin/jupyter && /usr/bin/python3 -c 'import nbconvert, nbformat, jupyter_client'")
if rc ~= 0 then
  print("1..0 # SKIP /usr/bin/jupyter with nbconvert not installed (sh tools/deps.sh installs it)")
  os.exit(0)
end

local books = {}
for f in lfs.dir("notebooks") do
  if f:match("%.ipynb$") then books[#books + 1] = "notebooks/" .. f end
end
table.sort(books)
t.ok(#books >= 4, #books .. " notebooks in notebooks/")

local total = 0
for _, nb in ipairs(books) do total = total + lfs.attributes(nb, "size") end
t.ok(total < 5 * 1024 * 1024, string.format("notebooks total %.0f kB (< 5 MB)", total / 1024))

-- committed with outputs, and their code cells are those of the sources
local check = [[
import json, sys
sys.path.insert(0, "notebooks")
import make_notebooks
for nb in sys.argv[1:]:
    d = json.load(open(nb))
    code = [c for c in d["cells"] if c["cell_type"] == "code"]
    src = "notebooks/src/" + nb.split("/")[-1][:-6] + ".lua"
    want = [c.source for c in make_notebooks.cells_of(open(src).read()) if c.cell_type == "code"]
    have = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in code]
    print(nb, "executed" if all(c.get("execution_count") for c in code) else "NOT-EXECUTED",
          "in-sync" if want == have else "STALE")
]]
local f = os.tmpname()
local h = assert(io.open(f, "w"))
h:write(check)
h:close()
local out = sh("/usr/bin/python3 " .. f .. " " .. table.concat(books, " "))
os.remove(f)
for _, nb in ipairs(books) do
  local line = out:match(nb:gsub("%p", "%%%0") .. " ([^\n]*)") or "?"
  t.is(line, "executed in-sync", nb .. " is committed executed and matches its source")
end

-- execute each one afresh
local dir = os.tmpname()
os.remove(dir)
for _, nb in ipairs(books) do
  local t0 = ebm.sys.clock()
  out, rc = sh("TIMEOUT=120 sh notebooks/execute.sh --check " .. dir .. " " .. nb)
  t.is(rc, 0, string.format("%s runs without errors (%.1f s)", nb, ebm.sys.clock() - t0))
  if rc ~= 0 then t.diag(out) end
end
os.execute("rm -rf " .. dir)
t.done_testing()
