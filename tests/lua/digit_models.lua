-- digit_models.lua - scripts/train_digit.lua --model latent | latent-edge | rbm | a grid
-- preset (ebm.digits): tiny runs leave complete run folders with the quality numbers in
-- metrics.csv (at the chosen epochs), summary.json and report.html (labelled binary samples
-- and pixel probabilities); argument errors exit 2 with one line. The judge here is an
-- untrained small MLP: these tests check the plumbing; tests/lua/quality.lua checks the
-- measures themselves.
local t = require "tap"
local ebm = require "ebm"
local lfs = require "lfs"

local sh = ebm.sys.capture
local script = "./ebmlua scripts/train_digit.lua "
local root = os.tmpname(); os.remove(root)
ebm.run.mkdirs(root)
local cls = root .. "/c.ckpt"
ebm.eval.save_classifier(ebm.classifier.new { sizes = { 784, 16, 10 }, seed = 1 }, cls, {})
local common = " --limit 200 --batch 50 --sample-sweeps 3 --quality-samples 60 --quality-every 1 --threads 1 --quiet --classifier " .. cls

local function quality_rows(dir)
  local n = 0
  for _, r in ipairs(ebm.run.read_metrics(dir .. "/metrics.csv")) do
    if r.fd_position and r.precision and r.recall and r.mem_ratio then n = n + 1 end
  end
  return n
end

for _, c in ipairs {
  { "latent", " --epochs 2 --latent-size 7", true },
  { "latent-edge", " --epochs 2 --latent-size 7", true },
  { "rbm", " --epochs 2 --hidden 8", true },
  { "potts", " --epochs 2 --levels 2 --cd-steps 1", false },
} do
  local model, extra, probs = c[1], c[2], c[3]
  local dir = root .. "/" .. model
  local out, rc = sh(script .. "3 --model " .. model .. extra .. common .. " --out " .. dir)
  t.is(rc, 0, model .. ": a tiny run succeeds")
  if rc ~= 0 then t.diag(out) end
  for _, f in ipairs { "config.json", "metrics.csv", "report.html", "summary.json", "samples/quality-samples.png" } do
    t.is(lfs.attributes(dir .. "/" .. f, "mode"), "file", model .. ": " .. f .. " exists")
  end
  t.is(quality_rows(dir), 2, model .. ": metrics.csv has a quality row after each of the 2 epochs (--quality-every 1)")
  local s = ebm.run.read_json(dir .. "/summary.json") or {}
  t.ok(type(s.quality_fd_position) == "number" and s.quality_fd_floor < s.quality_fd_ceiling,
    model .. ": summary.json has the FD position and its brackets (floor below ceiling)")
  t.is(s.quality_samples, 60, model .. ": summary.json says how many samples were judged")
  local html = io.open(dir .. "/report.html"):read("a")
  t.ok(html:find("Sample quality", 1, true) and html:find("FD position", 1, true) and html:find("floor: training images", 1, true),
    model .. ": report.html shows the quality numbers with their brackets")
  t.ok(html:find("samples/quality-samples.png", 1, true) and html:find("binary samples", 1, true) or model == "potts",
    model .. ": report.html shows the labelled binary samples")
  if probs then
    t.ok(html:find("samples/quality-probs.png", 1, true) and html:find("pixel probabilities given the", 1, true),
      model .. ": report.html shows the labelled pixel probabilities given the latents")
  end
end

-- the default model is the documented one, and the option errors of the new models
local out, rc = sh(script .. "--help")
t.ok(rc == 0 and out:find("default " .. ebm.digits.DEFAULT, 1, true) and out:find("latent-edge", 1, true),
  "--help names every model and the default")
for _, c in ipairs {
  { "3 --model rbm --levels 4", "binary pixels" },
  { "3 --model latent --jumps 4,x", "jumps" },
  { "3 --model rbm --hidden 0", "hidden" },
  { "3 --model rbm --resume", "not supported" },
} do
  out, rc = sh(script .. c[1] .. " --limit 50 --epochs 1 --quiet --out " .. root .. "/bad")
  t.is(rc, 2, "'" .. c[1] .. "' exits 2")
  t.ok(out:find(c[2]) and select(2, out:gsub("\n", "")) == 1, "'" .. c[1] .. "': one line naming the problem")
end
-- without a classifier the run still succeeds and says why there are no quality numbers
out, rc = sh(script .. "3 --model rbm --hidden 4 --epochs 1 --limit 50 --sample-sweeps 2 --classifier " .. root ..
  "/none.ckpt --threads 1 --out " .. root .. "/nocls")
t.is(rc, 0, "a run without a classifier succeeds")
t.ok(out:find("no classifier at", 1, true), "... and says there is no classifier")
os.execute("rm -rf '" .. root .. "'")
t.done_testing()
