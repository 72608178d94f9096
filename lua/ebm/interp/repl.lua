-- ebm.repl: how the REPL shows values.
--
--   repl.format_tensor(t)      Torch-style text: the values, then [ebm.Tensor f32 of size 2x3];
--                              big tensors show their first and last 3 entries per dim.
--   repl.format(v [, opts])    any value as text: tables nested with sorted keys, cycles
--                              marked, depth and item counts limited; opts.depth, opts.items.
--   repl.text(...)             results as the REPL shows them (a string)
--   repl.print(...)            what the REPL calls (as ebm.repl_print) to show results.

local core = require "ebm.core"
local is_tensor = core.is_tensor

local M = {}

local EDGE = 3        -- entries shown at each end of a summarised dimension
local LIMIT = 1000    -- tensors with more elements than this are summarised
local WIDTH = 78      -- tables shorter than this print on one line

-- Indices 1..n of one dimension, with `false` standing for the elided middle.
local function index_list(n, summarise)
  local l = {}
  if summarise and n > 2 * EDGE + 1 then
    for i = 1, EDGE do l[#l + 1] = i end
    l[#l + 1] = false
    for i = n - EDGE + 1, n do l[#l + 1] = i end
  else
    for i = 1, n do l[i] = i end
  end
  return l
end

-- One number format for all shown values: integers as integers, else fixed point with 4
-- decimals, or scientific when the magnitudes are very large or very small.
local function number_format(values)
  local allint, maxabs, minabs = true, 0, math.huge
  for _, v in ipairs(values) do
    if v ~= v or v == math.huge or v == -math.huge then
      allint = allint and math.type(v) == "integer"
    else
      local a = math.abs(v)
      if math.type(v) ~= "integer" and (v ~= math.floor(v) or a >= 1e15) then allint = false end
      if a > maxabs then maxabs = a end
      if a > 0 and a < minabs then minabs = a end
    end
  end
  if allint then return function(v) return string.format("%.0f", v) end end
  if maxabs < 1e5 and (minabs >= 1e-4 or minabs == math.huge) then
    return function(v) return string.format("%.4f", v) end
  end
  return function(v) return string.format("%.4e", v) end
end

-- Cartesian product of index lists, calling f(idx) with a fresh table per combination.
local function each_combo(lists, f)
  local nd = #lists
  local function rec(d, idx)
    if d > nd then return f(idx) end
    for _, i in ipairs(lists[d]) do
      idx[d] = i
      rec(d + 1, idx)
    end
  end
  rec(1, {})
end

-- Torch-style rendering of a tensor.
function M.format_tensor(t)
  local size = t:size()
  local nd = #size
  local shape = nd == 0 and "(scalar)" or table.concat(size, "x")
  local footer = string.format("[ebm.Tensor %s of size %s]", t:dtype(), shape)
  if t:numel() == 0 then return footer end
  if nd == 0 then
    local v = t:totable()
    return number_format({ v })(v) .. "\n" .. footer
  end
  local summarise = t:numel() > LIMIT
  local lists = {}
  for d = 1, nd do lists[d] = index_list(size[d], summarise) end
  -- gather every shown value once, to choose one format and one column width
  local values = {}
  each_combo(lists, function(idx)
    for d = 1, nd do if not idx[d] then return end end
    values[#values + 1] = t:get(table.unpack(idx, 1, nd))
  end)
  local fmt = number_format(values)
  local width = 0
  for _, v in ipairs(values) do width = math.max(width, #fmt(v)) end
  local function cell(idx) return string.format("%" .. width .. "s", fmt(t:get(table.unpack(idx, 1, nd)))) end
  local out = {}
  local function row(prefix)   -- the last dimension as one line
    local cells = {}
    for _, j in ipairs(lists[nd]) do
      prefix[nd] = j
      cells[#cells + 1] = j and cell(prefix) or string.rep(" ", math.max(0, width - 3)) .. "..."
    end
    return table.concat(cells, "  ")
  end
  if nd == 1 then
    out[1] = row({})
  else
    local lead = {}
    for d = 1, nd - 2 do lead[d] = lists[d] end
    local first = true
    each_combo(lead, function(idx)
      for d = 1, nd - 2 do
        if not idx[d] then
          if first == false and out[#out] ~= "..." then out[#out + 1] = "..." end
          return
        end
      end
      if nd > 2 then
        local tag = {}
        for d = 1, nd - 2 do tag[d] = tostring(idx[d]) end
        if not first then out[#out + 1] = "" end
        out[#out + 1] = "(" .. table.concat(tag, ",") .. ",.,.) = "
      end
      first = false
      for _, i in ipairs(lists[nd - 1]) do
        if i then
          local p = { table.unpack(idx, 1, nd - 2) }
          p[nd - 1] = i
          out[#out + 1] = row(p)
        else
          out[#out + 1] = "..."
        end
      end
    end)
  end
  out[#out + 1] = footer
  return table.concat(out, "\n")
end

-- Short one-line description of a tensor inside a table.
local function tensor_brief(t)
  local size = t:size()
  return string.format("ebm.Tensor(%s, %s)", t:dtype(), #size == 0 and "scalar" or table.concat(size, "x"))
end

local function is_identifier(s)
  return type(s) == "string" and s:match("^[%a_][%w_]*$") ~= nil
end

-- Keys in a stable order: numbers ascending, then strings, then anything else by text.
local function sorted_keys(tbl, skip_array)
  local keys = {}
  for k in pairs(tbl) do
    if not (skip_array and math.type(k) == "integer" and k >= 1 and k <= skip_array) then keys[#keys + 1] = k end
  end
  local rank = { number = 1, string = 2 }
  table.sort(keys, function(a, b)
    local ra, rb = rank[type(a)] or 3, rank[type(b)] or 3
    if ra ~= rb then return ra < rb end
    if ra <= 2 then return a < b end
    return tostring(a) < tostring(b)
  end)
  return keys
end

local function scalar_text(v)
  if type(v) == "string" then return string.format("%q", v) end
  if is_tensor(v) then return tensor_brief(v) end
  return tostring(v)
end

-- Render v as text. `seen` marks tables on the current path (cycles), `depth` counts down.
local function render(v, indent, depth, seen, opts)
  if type(v) ~= "table" then return scalar_text(v) end
  if seen[v] then return "<cycle: " .. tostring(v) .. ">" end
  if getmetatable(v) and getmetatable(v).__tostring then return tostring(v) end
  if next(v) == nil then return "{}" end
  if depth <= 0 then return "{...}" end
  seen[v] = true
  local items, n = {}, #v
  local count = 0
  for i = 1, n do
    count = count + 1
    if count > opts.items then break end
    items[#items + 1] = render(v[i], indent .. "  ", depth - 1, seen, opts)
  end
  for _, k in ipairs(sorted_keys(v, n)) do
    count = count + 1
    if count > opts.items then break end
    local key = is_identifier(k) and k or ("[" .. scalar_text(k) .. "]")
    items[#items + 1] = key .. " = " .. render(v[k], indent .. "  ", depth - 1, seen, opts)
  end
  local total = n + #sorted_keys(v, n)
  if total > opts.items then items[#items + 1] = string.format("... (%d more)", total - opts.items) end
  seen[v] = nil
  local one = "{" .. table.concat(items, ", ") .. "}"
  if #one + #indent <= WIDTH and not one:find("\n") then return one end
  return "{\n" .. indent .. "  " .. table.concat(items, ",\n" .. indent .. "  ") .. "\n" .. indent .. "}"
end

-- Text for any value; opts.depth (default 4) and opts.items (default 50) bound the output.
function M.format(v, opts)
  opts = opts or {}
  local o = { depth = opts.depth or 4, items = opts.items or 50 }
  if is_tensor(v) then return M.format_tensor(v) end
  return render(v, "", o.depth, {}, o)
end

-- REPL results as text: one value per line when any is a table or tensor, else
-- tab-separated like the plain `lua` REPL.
function M.text(...)
  local n = select("#", ...)
  local parts, multiline = {}, false
  for i = 1, n do
    local v = select(i, ...)
    if type(v) == "string" then
      parts[i] = v
    else
      parts[i] = M.format(v)
      if type(v) == "table" or is_tensor(v) then multiline = true end
    end
  end
  return table.concat(parts, multiline and "\n" or "\t")
end

-- Print REPL results (what the REPL calls as ebm.repl_print), as M.text shows them.
function M.print(...)
  io.stdout:write(M.text(...), "\n")
  io.stdout:flush()
end

return M
