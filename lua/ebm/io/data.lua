-- ebm.data: MNIST and Fashion-MNIST loading, discretisation, splits and batches.
--
--   images, labels, ids = ebm.data.mnist{split="train", digits={3}, levels=2,
--                                        binarize="threshold", limit=1000, seed=1, dir=nil}
--     images: u8 tensor [n,28,28] with values 0..levels-1 (raw 0..255 when levels is nil)
--     labels: u8 tensor [n] (digits 0..9)
--     ids:    i32 tensor [n] of 1-based positions in the file (nil when no filter/limit:
--             then image i is file image i)
--     split   "train" (60000 images) or "test" (10000); default "train"
--     digits  keep only these labels (a list, e.g. {3} or {0,1}); nil = all
--     limit   keep at most this many (the first ones, after the digit filter)
--     dir     folder holding the four IDX files (plain or .gz); default: $EBMLUA_DATA/mnist,
--             then data/mnist next to the ebmlua library, then ./data/mnist
--   images, labels, ids = ebm.data.fashion{...}   -- same options; Debian dataset-fashion-mnist
--
-- Discretisation protocol (all in C, runtime/data_ops.c):
--   levels = K (2..256), binarize = nil or "threshold": x = floor(pixel * K / 256).
--     K = 2 is the threshold pixel >= 128; K = 4 cuts at 64/128/192; K = 16 at multiples of 16.
--   levels = 2 with binarize = "stochastic": x = 1 with probability pixel/255, drawn from
--     Philox4x32-10 with key `seed` (default 0), counter (image id - 1, pixel / 4), word pixel % 4,
--     compared exactly as u24 * 255 < pixel * 2^24. An image keeps its binarisation whatever
--     digits/limit select, and results do not depend on the thread count.
--
--   d = ebm.data.discretize(images, {levels=K, binarize=, seed=, ids=})  -- new u8 tensor
--   train, valid = ebm.data.split(images, labels, {valid=0.1, seed=s})
--     reproducible random split; train/valid are tables {images=, labels=, idx=} where idx
--     holds the ascending 1-based positions taken from the input. valid: fraction (< 1) or count.
--   for idx, k in ebm.data.batches(n, batch, rng_or_seed, {drop_last=false}) do ... end
--     idx: i32 tensor of 1-based positions (a shuffled permutation of 1..n, cut into batches)
--   x = ebm.data.take(images, idx)   -- gather rows (any dtype; idx an i32 tensor or table)
--   h = ebm.data.histogram(u8_tensor) -- h[v+1] = count of value v, v = 0..255

local core = require "ebm.core"

local M = {}

-- Root of the source tree / install: three levels above this file (lua/ebm/io/data.lua).
local function lib_root()
  local src = debug.getinfo(1, "S").source
  if src:sub(1, 1) ~= "@" then return nil end
  local dir = src:sub(2):match("^(.*)/lua/ebm/io/[^/]*$")
  return dir
end

local function file_exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

-- First existing file among name and name.gz in dir, or nil.
local function find_file(dir, name)
  for _, p in ipairs { dir .. "/" .. name, dir .. "/" .. name .. ".gz" } do
    if file_exists(p) then return p end
  end
end

local FILES = {
  train = { "train-images-idx3-ubyte", "train-labels-idx1-ubyte" },
  test = { "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" },
}

local KNOWN = { split = true, digits = true, classes = true, levels = true, binarize = true,
                limit = true, seed = true, dir = true }

local function check_opts(fname, opts)
  if opts == nil then return {} end
  if type(opts) ~= "table" then
    error(string.format("%s: expected an options table, got %s", fname, type(opts)), 3)
  end
  for k in pairs(opts) do
    if not KNOWN[k] then error(string.format("%s: unknown option '%s'", fname, tostring(k)), 3) end
  end
  return opts
end

-- d = discretize(images, {levels=, binarize=, seed=, ids=}) -> new u8 tensor (see top).
-- With no levels and no binarize it returns a copy of the raw bytes.
function M.discretize(images, opts, inplace)
  opts = opts or {}
  if not core.is_tensor(images) or images:dtype() ~= "u8" then
    error("discretize: images must be a u8 tensor", 2)
  end
  local levels, how = opts.levels, opts.binarize
  if how ~= nil and how ~= "threshold" and how ~= "stochastic" then
    error("discretize: binarize must be 'threshold' or 'stochastic', got " .. tostring(how), 2)
  end
  if how == "stochastic" then
    if levels ~= nil and levels ~= 2 then
      error("discretize: binarize='stochastic' needs levels=2 (got " .. tostring(levels) .. ")", 2)
    end
    levels = 2
  elseif how == "threshold" and levels == nil then
    levels = 2
  end
  if levels ~= nil and (math.type(levels) ~= "integer" or levels < 2 or levels > 256) then
    error("discretize: levels must be an integer in 2..256, got " .. tostring(levels), 2)
  end
  local out = inplace and images or images:clone()
  if levels == nil or levels == 256 then return out end
  if how == "stochastic" then
    local seed = opts.seed or 0
    if math.type(seed) ~= "integer" then error("discretize: seed must be an integer", 2) end
    return core.data_binarize(out, seed, opts.ids)
  end
  return core.data_quantize(out, levels)
end

