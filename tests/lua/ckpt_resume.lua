-- ckpt_resume.lua - a run stopped after an epoch and resumed from model.ckpt ends with
-- bit-identical parameters, optimiser state, PCD chains and metrics as an uninterrupted
-- run with the same seed; bad checkpoints are one-line errors with exit status 2.
local t = require "tap"
local ebm = require "ebm"

local sh = ebm.sys.capture

local root = os.tmpname(); os.remove(root)
local exe = "./ebmlua scripts/train_digit.lua 3 --model potts --quality-samples 0 --limit 300 --epochs 3 --batch 64 --cd-steps 2 --sample-sweeps 2 --log-every 2 --quiet"

-- max |a - b| over two tensors (as f64)
local function maxdiff(a, b)
  if a:numel() ~= b:numel() then return math.huge end
  return ((a:to("f64") - b:to("f64")):abs():max())
end

local function compare(label, extra)
  local A, B = root .. "/" .. label .. "-a", root .. "/" .. label .. "-b"
  local _, rc1 = sh(exe .. " " .. extra .. " --out " .. A)
  local _, rc2 = sh(exe .. " " .. extra .. " --out " .. B .. " --stop-after 1")
  local m1 = ebm.io.load_checkpoint(B .. "/model.ckpt").meta
  local out3, rc3 = sh(exe .. " " .. extra .. " --out " .. B .. " --resume")
  t.ok(rc1 == 0 and rc2 == 0 and rc3 == 0, label .. ": three runs succeed") -- uninterrupted, stopped, resumed
  if rc3 ~= 0 then t.diag(out3) end
  t.is(m1.epoch, 1, label .. ": the stopped run checkpointed epoch 1")
  local a, b = ebm.io.load_checkpoint(A .. "/model.ckpt"), ebm.io.load_checkpoint(B .. "/model.ckpt")
  t.is(b.meta.epoch, 3, label .. ": the resumed run finished epoch 3")
  t.is(a.meta.steps, b.meta.steps, label .. ": same number of updates")
  local worst = 0
  for k, p in pairs(a.tensors.params) do worst = math.max(worst, maxdiff(p, b.tensors.params[k])) end
  t.is(worst, 0.0, label .. ": parameters bit-identical")
  local ow = 0
  for f, tt in pairs(a.tensors.optim) do
    for k, p in pairs(tt) do ow = math.max(ow, maxdiff(p, b.tensors.optim[f][k])) end
  end
  t.is(ow, 0.0, label .. ": optimiser state bit-identical")
  if a.tensors.chains then t.is(maxdiff(a.tensors.chains, b.tensors.chains), 0.0, label .. ": PCD chains identical") end
  local ra, rb = ebm.run.read_metrics(A .. "/metrics.csv"), ebm.run.read_metrics(B .. "/metrics.csv")
  local same = #ra == #rb
  for i = 1, math.min(#ra, #rb) do
    for _, c in ipairs { "epoch", "step", "data_energy", "sample_energy", "valid_pll", "grad_norm", "param_norm", "lr" } do
      if ra[i][c] ~= rb[i][c] then same = false end
    end
  end
  t.ok(same, label .. ": metrics.csv rows equal (all but seconds)")
  return A
end

local A = compare("cd", "--cd")
compare("pcd", "--pcd --optim sgd --schedule cosine --model seed --levels 2")

-- bad checkpoints: one line, exit 2
local ck = A .. "/model.ckpt"
local out, rc = sh(exe .. " --out " .. root .. "/x --model seed --resume " .. ck)
t.is(rc, 2, "resuming with another model exits 2")
t.ok(out:find("trained with %-%-model potts") and select(2, out:gsub("\n", "")) == 1, "... with one line naming the option")
local data = io.open(ck, "rb"):read("a")
local f = io.open(root .. "/trunc.ckpt", "wb"); f:write(data:sub(1, #data // 2)); f:close()
out, rc = sh(exe .. " --resume " .. root .. "/trunc.ckpt")
t.is(rc, 2, "truncated checkpoint exits 2")
t.ok(out:find("truncated"), "... saying it is truncated")
f = io.open(root .. "/bad.ckpt", "wb"); f:write(data:sub(1, 200) .. "X" .. data:sub(202)); f:close()
out, rc = sh(exe .. " --resume " .. root .. "/bad.ckpt")
t.is(rc, 2, "corrupt checkpoint exits 2")
t.ok(out:find("corrupt") or out:find("checksum"), "... saying it is corrupt")
out, rc = sh(exe .. " --resume " .. root .. "/missing.ckpt")
t.is(rc, 2, "missing checkpoint exits 2")
t.ok(out:find("not found"), "... saying it is not found")

-- ebm.ckpt.load_model rebuilds the trained model
local m, meta = ebm.ckpt.load_model(ck)
t.is(meta.epoch, 3, "load_model returns the meta")
t.is(maxdiff(m:params()["weight.pair"], ebm.io.load_checkpoint(ck).tensors.params["weight.pair"]), 0.0, "load_model restores parameters")
os.execute("rm -rf '" .. root .. "'")
t.done_testing()
