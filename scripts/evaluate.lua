-- evaluate.lua - evaluate an RBM checkpoint: average test log-likelihood by AIS (or exact
-- enumeration for small models), and sample quality judged by the project's classifier.
--
--   ebmlua scripts/evaluate.lua runs/rbm500/model.ckpt --ais
--   ebmlua scripts/evaluate.lua runs/rbm-cond/model.ckpt --quality --classifier runs/classifier/mlp.ckpt
--   ebmlua scripts/evaluate.lua runs/rbm20/model.ckpt --exact --ais --betas 1000
local ebm = require "ebm"
local cli = ebm.cli
local core = ebm.core
local cjson = require "cjson"

local p = cli.parser("evaluate.lua", "Evaluate an RBM checkpoint (log-likelihood by AIS / exact log Z, sample quality).")
p:epilog([[
The test images are prepared with the checkpoint's own data protocol (levels, binarisation
and its seed), which every printed number states. Log-likelihoods are in nats per image.
AIS: base-rate model fitted to the training images (add-1 smoothing), geometric path with
--betas temperatures spaced like Salakhutdinov & Murray (2008), --runs chains; log Z is
given with the interval log(mean w -+ 3 standard errors). --reverse-ais (Burda, Grosse &
Salakhutdinov 2015) starts --runs chains at test images (cycled) and anneals them down the
same path to the base rate: an estimate of log Z from above (a stochastic upper bound when
the start states are model samples; the test images stand in for them, so it is a
conservative bracket, not a guarantee), hence a lower test log-likelihood. Writes JSON (--json).]])
p:argument("checkpoint", "model.ckpt written by scripts/train_rbm.lua"):convert(cli.file)
p:flag("--ais", "Estimate log Z by AIS and report the average test log-likelihood.")
p:flag("--reverse-ais", "Also reverse AIS from the test images: the upper bracket on log Z.")
p:flag("--exact", "Exact log Z by enumerating the hidden states (needs <= 24 hidden units).")
p:option("--runs", "AIS runs.", "100"):convert(cli.int(1, 1000000))
p:option("--betas", "AIS intermediate distributions.", "14500"):convert(cli.int(3, 100000000))
p:option("--seed", "Seed of AIS and sampling.", "1"):convert(cli.posint)
p:option("--test-limit", "Use only the first N test images."):convert(cli.posint)
p:flag("--quality", "Judge samples with the classifier (needs --classifier).")
p:option("--classifier", "Classifier checkpoint (scripts/train_classifier.lua).", "runs/classifier/mlp.ckpt")
p:option("--samples", "Samples per digit (conditional) and unconditional samples / 10.", "100"):convert(cli.int(1, 100000))
p:option("--steps", "Gibbs steps per sample chain.", "1000"):convert(cli.posint)
p:option("--anneal", "Sampling: ramp beta from 0 (base rate) to 1 over the first N steps.", "0"):convert(cli.count)
p:option("--label-gain", "Class-conditional sampling: multiply the label weights by this factor (1 = the model's own p(x|y)).", "1")
  :convert(cli.number { above = 0 })
p:option("--start", "Where class-conditional chains start: base (a draw from the independent-pixel model of all " ..
  "training images) or class (of the training images of the asked-for digit).", "base")
   :choices {"base", "class"}
p:option("--ladder", "Class-conditional sampling by replica exchange over the label gain, e.g. 1,1.5,2,3 (the first " ..
  "gain must be 1; the gain-1 replica is exact MCMC for p(x|y), the others feed it label-consistent states).")
  :convert(cli.list(cli.number { above = 0 }))
p:option("--grid", "Write a 10-row sample grid PNG here (one row per digit for label models)."):convert(cli.outfile)
p:option("--text-grid", "Write the first 4 samples of each row of --grid's layout as text (half-block characters, mean-field probability >= 0.5 is ink) here.")
  :convert(cli.outfile)
p:option("--json", "Output JSON (default: eval.json next to the checkpoint)."):convert(cli.outfile)
p:option("--threads", cli.THREADS_HELP):convert(cli.int(1, 1024))

