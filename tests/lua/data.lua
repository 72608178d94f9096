-- data.lua - ebm.data: MNIST loading, filters, discretisation, splits, batches, take.
-- Needs `make data` (make test runs it).
local t = require "tap"
local data = ebm.data

-- Flatten the first `n` images of a [N,28,28] tensor into a Lua array of numbers.
local function flat(x, n)
  local out = {}
  local tb = x:narrow(1, 1, n):contiguous():view(n * x:size(2) * x:size(3)):totable()
  for i = 1, #tb do out[i] = tb[i] end
  return out
end

local function same(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end

-- Loading --------------------------------------------------------------------------
local raw, labels = data.mnist { split = "train" }
t.is(raw:dtype(), "u8", "train images are u8")
t.is_deeply(raw:size(), { 60000, 28, 28 }, "train images [60000,28,28]")
t.is_deeply(labels:size(), { 60000 }, "train labels [60000]")
t.is(labels:get(1), 5, "first train label is 5")
local h = data.histogram(raw)
t.cmp_ok(h[256], ">", 0, "raw pixels reach 255")
local total = 0
for v = 1, 256 do total = total + h[v] end
t.is(total, 60000 * 784, "histogram counts every pixel")

local traw, tlabels = data.mnist { split = "test" }
t.is(traw:size(1), 10000, "10000 test images")
t.is(tlabels:get(1), 7, "first test label is 7")

-- Digit filter and limit ---------------------------------------------------------------
local threes, tl, ids = data.mnist { digits = { 3 } }
t.is(threes:size(1), 6131, "6131 training threes")
local lh = data.histogram(tl)
t.is(lh[4], 6131, "every kept label is 3")
t.is(labels:get(ids:get(1)), 3, "ids point back at the file's labels")
t.ok(same(flat(threes, 1), flat(data.take(raw, { ids:get(1) }), 1)), "filtered image equals file image ids[1]")
local some, sl = data.mnist { digits = { 0, 1 }, limit = 100, split = "test" }
t.is(some:size(1), 100, "limit keeps 100")
local sh = data.histogram(sl)
t.is(sh[1] + sh[2], 100, "digits {0,1}: only labels 0 and 1")
local five = data.mnist { limit = 5 }
t.ok(same(flat(five, 5), flat(raw, 5)), "limit=5 gives the first 5 images")

-- Discretisation -----------------------------------------------------------------------
local rawflat = flat(raw, 20)
for _, K in ipairs { 2, 4, 16 } do
  local q = data.mnist { levels = K, limit = 20 }
  local qh = data.histogram(q)
  local maxv = 0
  for v = 0, 255 do if qh[v + 1] > 0 then maxv = v end end
  t.is(maxv, K - 1, "levels=" .. K .. ": values reach K-1 and no further")
  local qf, okp = flat(q, 20), true
  for i = 1, #qf do
    if qf[i] ~= (rawflat[i] * K) // 256 then okp = false break end
  end
  t.ok(okp, "levels=" .. K .. ": x = floor(pixel*K/256) for 20 images")
end
local thr = flat(data.mnist { binarize = "threshold", limit = 20 }, 20)
local okt = true
for i = 1, #thr do if thr[i] ~= (rawflat[i] >= 128 and 1 or 0) then okt = false end end
t.ok(okt, "threshold binarisation is pixel >= 128")

-- Stochastic binarisation: reproducible, and P(x=1) = pixel/255 -------------------------
local seed = t.seed(1234)
local n = 2000
local s1 = data.mnist { binarize = "stochastic", seed = seed, limit = n }
local s2 = data.mnist { binarize = "stochastic", seed = seed, limit = n }
local s3 = data.mnist { binarize = "stochastic", seed = seed + 1, limit = n }
local f1, f2, f3 = flat(s1, n), flat(s2, n), flat(s3, n)
t.ok(same(f1, f2), "same seed, same binarisation")
t.ok(not same(f1, f3), "another seed, another binarisation")
local rf = flat(raw, n)
-- per band of raw values: observed fraction of ones vs the mean of pixel/255; tolerance
-- 5 standard errors sqrt(sum p(1-p))/count.
local bands = { { 1, 63 }, { 64, 127 }, { 128, 191 }, { 192, 254 } }
local edge_ok = true
for _, b in ipairs(bands) do
  local cnt, ones, psum, var = 0, 0, 0, 0
  for i = 1, #rf do
    local v = rf[i]
    if v >= b[1] and v <= b[2] then
      local p = v / 255
      cnt, ones, psum, var = cnt + 1, ones + f1[i], psum + p, var + p * (1 - p)
    elseif (v == 0 and f1[i] ~= 0) or (v == 255 and f1[i] ~= 1) then
      edge_ok = false
    end
  end
  t.near(ones / cnt, psum / cnt, 5 * math.sqrt(var) / cnt,
    string.format("pixels %d..%d (%d of them): fraction of ones matches pixel/255", b[1], b[2], cnt))
end
t.ok(edge_ok, "pixel 0 never and pixel 255 always becomes 1")
-- the whole training set: mean of x vs mean of pixel/255
local all = data.mnist { binarize = "stochastic", seed = seed }
local ah = data.histogram(all)
local psum, var = 0, 0
for v = 0, 255 do
  local p = v / 255
  psum, var = psum + h[v + 1] * p, var + h[v + 1] * p * (1 - p)
end
local N = 60000 * 784
t.near(ah[2] / N, psum / N, 5 * math.sqrt(var) / N, "60k images: mean of x matches mean pixel/255")
-- the same with one thread as with several
local nt = ebm.sys.nthreads()
ebm.sys.set_threads(1)
local one = data.mnist { binarize = "stochastic", seed = seed, limit = n }
ebm.sys.set_threads(math.max(2, nt))
local many = data.mnist { binarize = "stochastic", seed = seed, limit = n }
ebm.sys.set_threads(nt)
t.ok(same(flat(one, n), flat(many, n)) and same(flat(one, n), f1), "stochastic binarisation independent of the thread count")
-- an image keeps its binarisation whatever the filter selects
local st = data.mnist { binarize = "stochastic", seed = seed, digits = { 3 }, limit = 3 }
local full3 = data.take(all, { ids:get(1), ids:get(2), ids:get(3) })
t.ok(same(flat(st, 3), flat(full3, 3)), "stochastic result per image does not depend on the filter")

-- discretize on a given tensor
local d4 = data.discretize(raw:narrow(1, 1, 20), { levels = 4 })
t.ok(same(flat(d4, 20), flat(data.mnist { levels = 4, limit = 20 }, 20)), "discretize() equals mnist{levels=4}")
t.is(raw:get(1, 8, 10), rawflat[7 * 28 + 10], "discretize() leaves its input alone")

-- Split -------------------------------------------------------------------------------
local tr, va = data.split(raw, labels, { valid = 0.1, seed = 7 })
t.is(tr.images:size(1), 54000, "train part 54000")
t.is(va.images:size(1), 6000, "valid part 6000")
t.is(va.labels:size(1), 6000, "valid labels 6000")
local _, va2 = data.split(raw, labels, { valid = 0.1, seed = 7 })
t.ok(same(va.idx:totable(), va2.idx:totable()), "split is reproducible with the seed")
local _, va3 = data.split(raw, labels, { valid = 0.1, seed = 8 })
t.ok(not same(va.idx:totable(), va3.idx:totable()), "another seed, another split")
local seen, dup = {}, false
for _, i in ipairs(tr.idx:totable()) do seen[i] = true end
for _, i in ipairs(va.idx:totable()) do if seen[i] then dup = true end seen[i] = true end
local cover = true
for i = 1, 60000 do if not seen[i] then cover = false break end end
t.ok(not dup, "train and valid are disjoint")
t.ok(cover, "train and valid together cover every image")
local vi = va.idx:get(17)
t.is(va.labels:get(17), labels:get(vi), "valid labels follow their images")
t.ok(same(flat(va.images:narrow(1, 17, 1), 1), flat(data.take(raw, { vi }), 1)), "valid images are the chosen rows")
local _, vc = data.split(raw, nil, { valid = 500, seed = 1 })
t.is(vc.images:size(1), 500, "valid may be a count; labels optional")

-- Batches and take --------------------------------------------------------------------
local got, sizes = {}, {}
for idx, k in data.batches(10, 4, ebm.rng(3)) do
  sizes[k] = idx:size(1)
  for _, i in ipairs(idx:totable()) do got[#got + 1] = i end
end
t.is_deeply(sizes, { 4, 4, 2 }, "batches of 4 over 10: 4, 4, 2")
table.sort(got)
t.is_deeply(got, { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, "batches visit every index once")
local nb = 0
for _ in data.batches(10, 4, 3, { drop_last = true }) do nb = nb + 1 end
t.is(nb, 2, "drop_last drops the short batch")
local order1, order2 = {}, {}
for idx in data.batches(100, 100, 5) do order1 = idx:totable() end
for idx in data.batches(100, 100, 5) do order2 = idx:totable() end
t.ok(same(order1, order2), "batches reproducible with the seed")
local tk = data.take(labels, ebm.i32 { 1, 3, 60000 })
t.is_deeply(tk:totable(), { labels:get(1), labels:get(3), labels:get(60000) }, "take gathers rows")
t.error_like(function() data.take(labels, { 0 }) end, "outside 1..60000", "take: index 0 is an error")
t.error_like(function() data.take(labels, { 60001 }) end, "outside", "take: index past the end is an error")

-- Errors ------------------------------------------------------------------------------
t.error_like(function() data.mnist { dir = "/nonexistent" } end, "make data", "missing files: tells to run make data")
t.error_like(function() data.mnist { split = "valid" } end, "split must be", "bad split named")
t.error_like(function() data.mnist { levels = 1 } end, "levels must be", "levels=1 rejected")
t.error_like(function() data.mnist { levels = 4, binarize = "stochastic" } end, "needs levels=2", "stochastic with 4 levels rejected")
t.error_like(function() data.mnist { lvls = 2 } end, "unknown option 'lvls'", "unknown option named")
t.error_like(function() ebm.core.idx_read("/nonexistent/x") end, "idx_read: /nonexistent/x: cannot open", "idx_read: missing file")

-- Fashion-MNIST (Debian's dataset-fashion-mnist, gzip IDX files) -----------------------
local fok = io.open(data.FASHION_DIR .. "/t10k-labels-idx1-ubyte.gz", "rb")
if fok then
  fok:close()
  local fi, fl = data.fashion { split = "test", levels = 2 }
  t.is_deeply(fi:size(), { 10000, 28, 28 }, "fashion test images [10000,28,28]")
  t.is(fl:get(1), 9, "first fashion test label is 9 (ankle boot)")
  local fh = data.histogram(fi)
  t.is(fh[1] + fh[2], 10000 * 784, "fashion levels=2 gives 0/1 only")
else
  t.skip("dataset-fashion-mnist not installed (make data-fashion)", 3)
end

t.done_testing()
