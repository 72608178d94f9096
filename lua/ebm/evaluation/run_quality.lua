-- ebm.evaluation.run_quality: the quality numbers of one training run of a digit model
-- (ebm.quality measures, judged by the project's classifier) as metrics rows, summary fields
-- and a report.html section. Used by the digit job (ebm.digits) for every model kind.
--
--   local J, why = rq.judge(cfg, train_images)     -- nil, why: no classifier / turned off
--   if J and rq.due(cfg, epoch) then q = rq.log(J, run, epoch, step, samples, bar) end
--   rq.finish(run, q, J, {{images=, levels=, file=, label=}, ...}, summary)
local quality = require "ebm.evaluation.quality"
local data = require "ebm.io.data"
local report = require "ebm.io.report"
local viz = require "ebm.io.viz"

local M = {}

-- The Inception Score analogue of real test images (the bracket for all-digit models).
local function inception_real(J, cfg)
  local test = data.mnist { split = "test", levels = cfg.levels, limit = cfg.quality_samples }
  return quality.inception(J.net, quality.inputs(test, cfg.levels))
end

-- A judge for one run: the classifier and the reference of the digit in the model's
-- representation, built on first use. nil and a message when there is no classifier.
function M.judge(cfg, train_images)
  if (cfg.quality_samples or 0) < 1 then return nil, "quality numbers off (--quality-samples 0)" end
  local net, why = quality.load_classifier(cfg.classifier or "runs/classifier/mlp.ckpt")
  if not net then return nil, why end
  local J = { cfg = cfg, net = net, train = train_images }
  function J.reference()
    if not J.ref then
      local digits = cfg.digit ~= "all" and { cfg.digit } or nil
      local test = data.mnist { split = "test", digits = digits, levels = cfg.levels }
      J.ref = quality.reference { net = net, train = train_images, test = test, levels = cfg.levels,
        n = cfg.quality_samples, seed = cfg.seed, memorise = 20000 }
    end
    return J.ref
  end
  function J.measure(samples)
    local q = quality.measure(J.reference(), samples)
    if cfg.digit == "all" then q.inception = quality.inception(net, quality.inputs(samples, cfg.levels)) end
    return q
  end
  return J
end

-- Measure samples, log a metrics row (epoch, step and the quality columns), print one line.
function M.log(J, run, epoch, step, samples, bar)
  local q = J.measure(samples)
  local row = { epoch = epoch, step = step }
  for _, f in ipairs(quality.FIELDS) do row[f] = q[f] end
  run:log(row)
  local line = string.format("epoch %d quality: %s", epoch, quality.format(q))
  if bar then bar:print(line) else print(line) end
  return q
end

-- report.html section: the quality numbers with their brackets and the labelled pictures.
function M.html(q, pictures)
  local esc = report.escape
  local o = { "<table>\n<tr><th class=\"l\">measure</th><th>samples</th><th>floor: training images</th>",
    "<th>ceiling: independent pixels</th><th class=\"l\">reads</th></tr>\n" }
  local function row(name, v, lo, hi, note)
    local function f(x) return x and string.format("%.4g", x) or "-" end
    o[#o + 1] = string.format("<tr><td class=\"l\">%s</td><td>%s</td><td>%s</td><td>%s</td><td class=\"l\">%s</td></tr>\n",
      esc(name), f(v), f(lo), f(hi), esc(note))
  end
  if q then
    row("Frechet distance (classifier features)", q.fd, q.fd_floor, q.fd_ceiling, "lower is better")
    row("FD position", q.fd_position, 0, 1, "0 = as good as real images, 1 = as bad as independent pixels")
    row("precision (k-NN manifolds, k = 3)", q.precision, q.precision_floor, q.precision_ceiling, "samples that look real")
    row("recall", q.recall, q.recall_floor, q.recall_ceiling, "the digit's variety the samples cover")
    row("memorisation: median nearest-training distance / the test images'", q.mem_ratio, nil, nil, "about 1 fresh, 0 copies")
    row("memorisation: near-copies", q.mem_copies, nil, nil, "share nearer than 99% of test images are (about 0.01 fresh)")
    if q.inception then row("Inception Score analogue", q.inception, q.inception_real, nil, "exp E KL(p(y|x) || p(y)); real test images in the floor column") end
  end
  o[#o + 1] = "</table>\n"
  o[#o + 1] = string.format("<p>%d samples against %d test images of the digit, in the model's own data representation " ..
    "(the floor and ceiling are computed by the same code from training images and from samples of the " ..
    "independent-pixel model fitted to them).</p>\n", q and q.n or 0, q and q.n_reference or 0)
  for _, p in ipairs(pictures or {}) do
    o[#o + 1] = string.format("<figure><img src=\"%s\" alt=\"%s\"><figcaption>%s</figcaption></figure>\n",
      esc(p.path), esc(p.label), esc(p.label))
  end
  return table.concat(o)
end

-- Write samples/quality-*.png (first 100 of each picture) and rewrite the report with the
-- quality section; for all-digit models q gains the real test images' Inception Score
-- analogue (J: the run's judge, or nil). Returns the summary fields added.
function M.finish(run, q, J, pics, extra_summary)
  if q and J and J.cfg.digit == "all" then q.inception_real = inception_real(J, J.cfg) end
  local pictures = {}
  run.samples = pics[1] and pics[1].images -- u8 samples for callers' pictures (train_all_digits.lua)
  for _, p in ipairs(pics) do
    local n = math.min(100, p.images:size(1))
    viz.grid(p.images:narrow(1, 1, n), { nrow = 10, scale = 2, levels = p.levels, path = run:path("samples", p.file) })
    pictures[#pictures + 1] = { path = "samples/" .. p.file, label = p.label }
  end
  local summary = extra_summary or {}
  if q then
    for _, f in ipairs(quality.FIELDS) do summary["quality_" .. f] = q[f] end
    summary.quality_inception = q.inception
    summary.quality_inception_real = q.inception_real
    summary.quality_samples = q.n
  end
  report.write(run.dir, { summary = summary,
    sections = { { title = "Sample quality", html = M.html(q, pictures) } } })
  return summary
end


-- Quality numbers are due at the last epoch and every --quality-every epochs.
function M.due(cfg, epoch)
  return epoch == cfg.epochs or (cfg.quality_every > 0 and epoch % cfg.quality_every == 0)
end

return M