local a = cli.parse(p)
local ladder = a.ladder
local function check_options()
  if ladder then
    for k, v in ipairs(ladder) do
      if (k == 1 and v ~= 1) or (k > 1 and v <= ladder[k - 1]) then
        cli.usage("--ladder: increasing gains separated by commas, starting at 1 (e.g. 1,1.5,2,3)")
      end
    end
    if #ladder < 2 then cli.usage("--ladder needs at least two gains") end
    if a.label_gain ~= 1 then cli.usage("give --ladder or --label-gain, not both") end
  end
  if not (a.ais or a.reverse_ais or a.exact or a.quality) then
    cli.usage("nothing to do: give --ais, --reverse-ais, --exact and/or --quality")
  end
  if a.quality and not cli.file(a.classifier) then cli.usage("--classifier: %s", select(2, cli.file(a.classifier))) end
  if not a.json then -- the default output next to the checkpoint must be writable too
    local jpath = (a.checkpoint:match("^(.*)/[^/]*$") or ".") .. "/eval.json"
    local ok, err = cli.outfile(jpath)
    if not ok then cli.usage("cannot write the results: %s (give --json)", err) end
  end
end
cli.main(check_options)
ebm.sys.set_threads(a.threads)

cli.main(function()
  local m, meta = ebm.rbm.load(a.checkpoint)
  local ex = meta.extra or {}
  local K = m.K
  local dopt = {levels = K, binarize = ex.binarize, seed = ex.data_seed, digits = ex.digits}
  local protocol = ex.protocol or string.format("%d levels", K)
  if K == 2 and not dopt.binarize then
    -- a checkpoint that does not record its binarisation: say what is assumed, and do not
    -- reuse its protocol text, which may name another binarisation
    dopt.binarize = "threshold"
    protocol = "binary, threshold at 128 (assumed: the checkpoint records no binarisation)"
  end

  local function data(split, limit)
    local o = {split = split, limit = limit}
    for k, v in pairs(dopt) do o[k] = v end
    return ebm.data.mnist(o)
  end
  local trimgs, trlabs = data("train")
  local teimgs, telabs = data("test", a.test_limit)
  local xte = m:encode(teimgs, telabs)
  local base
  do -- base rate (add-1 smoothed) from all training images
    local xtr = m:encode(trimgs, trlabs)
    base = m:base_rate(xtr, 1.0)
    xtr:free()
  end

  local out = {checkpoint = a.checkpoint, protocol = protocol, model = m:meta(), n_test = xte:size(1)}
  print(string.format("model: %d visible (K = %d)%s, %d hidden; data: %s; %d test images", m.nv, K,
    m.nl > 0 and (", " .. m.nl .. " labels") or "", m.nh, protocol, xte:size(1)))

  if m.nl > 0 then -- the joint model as a classifier: argmin_y F(x, y)
    local pred, ok = m:classify(xte), 0
    for i = 1, #pred do if pred[i] == telabs:get(i) then ok = ok + 1 end end
    out.rbm_classification_accuracy = ok / #pred
    print(string.format("label units as a classifier (argmin_y F(x,y)) on the test images: %.2f%%", 100 * ok / #pred))
  end

  if a.exact then
    if m.nh > 24 then cli.usage("--exact needs at most 24 hidden units (model has " .. m.nh .. ")") end
    local t0 = ebm.sys.clock()
    local lz = m:exact_logz()
    local ll = ebm.ais.loglik(m, xte, lz)
    out.exact = {logz = lz, test_loglik = ll, seconds = ebm.sys.clock() - t0}
    print(string.format("exact log Z = %.4f; average test log-likelihood %.2f nats (%.1f s)", lz, ll, out.exact.seconds))
  end

  if a.ais then
    local t0 = ebm.sys.clock()
    local r = ebm.ais.logz(m, {base = base, betas = a.betas, runs = a.runs, seed = a.seed})
    local ll = ebm.ais.loglik(m, xte, r.logz)
    local llo, lhi = ebm.ais.loglik(m, xte, r.hi), ebm.ais.loglik(m, xte, r.lo)
    out.ais = {logz = r.logz, logz_lo = r.lo, logz_hi = r.hi, logz0 = r.logz0, runs = a.runs, betas = a.betas,
               seed = a.seed, test_loglik = ll, test_loglik_lo = llo, test_loglik_hi = lhi,
               seconds = ebm.sys.clock() - t0}
    -- the independent-pixel base-rate model: log p(x) = base . x - log Z_A
    local base_ll = ebm.matmul(xte, base:view(m.D, 1)):mean() - core.rbm_base_logz(m, base)
    out.ais.base_rate_test_loglik = base_ll
    print(string.format("AIS (%d runs, %d betas, seed %d): log Z = %.3f, 3-sigma interval [%.3f, %.3f] (%.0f s)",
      a.runs, a.betas, a.seed, r.logz, r.lo, r.hi, out.ais.seconds))
    print(string.format("average test log-likelihood: %.2f nats (interval [%.2f, %.2f] from log Z's) -- %s",
      ll, llo, lhi, protocol))
    print(string.format("independent-pixel base-rate model on the same test images: %.2f nats", base_ll))
  end

  if a.reverse_ais then
    local t0 = ebm.sys.clock()
    local r = ebm.ais.reverse_logz(m, {base = base, x = xte, betas = a.betas, runs = a.runs, seed = a.seed + 1})
    local ll = ebm.ais.loglik(m, xte, r.logz)
    local llo, lhi = ebm.ais.loglik(m, xte, r.hi), ebm.ais.loglik(m, xte, r.lo)
    out.reverse_ais = {logz = r.logz, logz_lo = r.lo, logz_hi = r.hi, logz0 = r.logz0, runs = a.runs, betas = a.betas,
                       seed = a.seed + 1, start = "test images", test_loglik = ll, test_loglik_lo = llo,
                       test_loglik_hi = lhi, seconds = ebm.sys.clock() - t0}
    print(string.format("reverse AIS from %d test images (%d betas, seed %d): log Z = %.3f, 3-sigma interval [%.3f, %.3f] (%.0f s)",
      a.runs, a.betas, a.seed + 1, r.logz, r.lo, r.hi, out.reverse_ais.seconds))
    print(string.format("conservative average test log-likelihood: %.2f nats (interval [%.2f, %.2f]) -- %s",
      ll, llo, lhi, protocol))
    if out.ais then
      local fwd = out.ais.test_loglik
      if ll <= fwd then
        print(string.format("bracket: test log-likelihood between %.2f (reverse) and %.2f (forward) nats", ll, fwd))
      else
        print(string.format("forward %.2f and reverse %.2f nats cross: they agree within their noise", fwd, ll))
      end
    end
  end

  local function write_text_grid(images, ncol, labels)
    local side = m.side
    local crop = side == 28 and {2, 2, 2, 2} or nil
    ebm.run.write_file(a.text_grid, ebm.viz.blocks(images, {ncol = ncol, labels = labels, crop = crop}))
    print("wrote " .. a.text_grid)
  end

  if a.quality then
    local net, cmeta = ebm.eval.load_classifier(a.classifier)
    out.quality = {classifier = a.classifier, classifier_test_accuracy = cmeta.extra and cmeta.extra.test_accuracy}
    local inputs = function(x) return ebm.classifier.inputs(m:images(x), 255) end
    local q = out.quality
    local nper = a.samples
    local t0 = ebm.sys.clock()
    -- reference statistics: test images vs train images (bracket from below)
    local nref = math.min(xte:size(1), 5000)
    local st_test = ebm.eval.stats(net, inputs(xte:narrow(1, 1, nref)))
    local xtr_ref = m:encode(ebm.data.take(trimgs, ebm.arange(1, nref + 1)), ebm.data.take(trlabs, ebm.arange(1, nref + 1)))
    q.fd_train_vs_test = ebm.eval.frechet(ebm.eval.stats(net, inputs(xtr_ref)), st_test)
    -- independent-pixel model samples (bracket from above)
    local nu = 10 * nper
    local pb, xb = ebm.f32(nu, m.D), ebm.f32(nu, m.D)
    core.rbm_visible_probs(m, ebm.f32(nu, m.nh), pb, 0.0, base)
    core.rbm_sample_visible(m, pb, xb, a.seed + 99, 0)
    q.fd_independent_pixels = ebm.eval.frechet(ebm.eval.stats(net, inputs(xb)), st_test)
    -- unconditional samples: labels (if any) sampled too
    local su, sum = m:sample(nu, {steps = a.steps, base = base, seed = a.seed, anneal = a.anneal})
    q.fd_samples = ebm.eval.frechet(ebm.eval.stats(net, inputs(su)), st_test)
    q.fd_samples_mean = ebm.eval.frechet(ebm.eval.stats(net, inputs(sum)), st_test)
    -- the quality numbers of ebm.quality in the checkpoint's own representation (levels and
    -- binarisation of its training data): brackets, position, precision/recall, memorisation
    local lv = function(x) return ebm.quality.rbm_levels(m, x) end
    local qref = ebm.quality.reference{net = net, train = trimgs, test = teimgs, levels = K, n = nu, seed = a.seed,
                                       memorise = 20000}
    q.own = ebm.quality.measure(qref, lv(su))
    q.own.inception = ebm.quality.inception(net, ebm.quality.inputs(lv(su), K))
    q.own.inception_real = ebm.quality.inception(net, ebm.quality.inputs(teimgs:narrow(1, 1, math.min(nu, teimgs:size(1))), K))
    print(string.format("quality of %d unconditional samples (%s): %s; Inception Score analogue %.2f (test images %.2f)", nu,
      protocol, ebm.quality.format(q.own), q.own.inception, q.own.inception_real))
    q.coverage = ebm.eval.coverage(net, inputs(su))
    q.n_unconditional = nu
    print(string.format("Frechet distance of classifier features to %d test images: samples %.2f (mean-field %.2f); " ..
      "brackets: train images %.2f, independent-pixel samples %.2f", nref, q.fd_samples, q.fd_samples_mean,
      q.fd_train_vs_test, q.fd_independent_pixels))
    local cov = {}
    for d = 1, 10 do cov[d] = string.format("%d:%.1f%%", d - 1, 100 * q.coverage[d]) end
    print("per-class coverage of " .. nu .. " unconditional samples: " .. table.concat(cov, " "))
    if m.nl > 0 then
      local asked = {}
      for i = 1, 10 * nper do asked[i] = (i - 1) // nper end
      local init
      if a.start == "class" then -- each digit's chains start from that digit's independent-pixel model
        init = ebm.f32(10 * nper, m.D)
        local rows = {}
        for d = 0, 9 do rows[d] = {} end
        for i = 1, trlabs:numel() do local d = trlabs:get(i); rows[d][#rows[d] + 1] = i end
        for d = 0, 9 do
          local idx = ebm.i32(rows[d])
          local bd = m:base_rate(m:encode(ebm.data.take(trimgs, idx), ebm.data.take(trlabs, idx)), 1.0)
          init:narrow(1, d * nper + 1, nper):copy(m:base_sample(nper, bd, a.seed + 2, d * nper))
        end
      end
      local sc, scm, info = m:sample(10 * nper, {steps = a.steps, base = base, seed = a.seed + 1, label = asked,
                                                 anneal = a.anneal, label_gain = a.label_gain, ladder = ladder,
                                                 init = init})
      if info then
        q.ladder, q.swap_rates = ladder, info.swap_rates
        local r = {}
        for k, v in ipairs(info.swap_rates) do r[k] = string.format("%g-%g: %.2f", ladder[k], ladder[k + 1], v) end
        print("replica exchange over label gains " .. table.concat(ladder, ",") .. "; swap rates " .. table.concat(r, ", "))
      end
      local acc, per, pred = ebm.eval.class_accuracy(net, inputs(sc), asked)
      local accm = ebm.eval.class_accuracy(net, inputs(scm), asked)
      q.conditional_accuracy, q.conditional_accuracy_mean, q.conditional_per_digit = acc, accm, {}
      q.conditional_start, q.conditional_steps = a.start, a.steps
      for d = 0, 9 do q.conditional_per_digit[d + 1] = per[d] end
      local pd = {}
      for d = 0, 9 do pd[#pd + 1] = string.format("%d:%.0f%%", d, 100 * per[d]) end
      print(string.format("class-conditional samples classified as the digit asked for: %.1f%% (binary samples), " ..
        "%.1f%% (mean-field last step); %d per digit, %d Gibbs steps from a %s start (annealed over %d), label gain %g%s",
        100 * acc, 100 * accm, nper, a.steps, a.start == "class" and "per-digit base-rate" or "base-rate", a.anneal,
        a.label_gain, ladder and (", ladder " .. table.concat(ladder, ",")) or ""))
      q.fd_conditional = ebm.eval.frechet(ebm.eval.stats(net, inputs(sc)), st_test)
      -- mode collapse: the quality numbers per class, in the checkpoint's own representation
      local byc = {}
      for d = 0, 9 do byc[d] = ebm.quality.rbm_levels(m, sc:narrow(1, d * nper + 1, nper)) end
      q.per_class = ebm.quality.per_class({net = net, levels = K, train = trimgs, train_labels = trlabs, test = teimgs,
        test_labels = telabs, seed = a.seed}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, byc)
      for _, r in ipairs(q.per_class) do print(string.format("  class %d: %s", r.class, ebm.quality.format(r))) end
      -- Are the misread samples stuck chains or model mass? Compare free energies F(x, y).
      local F, fok, fbad = m:free_energy(sc), {}, {}
      for i = 1, F:numel() do
        local list = pred:get(i) == asked[i] and fok or fbad
        list[#list + 1] = F:get(i)
      end
      local function median(t) table.sort(t); return #t > 0 and t[(#t + 1) // 2] or nil end
      local xte_lab = xte:narrow(1, 1, math.min(xte:size(1), 2000))
      local Ft, ft = m:free_energy(xte_lab), {}
      for i = 1, Ft:numel() do ft[i] = Ft:get(i) end
      q.median_F = {read_as_asked = median(fok), misread = median(fbad), test_images = median(ft)}
      print("  per digit: " .. table.concat(pd, " ") .. string.format("; Frechet distance of these samples %.2f",
        q.fd_conditional))
      print(string.format("  median free energy F(x, y): samples read as asked %s, misread %s (%d), test images %.1f",
        q.median_F.read_as_asked and string.format("%.1f", q.median_F.read_as_asked) or "-",
        q.median_F.misread and string.format("%.1f", q.median_F.misread) or "-", #fbad, q.median_F.test_images))
      -- the first samples of each digit (no selection)
      local function first(k)
        local sel = ebm.i32(10 * k)
        for d = 0, 9 do for j = 1, k do sel:set(d * k + j, d * nper + j) end end
        return m:images(ebm.data.take(scm, sel))
      end
      if a.grid then ebm.viz.grid(first(math.min(10, nper)), {path = a.grid, nrow = math.min(10, nper), levels = 0}) end
      if a.text_grid then
        local labs = {}
        for d = 0, 9 do labs[d + 1] = tostring(d) end
        write_text_grid(first(math.min(4, nper)), math.min(4, nper), labs)
      end
    else
      if a.grid then ebm.viz.grid(m:images(sum:narrow(1, 1, 100)), {path = a.grid, nrow = 10, levels = 0}) end
      if a.text_grid then write_text_grid(m:images(sum:narrow(1, 1, 40)), 4) end
    end
    q.seconds = ebm.sys.clock() - t0
  end

  -- JSON has no infinities: a one-sided interval is written as null.
  local function finite(v)
    if type(v) == "table" then
      local t = {}
      for k, x in pairs(v) do t[k] = finite(x) end
      return t
    elseif type(v) == "number" and (v ~= v or v == math.huge or v == -math.huge) then
      return cjson.null
    end
    return v
  end
  local jpath = a.json or ((a.checkpoint:match("^(.*)/[^/]*$") or ".") .. "/eval.json")
  ebm.run.write_file(jpath, cjson.encode(finite(out)) .. "\n")
  print("wrote " .. jpath)
end)
