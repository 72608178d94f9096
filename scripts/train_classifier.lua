-- train_classifier.lua - train the MNIST classifier used to judge samples (softmax
-- regression or an MLP), report test accuracy on raw and binarised test images, save it.
--
--   ebmlua scripts/train_classifier.lua                       # MLP 784-256-10, 10 epochs
--   ebmlua scripts/train_classifier.lua --arch softmax --out runs/classifier/softmax.ckpt
local ebm = require "ebm"
local cli = ebm.cli
local cjson = require "cjson"

local p = cli.parser("train_classifier.lua", "Train the sample-quality MNIST classifier (Adam, cross-entropy).")
p:epilog([[
Inputs are pixels / 255. With --binarize-aug f, each training batch is replaced with
probability f by a stochastic binarisation of itself (Bernoulli(pixel/255)), so the
classifier also reads binary samples well. Writes the checkpoint (--out) and a JSON file
next to it (same name, .json) with the accuracies.]])
p:option("--arch", "mlp or softmax.", "mlp"):choices {"mlp", "softmax"}
p:option("--hidden", "Hidden units of the MLP (comma-separated for several layers).", "256")
  :convert(cli.list(cli.int(1, 100000)))
p:option("--epochs", "Epochs.", "10"):convert(cli.posint)
p:option("--batch", "Batch size.", "100"):convert(cli.int(1, 60000))
p:option("--lr", "Adam learning rate.", "0.001"):convert(cli.number { above = 0 })
p:option("--weight-decay", "L2 weight decay.", "0"):convert(cli.number { min = 0 })
p:option("--binarize-aug", "Fraction of batches binarised stochastically.", "0.5"):convert(cli.number { min = 0, max = 1 })
p:option("--seed", "Seed.", "1"):convert(cli.int())
p:option("--threads", cli.THREADS_HELP):convert(cli.int(1, 1024))
p:option("--out", "Checkpoint path.", "runs/classifier/mlp.ckpt"):convert(cli.outfile)

local a = cli.parse(p)
local sizes = {784}
if a.arch == "mlp" then
  for _, v in ipairs(a.hidden) do sizes[#sizes + 1] = v end
end
sizes[#sizes + 1] = 10
cli.main(function()
  local w = 0
  for i = 2, #sizes do w = w + sizes[i - 1] * sizes[i] end
  cli.fits(4 * 4 * w, "--hidden " .. table.concat(a.hidden, ","))  -- weights, gradients, Adam moments
end)
cli.main(function()
  -- own the output before loading anything: a second run writing the same file stops here
  ebm.run.lock(a.out:match("^(.*)/[^/]*$") or ".", a.out:match("[^/]*$"))
  ebm.sys.set_threads(a.threads)

  local imgs, labs = ebm.data.mnist{split = "train"}
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
  local info = {arch = a.arch, sizes = sizes, epochs = a.epochs, test_accuracy = acc, test_accuracy_binarised = accb,
                seconds = ebm.sys.clock() - t0}
  ebm.eval.save_classifier(net, a.out, info)
  ebm.run.write_file((a.out:gsub("%.ckpt$", "")) .. ".json", cjson.encode(info) .. "\n")
  print("saved " .. a.out)
end)
