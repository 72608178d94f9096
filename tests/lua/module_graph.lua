-- module_graph.lua - the Lua library's module graph is visible and acyclic: every module
-- under lua/ebm requires what it uses at its top (top-level `local x = require "..."`
-- lines, never inside a function, never the `ebm` facade), every required module exists,
-- the graph has no cycle, every short name of the facade (ebm.MODULES) loads, and no module
-- is orphaned (neither a facade name nor required by another).
local t = require "tap"
local lfs = require "lfs"

local root = package.ebmlua_dir .. "/lua"

-- All .lua files under lua/ebm, as module names ("ebm.sampling.sampler", "ebm" for init).
local files = {}
local function walk(dir, prefix)
  for f in lfs.dir(dir) do
    local path = dir .. "/" .. f
    if f ~= "." and f ~= ".." then
      if lfs.attributes(path, "mode") == "directory" then
        walk(path, prefix .. "." .. f)
      elseif f:match("%.lua$") then
        local name = f == "init.lua" and prefix or (prefix .. "." .. f:gsub("%.lua$", ""))
        files[#files + 1] = { name = name, path = path }
      end
    end
  end
end
walk(root .. "/ebm", "ebm")
table.sort(files, function(a, b) return a.name < b.name end)
t.ok(#files >= 24, "found the library's modules (" .. #files .. ")")

local function exists(name)
  if name == "ebm.core" or package.preload[name] then return true end
  return package.searchpath(name, package.path) ~= nil or package.searchpath(name, package.cpath) ~= nil
end

-- Requires of each module, and where they sit.
local graph, bad_place, bad_target, facade_use = {}, {}, {}, {}
for _, f in ipairs(files) do
  local deps = {}
  local n = 0
  for line in io.lines(f.path) do
    n = n + 1
    local code = line:gsub("%-%-.*$", "")
    for target in code:gmatch("require%s*%(?%s*[\"']([%w_%.]+)[\"']") do
      if f.name ~= "ebm" then -- the facade itself loads modules lazily, by design
        if not code:match("^local [%w_]+ = require%s*%(?%s*[\"'][%w_%.]+[\"']%s*%)?%s*$") then
          bad_place[#bad_place + 1] = f.name .. ":" .. n .. ": " .. line
        end
        if target == "ebm" then facade_use[#facade_use + 1] = f.name .. ":" .. n end
      end
      if not exists(target) then bad_target[#bad_target + 1] = f.name .. ":" .. n .. ": " .. target end
      if target:match("^ebm%.") and target ~= "ebm.core" then deps[#deps + 1] = target end
    end
  end
  graph[f.name] = deps
end
t.is(#bad_place, 0, "every require is a top-level 'local x = require \"...\"' line")
for _, s in ipairs(bad_place) do t.diag(s) end
t.is(#facade_use, 0, "no library module requires the ebm facade")
for _, s in ipairs(facade_use) do t.diag(s) end
t.is(#bad_target, 0, "every required module exists")
for _, s in ipairs(bad_target) do t.diag(s) end

-- Scripts, tests and tools require modules by their path names too (require "ebm.sampler"
-- from before the folders is reported here with the file and line).
local stale = {}
local src = package.ebmlua_dir
for _, dir in ipairs { "scripts", "tests", "tests/lua", "tools" } do
  if lfs.attributes(src .. "/" .. dir, "mode") == "directory" then
    for f in lfs.dir(src .. "/" .. dir) do
      if f:match("%.lua$") then
        local n = 0
        for line in io.lines(src .. "/" .. dir .. "/" .. f) do
          n = n + 1
          for target in line:gsub("%-%-.*$", ""):gmatch("require%s*%(?%s*[\"']([%w_%.]+)[\"']") do
            if target:match("^ebm%.") and not exists(target) then stale[#stale + 1] = dir .. "/" .. f .. ":" .. n .. ": " .. target end
          end
        end
      end
    end
  end
end
t.is(#stale, 0, "scripts, tests and tools require only modules that exist")
for _, x in ipairs(stale) do t.diag(x) end

-- Cycle search (depth first; a grey node met again closes a cycle).
local colour, cycle = {}, nil
local function visit(name, stack)
  if cycle then return end
  colour[name] = "grey"
  stack[#stack + 1] = name
  for _, d in ipairs(graph[name] or {}) do
    if colour[d] == "grey" then
      local from = 1
      for i, s in ipairs(stack) do if s == d then from = i end end
      cycle = table.concat(stack, " -> ", from) .. " -> " .. d
      return
    elseif colour[d] == nil then
      visit(d, stack)
    end
  end
  stack[#stack] = nil
  colour[name] = "black"
end
for _, f in ipairs(files) do if not colour[f.name] then visit(f.name, {}) end end
t.ok(cycle == nil, "the module graph is acyclic")
if cycle then t.diag("cycle: " .. cycle) end

-- The facade: an explicit name -> module map; each name loads its module.
t.is(type(ebm.MODULES), "table", "ebm.MODULES maps the short names to modules")
local missing = {}
for short, name in pairs(ebm.MODULES) do
  local ok, m = pcall(function() return ebm[short] end)
  if not ok or m == nil or m ~= require(name) then missing[#missing + 1] = short .. " -> " .. name end
end
table.sort(missing)
t.is(#missing, 0, "every ebm.<name> loads its module")
for _, s in ipairs(missing) do t.diag(s) end
for _, short in ipairs { "sampler", "grid", "data", "rbm", "optim", "train", "io", "sys", "threads" } do
  t.ok(ebm.MODULES[short] ~= nil, "short name ebm." .. short .. " is kept")
end
t.is(ebm.no_such_module, nil, "an unknown name is nil, not an error")

-- No orphans: every module is a facade name or required by another module (a new module
-- that scripts reach as ebm.<name> needs its line in ebm.MODULES).
local used = { ebm = true, ["ebm.base"] = true }
for _, name in pairs(ebm.MODULES) do used[name] = true end
for _, deps in pairs(graph) do for _, d in ipairs(deps) do used[d] = true end end
local orphans = {}
for _, f in ipairs(files) do if not used[f.name] then orphans[#orphans + 1] = f.name end end
t.is(#orphans, 0, "every module is in ebm.MODULES or required by another module")
for _, s in ipairs(orphans) do t.diag("orphan: " .. s .. " (add it to ebm.MODULES in lua/ebm/init.lua?)") end

t.done_testing()