-- Shared loader for the MNIST-format datasets.
local function load(fname, dirs, hint, opts)
  opts = check_opts(fname, opts)
  local split = opts.split or "train"
  local files = FILES[split]
  if not files then
    error(string.format("%s: split must be 'train' or 'test', got %s", fname, tostring(split)), 3)
  end
  local digits = opts.digits or opts.classes
  if digits ~= nil and type(digits) ~= "table" then
    error(fname .. ": digits must be a list of labels, e.g. {3}", 3)
  end
  local limit = opts.limit
  if limit ~= nil and (math.type(limit) ~= "integer" or limit < 0) then
    error(fname .. ": limit must be a non-negative integer", 3)
  end
  if opts.dir then dirs = { opts.dir } end
  local ipath, lpath
  for _, d in ipairs(dirs) do
    ipath, lpath = find_file(d, files[1]), find_file(d, files[2])
    if ipath and lpath then break end
  end
  if not (ipath and lpath) then
    error(string.format("%s: %s files not found in %s: %s", fname, split,
      table.concat(dirs, " or "), hint), 3)
  end
  local images, labels = core.idx_read(ipath), core.idx_read(lpath)
  if images:dtype() ~= "u8" or images:dim() ~= 3 then
    error(string.format("%s: %s: expected u8 images [n,h,w]", fname, ipath), 3)
  end
  if labels:dtype() ~= "u8" or labels:dim() ~= 1 or labels:size(1) ~= images:size(1) then
    error(string.format("%s: %s does not match %s (%d labels for %d images)", fname, lpath, ipath,
      labels:size(1), images:size(1)), 3)
  end
  local ids
  if digits or limit then
    ids = core.data_filter(labels, digits, limit)
    images, labels = core.data_take(images, ids), core.data_take(labels, ids)
  end
  local ok, res = pcall(M.discretize, images,
    { levels = opts.levels, binarize = opts.binarize, seed = opts.seed, ids = ids }, true)
  if not ok then error(fname .. ": " .. tostring(res):gsub("^.-discretize: ", ""), 3) end
  return res, labels, ids
end

local function data_dirs(sub)
  local dirs = {}
  local env = os.getenv("EBMLUA_DATA")
  if env and env ~= "" then dirs[#dirs + 1] = env .. "/" .. sub end
  local root = lib_root()
  if root then dirs[#dirs + 1] = root .. "/data/" .. sub end
  dirs[#dirs + 1] = "data/" .. sub
  return dirs
end

-- ebm.data.mnist{...}: see the top of this file.
function M.mnist(opts)
  return load("ebm.data.mnist", data_dirs("mnist"),
    "run `make data` in the ebmlua source tree (or pass dir=)", opts)
end

-- Where Debian's dataset-fashion-mnist package installs its (gzip) IDX files.
M.FASHION_DIR = "/usr/share/datasets/fashion-mnist"

-- Fashion-MNIST class names, by label 0..9 (index label+1).
M.FASHION_CLASSES = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Ankle boot" }

-- ebm.data.fashion{...}: same options as mnist (digits= or classes= filter labels 0..9).
function M.fashion(opts)
  return load("ebm.data.fashion", { M.FASHION_DIR },
    "run `make data-fashion` (Debian package dataset-fashion-mnist)", opts)
end

-- train, valid = split(images, labels, {valid=0.1, seed=0}); see the top of this file.
function M.split(images, labels, opts)
  opts = opts or {}
  if not core.is_tensor(images) or images:dim() < 1 then
    error("split: images must be a tensor with at least one dimension", 2)
  end
  local n = images:size(1)
  if labels ~= nil and (not core.is_tensor(labels) or labels:size(1) ~= n) then
    error("split: labels must be a tensor with one entry per image", 2)
  end
  local v = opts.valid or 0.1
  local nv
  if math.type(v) == "integer" and v >= 1 then nv = v
  elseif type(v) == "number" and v >= 0 and v < 1 then nv = math.floor(v * n + 0.5)
  else error("split: valid must be a fraction in [0,1) or a count, got " .. tostring(v), 2) end
  if nv > n then error(string.format("split: valid=%d exceeds the %d images", nv, n), 2) end
  local seed = opts.seed or 0
  local tri, vai = core.data_split_index(n, nv, core.rng(seed))
  local images_c = images:contiguous()
  local function part(idx)
    return { images = core.data_take(images_c, idx),
             labels = labels and core.data_take(labels:contiguous(), idx), idx = idx }
  end
  return part(tri), part(vai)
end

-- Iterator over shuffled batches of 1-based positions; see the top of this file.
function M.batches(n, batch, rng, opts)
  if math.type(n) ~= "integer" or n < 0 then error("batches: n must be a non-negative integer", 2) end
  if math.type(batch) ~= "integer" or batch < 1 then error("batches: batch must be a positive integer", 2) end
  if rng == nil or type(rng) == "number" then rng = core.rng(rng or 0) end
  local drop_last = opts and opts.drop_last
  local perm = core.data_randperm(n, rng)
  local i, k = 0, 0
  return function()
    local len = math.min(batch, n - i)
    if len <= 0 or (drop_last and len < batch) then return nil end
    local idx = perm:narrow(1, i + 1, len)
    i, k = i + len, k + 1
    return idx, k
  end
end

-- take(t, idx): rows idx (1-based, i32 tensor or table) of t along its first dimension.
function M.take(t, idx)
  if core.is_tensor(t) and not t:is_contiguous() then t = t:contiguous() end
  return core.data_take(t, idx)
end

-- histogram(u8 tensor) -> h with h[v+1] = number of elements equal to v.
function M.histogram(t)
  if core.is_tensor(t) and not t:is_contiguous() then t = t:contiguous() end
  return core.data_histogram(t)
end

return M
