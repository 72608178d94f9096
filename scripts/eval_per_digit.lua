-- eval_per_digit.lua - class-conditional generation the simple way: one RBM per digit
-- (trained with scripts/train_rbm.lua --digits d), judged by the project's classifier.
--
--   for d in 0 1 2 3 4 5 6 7 8 9; do
--     ebmlua scripts/train_rbm.lua --digits $d --pcd --epochs 25 --out runs/rbm500-digit$d; done
--   ebmlua scripts/eval_per_digit.lua 'runs/rbm500-digit%d/model.ckpt' --grid per-digit.png
local ebm = require "ebm"
local cli = ebm.cli
local cjson = require "cjson"

local p = cli.parser("eval_per_digit.lua", "Sample ten per-digit RBMs and judge the samples with the classifier.")
p:argument("pattern", "Checkpoint path with %d for the digit, e.g. runs/rbm500-digit%d/model.ckpt")
  :convert(cli.converter(function(s)
    local n = 0
    for c in tostring(s):gmatch("%%(.)") do
      if c == "d" then n = n + 1 elseif c ~= "%" then return nil, "only %d (and %%) may follow '%', got '" .. s .. "'" end
    end
    if n ~= 1 then return nil, "must contain %d once, got '" .. s .. "'" end
    return s
  end))
p:option("--classifier", "Classifier checkpoint.", "runs/classifier/mlp.ckpt"):convert(cli.file)
p:option("--samples", "Samples per digit.", "100"):convert(cli.int(1, 100000))
p:option("--steps", "Gibbs steps per chain.", "1000"):convert(cli.posint)
p:option("--seed", "Sampling seed.", "1"):convert(cli.posint)
p:option("--grid", "Write a 10-row sample grid PNG here."):convert(cli.outfile)
p:option("--json", "Write the results here."):convert(cli.outfile)
p:option("--threads", cli.THREADS_HELP):convert(cli.int(1, 1024))
local a = cli.parse(p)
ebm.sys.set_threads(a.threads)

cli.main(function()
  local net = ebm.eval.load_classifier(a.classifier)
  local n = a.samples
  local all, show = nil, ebm.f32(100, 784)
  local asked, per, protocol = {}, {}, nil
  for d = 0, 9 do
    local path = string.format(a.pattern, d)
    local m, meta = ebm.rbm.load(path)
    local ex = meta.extra or {}
    protocol = ex.protocol
    local imgs = ebm.data.mnist{split = "train", digits = {d}, levels = m.K, binarize = ex.binarize, seed = ex.data_seed}
    local base = m:base_rate(m:encode(imgs))
    local s, sm = m:sample(n, {steps = a.steps, base = base, seed = a.seed + d})
    local X = ebm.classifier.inputs(m:images(s), 255)
    per[d + 1] = ebm.eval.class_accuracy(net, X, d)
    if not all then all = ebm.f32(10 * n, X:size(2)) end
    all:narrow(1, d * n + 1, n):copy(X)
    for i = 1, n do asked[d * n + i] = d end
    show:narrow(1, d * 10 + 1, 10):copy(m:images(sm:narrow(1, 1, math.min(10, n))):view(-1, 784):to("f32"))
    print(string.format("digit %d: %.1f%% of %d samples classified as %d", d, 100 * per[d + 1], n, d))
  end
  local acc = ebm.eval.class_accuracy(net, all, asked)
  local test = ebm.data.mnist{split = "test", levels = 2, binarize = "stochastic", seed = 0, limit = 5000}
  local fd = ebm.eval.frechet(ebm.eval.stats(net, all), ebm.eval.stats(net, ebm.classifier.inputs(test, 1)))
  print(string.format("one RBM per digit: %.1f%% of %d samples classified as the digit asked for; Frechet distance " ..
    "to 5000 test images %.2f (%s; %d Gibbs steps)", 100 * acc, 10 * n, fd, protocol or "?", a.steps))
  if a.grid then
    ebm.viz.grid(show:view(100, 28, 28):div(255), {path = a.grid, nrow = 10})
    print("wrote " .. a.grid)
  end
  if a.json then
    ebm.run.write_file(a.json, cjson.encode {accuracy = acc, per_digit = per, frechet = fd, samples = n,
      steps = a.steps, protocol = protocol} .. "\n")
  end
end)
