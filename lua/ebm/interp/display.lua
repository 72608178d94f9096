-- ebm.display: rich output in notebooks run by the ebmlua kernel (`ebmlua --kernel`).
--
--   ebm.display(x [, opts])   show x below the running cell:
--       image tensor          PNG: u8 [h,w] gray or [h,w,3] RGB, f32/f64 [h,w] in [0,1],
--                             or a batch [n,h,w] shown as a grid (opts go to ebm.viz.grid:
--                             nrow, scale, levels, normalize; a single image: scale, default 4)
--       "file.png"/".gif"     the picture in the file (plots, grids, animations)
--       table                 an HTML table: an array of records as rows (columns from
--                             their keys, or opts.columns), any other table as key/value rows
--       anything else         its text as the REPL shows it
--     Outside the kernel it prints the text (paths and tables) instead.
--   display.figure(name)      a path "<temporary dir>/name.png" for ebm.plot (the folder is
--                             removed when the Lua state closes)
--   display.mime(x [, opts])  the mime bundle {["text/plain"]=..., ["image/png"]=bytes, ...}
--   display.bundle(...)       the bundle for a cell's values (what the kernel calls): the
--                             REPL's text, plus the picture when the only value is a path
--                             that ebm.plot wrote (so a plot call as a cell's last line shows
--                             the plot)

local core = require "ebm.core"
local plot = require "ebm.io.plot"
local repl = require "ebm.interp.repl"
local sys = require "ebm.interp.sys"
local lfs = require "lfs"
local viz = require "ebm.io.viz"

local M = {}

local function slurp(path)
  local s, err = sys.read_file(path)
  if not s then error("display: " .. err, 3) end
  return s
end

local IMAGE_TYPES = { png = "image/png", gif = "image/gif" }

local function image_type(path)
  local ext = type(path) == "string" and path:match("%.(%w+)$")
  return ext and IMAGE_TYPES[ext:lower()]
end

local function is_image_tensor(t)
  local d, size = t:dim(), t:size()
  if d == 2 then return true end
  if d == 3 and (size[3] == 3 or t:dtype() == "u8" or size[1] <= 1024) then return true end
  return false
end

-- PNG bytes of an image tensor (written through the runtime's PNG writer to a temporary file).
local function tensor_png(t, opts)
  local tmp = os.tmpname()
  local path = tmp .. ".png"
  local ok, err = pcall(function()
    if t:dim() == 3 and t:size(3) ~= 3 then
      viz.grid(t, { nrow = opts.nrow, scale = opts.scale or 2, pad = opts.pad, levels = opts.levels,
        normalize = opts.normalize, path = path })
    else
      local rgb = t:dim() == 3
      local one = rgb and t:view(1, t:size(1), t:size(2), 3) or t:view(1, t:size(1), t:size(2))
      viz.grid(one, { nrow = 1, scale = opts.scale or 4, pad = 0, levels = opts.levels,
        normalize = opts.normalize, path = path })
    end
  end)
  os.remove(tmp)
  if not ok then
    os.remove(path)
    error(err, 0)
  end
  local bytes = slurp(path)
  os.remove(path)
  return bytes
end

local function html_escape(v)
  local s = type(v) == "string" and v or repl.format(v, { depth = 1 })
  return (s:gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }))
end

local function is_records(t)
  if #t == 0 then return false end
  for k, v in pairs(t) do
    if math.type(k) ~= "integer" or type(v) ~= "table" or core.is_tensor(v) then return false end
  end
  return true
end

-- HTML for a table: records as rows, else key/value rows.
local function table_html(t, opts)
  local out = { "<table>" }
  if is_records(t) then
    local cols = opts.columns
    if not cols then
      cols = {}
      local seen = {}
      for _, row in ipairs(t) do
        local keys = {}
        for k in pairs(row) do if not seen[k] then keys[#keys + 1] = k end end
        table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
        for _, k in ipairs(keys) do seen[k] = true; cols[#cols + 1] = k end
      end
    end
    local head = {}
    for i, c in ipairs(cols) do head[i] = "<th>" .. html_escape(tostring(c)) .. "</th>" end
    out[#out + 1] = "<thead><tr>" .. table.concat(head) .. "</tr></thead><tbody>"
    for _, row in ipairs(t) do
      local cells = {}
      for i, c in ipairs(cols) do
        local v = row[c]
        cells[i] = "<td>" .. (v == nil and "" or html_escape(v)) .. "</td>"
      end
      out[#out + 1] = "<tr>" .. table.concat(cells) .. "</tr>"
    end
    out[#out + 1] = "</tbody>"
  else
    local keys = {}
    for k in pairs(t) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b)
      if type(a) == type(b) and (type(a) == "number" or type(a) == "string") then return a < b end
      return type(a) < type(b)
    end)
    out[#out + 1] = "<tbody>"
    for _, k in ipairs(keys) do
      out[#out + 1] = "<tr><th>" .. html_escape(tostring(k)) .. "</th><td>" .. html_escape(t[k]) .. "</td></tr>"
    end
    out[#out + 1] = "</tbody>"
  end
  out[#out + 1] = "</table>"
  return table.concat(out, "\n")
end

function M.mime(x, opts)
  opts = opts or {}
  local b = { ["text/plain"] = type(x) == "string" and x or repl.format(x) }
  if core.is_tensor(x) then
    if not is_image_tensor(x) then error("display: a tensor image is [h,w], [h,w,3] or [n,h,w]", 2) end
    b["image/png"] = tensor_png(x, opts)
    b["text/plain"] = string.format("[image: ebm.Tensor %s of size %s]", x:dtype(), table.concat(x:size(), "x"))
  elseif image_type(x) then
    b[image_type(x)] = slurp(x)
  elseif type(x) == "table" and not (getmetatable(x) and getmetatable(x).__tostring) then
    b["text/html"] = table_html(x, opts)
  end
  return b
end

-- A path for a figure that lives as long as this Lua state: figure("energy") ->
-- "<temporary dir>/energy.png". The directory is made on first use and removed (with what
-- is in it) when the state closes, so notebooks can plot without leaving files behind.
local figdir
function M.figure(name)
  if type(name) ~= "string" or not name:match("^[%w_%-%.]+$") then
    error("display.figure: name must be a plain file name (letters, digits, _ - .)", 2)
  end
  if not figdir then
    local tmp = os.tmpname()
    os.remove(tmp)
    assert(lfs.mkdir(tmp))
    figdir = setmetatable({ dir = tmp }, { __gc = function(d) os.execute("rm -rf '" .. d.dir .. "'") end })
  end
  return figdir.dir .. "/" .. name .. (name:match("%.%w+$") and "" or ".png")
end

function M.bundle(...)
  local b = { ["text/plain"] = repl.text(...) }
  local v = ...
  if select("#", ...) == 1 and plot.written[v] and image_type(v) then
    local f = io.open(v, "rb")
    if f then
      b[image_type(v)] = f:read("a")
      f:close()
    end
  end
  return b
end

-- ebm.display(x, opts)
local function display(x, opts)
  local b = M.mime(x, opts)
  local kernel = package.loaded["ebm.kernel"]
  if kernel then
    kernel.display(b)
  else
    print(b["text/plain"])
  end
end

return setmetatable(M, { __call = function(_, x, opts) return display(x, opts) end })
