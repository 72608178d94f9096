-- ckpt.lua - tensor files and checkpoints: round trips, and clear errors for truncated,
-- corrupted, foreign or lying files.
local t = require "tap"

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p " .. dir))
local function path(name) return dir .. "/" .. name end
local function slurp(p)
  local f = assert(io.open(p, "rb"))
  local s = f:read("a")
  f:close()
  return s
end
local function spit(p, s)
  local f = assert(io.open(p, "wb"))
  f:write(s)
  f:close()
end

-- CRC32 (IEEE, as zlib) for crafting files by hand
local crc_table = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do c = (c & 1) ~= 0 and (0xEDB88320 ~ (c >> 1)) or (c >> 1) end
  crc_table[i] = c
end
local function crc32(s)
  local c = 0xFFFFFFFF
  for i = 1, #s do c = crc_table[(c ~ s:byte(i)) & 0xFF] ~ (c >> 8) end
  return c ~ 0xFFFFFFFF
end

-- A well-formed file around a payload, so that only the payload can lie.
local MAGIC = "\x89EBM\r\n\x1a\n"
local function craft(payload, version)
  local head = MAGIC .. string.pack("<I4I4I8I4", version or 1, 32, #payload, crc32(payload))
  return head .. string.pack("<I4", crc32(head)) .. payload
end

-- round trips, every dtype, views
local rng = ebm.rng(t.seed(5))
for _, dt in ipairs { "f32", "f64", "u8", "i32" } do
  local x = ebm.zeros({ 3, 4, 5 }, dt):uniform(rng, 0, 200)
  ebm.io.save(path("x.ebm"), x)
  local y = ebm.io.load(path("x.ebm"))
  t.ok(y:dtype() == dt and #y:size() == 3 and (ebm.sub(x:to("f64"), y:to("f64"))):abs():max() == 0,
    dt .. " tensor round trip is exact")
end
local base = ebm.f32(4, 6):normal(rng)
local view = base:t():narrow(1, 2, 3) -- 3x4 strided
ebm.io.save(path("v.ebm"), view)
t.is((ebm.io.load(path("v.ebm")) - view):abs():max(), 0.0, "a strided view is saved by value")
ebm.io.save(path("s.ebm"), ebm.f64(0))
t.is(ebm.io.load(path("s.ebm")):numel(), 0, "empty tensor round trip")

local ck = {
  tensors = { model = { W = ebm.f32(5, 5):normal(rng), b = ebm.f32(5) }, opt = { m = { ebm.f64(3):fill(2), ebm.i32(2) } } },
}
ck.meta = { epoch = 7, lr = 0.001, model = { kind = "potts", levels = 4 }, rng = ebm.io.rng_state(rng) }
ebm.io.save_checkpoint(path("c.ebm"), ck)
local back = ebm.io.load_checkpoint(path("c.ebm"))
t.is(back.meta.epoch, 7, "integer metadata comes back as an integer")
t.is(math.type(back.meta.epoch), "integer", "... of integer type")
t.is(back.meta.model.kind, "potts", "nested metadata")
t.is((back.tensors.model.W - ck.tensors.model.W):abs():max(), 0.0, "nested tensors by name")
t.is(back.tensors.opt.m[1]:get(1), 2.0, "lists of tensors keep integer keys")
local r2 = ebm.rng(0)
ebm.io.set_rng_state(r2, back.meta.rng)
t.is(r2:u32(), rng:u32(), "generator state round trip (64-bit exact)")
local files = {}
for f in io.popen("ls " .. dir):lines() do files[#files + 1] = f end
t.is(table.concat(files, " "), "c.ebm s.ebm v.ebm x.ebm", "no temporary files left behind")

-- errors for bad input
t.error_like(function() ebm.io.load(path("missing.ebm")) end, "cannot open", "missing file")
t.error_like(function() ebm.io.load(path("c.ebm")) end, "not a single%-tensor file", "load of a checkpoint")
t.error_like(function() ebm.io.save_checkpoint(path("e.ebm"), { meta = { f = print } }) end, "JSON", "meta must be JSON")
t.error_like(function() ebm.io.save_checkpoint(path("e.ebm"), { tensors = { a = 1 } }) end, "not a tensor", "non-tensor entry")
t.error_like(function() ebm.io.save_checkpoint(path("e.ebm"), { tensors = { ["a/b"] = ebm.f32(1) } }) end, "'/'", "bad key")
t.error_like(function() ebm.io.save(dir .. "/no/such/dir/x.ebm", ebm.f32(1)) end, "cannot create", "unwritable path")

-- truncation at every length, and bit flips in every byte, give clean errors
local good = slurp(path("c.ebm"))
local all_clean, n_trunc = true, 0
for len = 0, #good - 1 do
  spit(path("t.ebm"), good:sub(1, len))
  local okc, err = pcall(ebm.io.load_checkpoint, path("t.ebm"))
  n_trunc = n_trunc + 1
  if okc or not tostring(err):find("truncated") then
    all_clean = false
    t.diag("length " .. len .. ": " .. tostring(err))
    break
  end
end
t.ok(all_clean, "every truncation (" .. n_trunc .. " lengths) is reported as truncated")
local flips_ok = true
for i = 1, #good do
  local bad = good:sub(1, i - 1) .. string.char(good:byte(i) ~ 0x10) .. good:sub(i + 1)
  spit(path("f.ebm"), bad)
  local okc, err = pcall(ebm.io.load_checkpoint, path("f.ebm"))
  if okc or not tostring(err):find("magic") and not tostring(err):find("checksum") and not tostring(err):find("truncated")
      and not tostring(err):find("oversized") then
    flips_ok = false
    t.diag("byte " .. i .. ": " .. tostring(err))
    break
  end
end
t.ok(flips_ok, "a flipped bit in any of the " .. #good .. " bytes is detected")
spit(path("g.ebm"), good .. "x")
t.error_like(function() ebm.io.load_checkpoint(path("g.ebm")) end, "oversized", "trailing garbage")
spit(path("m.ebm"), "PK\3\4" .. good:sub(5))
t.error_like(function() ebm.io.load_checkpoint(path("m.ebm")) end, "bad magic", "wrong magic")
spit(path("h.ebm"), "")
t.error_like(function() ebm.io.load(path("h.ebm")) end, "truncated checkpoint %(0 bytes", "empty file")

-- files with valid checksums whose contents lie
local meta = '{"kind":"ebm.tensor"}'
local function tensor_entry(name, dtype, sizes, data)
  local s = string.pack("<I4", #name) .. name .. string.pack("<I4I4", dtype, #sizes)
  for _, n in ipairs(sizes) do s = s .. string.pack("<i8", n) end
  return s .. (data or "")
end
local function payload(entries, count)
  return string.pack("<I8", #meta) .. meta .. string.pack("<I4", count or #entries) .. table.concat(entries)
end
spit(path("v2.ebm"), craft(payload { tensor_entry("tensor", 0, { 2 }, string.pack("<ff", 1, 2)) }, 2))
t.error_like(function() ebm.io.load(path("v2.ebm")) end, "unsupported checkpoint version 2", "future version refused")
spit(path("ok.ebm"), craft(payload { tensor_entry("tensor", 0, { 2 }, string.pack("<ff", 1.5, 2)) }))
t.is(ebm.io.load(path("ok.ebm")):get(1), 1.5, "a hand-crafted file loads (the format is as documented)")
spit(path("huge.ebm"), craft(payload { tensor_entry("tensor", 0, { 1000000, 1000000 }) }))
t.error_like(function() ebm.io.load(path("huge.ebm")) end, "claims 1000000000000 elements", "10^12 elements refused before allocating")
spit(path("neg.ebm"), craft(payload { tensor_entry("tensor", 0, { -1 }) }))
t.error_like(function() ebm.io.load(path("neg.ebm")) end, "impossible size", "negative size")
spit(path("dt.ebm"), craft(payload { tensor_entry("tensor", 9, { 1 }, "x") }))
t.error_like(function() ebm.io.load(path("dt.ebm")) end, "unknown dtype 9", "unknown dtype")
spit(path("nd.ebm"), craft(payload { tensor_entry("tensor", 0, { 1, 1, 1, 1, 1, 1, 1, 1, 1 }) }))
t.error_like(function() ebm.io.load(path("nd.ebm")) end, "9 dims", "too many dims")
spit(path("cnt.ebm"), craft(payload({}, 4000000000)))
t.error_like(function() ebm.io.load(path("cnt.ebm")) end, "claims 4000000000 tensors", "absurd tensor count")
spit(path("nm.ebm"), craft(string.pack("<I8", #meta) .. meta .. string.pack("<I4I4", 1, 0xFFFFFFF0) .. string.rep("\0", 8)))
t.error_like(function() ebm.io.load(path("nm.ebm")) end, "name exceeds", "name longer than the file")
spit(path("ml.ebm"), craft(string.pack("<I8", 1 << 60)))
t.error_like(function() ebm.io.load(path("ml.ebm")) end, "metadata length", "metadata longer than the file")
spit(path("js.ebm"), craft(string.pack("<I8", 3) .. "{{{" .. string.pack("<I4", 0)))
t.error_like(function() ebm.io.load_checkpoint(path("js.ebm")) end, "not valid JSON", "bad JSON metadata")

os.execute("rm -rf " .. dir)
t.done_testing()
