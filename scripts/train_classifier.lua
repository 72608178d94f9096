-- train_classifier.lua - train the MNIST classifier used to judge samples (softmax
-- regression or an MLP), report test accuracy on raw and binarised test images, save it.
--
--   ebmlua scripts/train_classifier.lua                       # MLP 784-256-10, 10 epochs
--   ebmlua scripts/train_classifier.lua --arch softmax --out runs/classifier/softmax.ckpt
local argparse = require "argparse"
local ebm = require "ebm"
local core = ebm.core
local cjson = require "cjson"

local die = ebm.sys.usage_exit("train_classifier.lua")

local p = argparse("train_classifier.lua", "Train the sample-quality MNIST classifier (Adam, cross-entropy).")
p:epilog([[
Inputs are pixels / 255. With --binarize-aug f, each training batch is replaced with
probability f by a stochastic binarisation of itself (Bernoulli(pixel/255)), so the
classifier also reads binary samples well. Writes the checkpoint (--out) and a JSON file
next to it (same name, .json) with the accuracies.]])
p:option("--arch", "mlp or softmax.", "mlp"):choices {"mlp", "softmax"}
p:option("--hidden", "Hidden units of the MLP (comma-separated for several layers).", "256")
p:option("--epochs", "Epochs.", "10"):convert(math.tointeger)
p:option("--batch", "Batch size.", "100"):convert(math.tointeger)
p:option("--lr", "Adam learning rate.", "0.001"):convert(tonumber)
p:option("--weight-decay", "L2 weight decay.", "0"):convert(tonumber)
p:option("--binarize-aug", "Fraction of batches binarised stochastically.", "0.5"):convert(tonumber)
p:option("--seed", "Seed.", "1"):convert(math.tointeger)
p:option("--threads", "CPU threads.", tostring(ebm.sys.ncpus())):convert(math.tointeger)
p:option("--out", "Checkpoint path.", "runs/classifier/mlp.ckpt")

local okp, a = p:pparse()
if not okp then die(a) end
if not a.epochs or a.epochs < 1 or not a.batch or a.batch < 1 or not a.seed then
  die("--epochs, --batch must be positive integers and --seed an integer")
end
if not (a.lr and a.lr > 0) then die("--lr must be a positive number") end
if not (a.binarize_aug and a.binarize_aug >= 0 and a.binarize_aug <= 1) then die("--binarize-aug must be in [0, 1]") end
if not a.threads or a.threads < 1 then die("--threads must be >= 1") end
local sizes = {784}
if a.arch == "mlp" then
  for h in a.hidden:gmatch("[^,]+") do
    local v = math.tointeger(tonumber(h))
    if not v or v < 1 then die("--hidden: expected positive integers separated by commas") end
    sizes[#sizes + 1] = v
  end
end
sizes[#sizes + 1] = 10
ebm.sys.set_threads(a.threads)

local okd, imgs, labs = pcall(ebm.data.mnist, {split = "train"})
if not okd then die(imgs) end
local timgs, tlabs = ebm.data.mnist{split = "test"}
local X, Xt = ebm.classifier.inputs(imgs), ebm.classifier.inputs(timgs)
local Xtb = ebm.classifier.inputs(ebm.data.mnist{split = "test", levels = 2, binarize = "stochastic", seed = 0}, 1)

local net = ebm.classifier.new{sizes = sizes, seed = a.seed}
local g = ebm.rng(a.seed + 1000)
local function aug(Xb)
  if g:uniform() < a.binarize_aug then return Xb:clone():bernoulli(g, Xb) end
  return Xb
end
local t0 = ebm.sys.clock()
for e = 1, a.epochs do
  local t1 = ebm.sys.clock()
  local loss, acc = net:train_epoch(X, labs, {epoch = e, lr = a.lr, batch = a.batch, weight_decay = a.weight_decay,
                                              seed = a.seed, transform = a.binarize_aug > 0 and aug or nil})
  print(string.format("epoch %2d  loss %.4f  train acc %.4f  test acc %.4f  (%.1f s)", e, loss, acc,
    net:accuracy(Xt, tlabs), ebm.sys.clock() - t1))
end
local acc, accb = net:accuracy(Xt, tlabs), net:accuracy(Xtb, tlabs)
print(string.format("test accuracy %.4f (raw pixels/255), %.4f (stochastically binarised test images); %.1f s",
  acc, accb, ebm.sys.clock() - t0))
local dir = a.out:match("^(.*)/[^/]*$")
if dir then ebm.run.mkdirs(dir) end
local info = {arch = a.arch, sizes = sizes, epochs = a.epochs, test_accuracy = acc, test_accuracy_binarised = accb,
              seconds = ebm.sys.clock() - t0}
ebm.eval.save_classifier(net, a.out, info)
ebm.run.write_file((a.out:gsub("%.ckpt$", "")) .. ".json", cjson.encode(info) .. "\n")
print("saved " .. a.out)
