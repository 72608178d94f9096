-- ebm.doc: the documentation of a module or function, read from its source file (what the
-- notebook kernel shows for Shift-Tab / inspect).
--
--   doc.lookup("ebm.viz.grid") -> text or nil   resolve a dotted name from the globals
--   doc.of(value [, name])      -> text or nil
--     function: its definition line and the comment block right above it (debug.getinfo
--               gives the file and line); C functions: "C function"
--     module (a table in package.loaded): the comment block at the top of its file and
--               its fields
--     other values: type and text as the REPL shows them

local repl = require "ebm.interp.repl"

local M = {}

local function read_lines(path)
  local f = io.open(path, "r")
  if not f then return nil end
  local lines = {}
  for l in f:lines() do lines[#lines + 1] = l end
  f:close()
  return lines
end

-- Comment lines ("--") ending right above line `at`, their text without the dashes.
local function comment_above(lines, at)
  local out = {}
  local i = at - 1
  while i >= 1 and lines[i]:match("^%s*%-%-") do
    table.insert(out, 1, (lines[i]:gsub("^%s*%-%-%-?%s?", "")))
    i = i - 1
  end
  return out
end

-- Without a comment above it, a function is often documented in its file's header
-- comment: the lines naming `fname(` there, each with the more indented lines after it.
local function header_mentions(lines, fname)
  local out = {}
  if not fname then return out end
  local i = 1
  while lines[i] and lines[i]:match("^%-%-") do
    local l = lines[i]:gsub("^%-%-", "")
    if l:find("[%.:]" .. fname .. "[%(%{]") or l:find("^%s*" .. fname .. "[%(%{]") then
      local indent = #l:match("^%s*")
      out[#out + 1] = (l:gsub("^%s", ""))
      while lines[i + 1] and lines[i + 1]:match("^%-%-") do
        local nl = lines[i + 1]:gsub("^%-%-", "")
        if #nl:match("^%s*") <= indent or nl:match("^%s*$") then break end
        out[#out + 1] = (nl:gsub("^%s", ""))
        i = i + 1
      end
    end
    i = i + 1
  end
  return out
end

local function function_doc(f, name)
  local info = debug.getinfo(f, "S")
  if info.what == "C" then return string.format("%s: C function", name) end
  local src = info.source:match("^@(.*)")
  local head = string.format("%s: function (%s:%d)", name, info.short_src, info.linedefined)
  local lines = src and read_lines(src)
  if not lines or not lines[info.linedefined] then return head end
  local text = { head, "", (lines[info.linedefined]:gsub("^%s+", "")) }
  local c = comment_above(lines, info.linedefined)
  if #c == 0 then c = header_mentions(lines, name:match("([%w_]+)$")) end
  if #c > 0 then
    text[#text + 1] = ""
    for _, l in ipairs(c) do text[#text + 1] = l end
  end
  return table.concat(text, "\n")
end

local function module_name(t)
  for k, v in pairs(package.loaded) do
    if v == t and type(k) == "string" then return k end
  end
end

local function table_doc(t, name)
  local text = {}
  local mod = module_name(t)
  local path = mod and package.searchpath(mod, package.path)
  local lines = path and read_lines(path)
  if lines then
    text[1] = string.format("%s: module %s (%s)", name, mod, path)
    text[2] = ""
    for _, l in ipairs(lines) do
      if not l:match("^%-%-") then break end
      text[#text + 1] = (l:gsub("^%-%-%s?", ""))
    end
  else
    text[1] = string.format("%s: table", name)
  end
  local keys = {}
  for k in pairs(t) do if type(k) == "string" then keys[#keys + 1] = k end end
  table.sort(keys)
  if #keys > 0 then
    text[#text + 1] = ""
    text[#text + 1] = "fields: " .. table.concat(keys, ", ")
  end
  return table.concat(text, "\n")
end

function M.of(v, name)
  name = name or tostring(v)
  if type(v) == "function" then return function_doc(v, name) end
  if type(v) == "table" and not (getmetatable(v) and getmetatable(v).__tostring) then return table_doc(v, name) end
  if v == nil then return nil end
  return string.format("%s: %s\n%s", name, type(v), repl.format(v, { depth = 2 }))
end

function M.lookup(name)
  if type(name) ~= "string" or not name:match("^[%a_][%w_]*[%w_.:]*$") then return nil end
  local v = _G
  for part in name:gmatch("[^.:]+") do
    local ok, f = pcall(function() return v[part] end)
    if not ok or f == nil then return nil end
    v = f
  end
  return M.of(v, name)
end

return M
