-- classifier.lua - nn kernels and ebm.classifier / ebm.eval: gradients vs finite differences,
-- learning a small separable problem, Frechet distance vs closed forms, argument errors.
local t = require "tap"
local ebm = require "ebm"
local core = ebm.core

-- Gradient of the mean cross-entropy of a 5-4-3 MLP vs central differences.
local net = ebm.classifier.new{sizes = {5, 4, 3}, seed = 2}
local g = ebm.rng(5)
local X = ebm.f32(6, 5):normal(g, 0, 1)
local y = ebm.i32{0, 1, 2, 1, 0, 2}
local function loss()
  local logits = net:forward(X)
  return (core.nn_softmax_xent(logits, y))
end
local logits, acts = net:forward(X)
local d = ebm.f32(6, 3)
core.nn_softmax_xent(logits, y, d)
local grads = {}
for i = #net.layers, 1, -1 do
  local l = net.layers[i]
  grads[i] = {W = ebm.f32(l.W:size(1), l.W:size(2)), b = ebm.f32(l.b:size(1))}
  local dX = i > 1 and ebm.f32(6, l.W:size(2)) or nil
  core.nn_linear_backward(acts[i], l.W, d, grads[i].W, grads[i].b, dX)
  if i > 1 then core.nn_relu_backward(acts[i], dX) end
  d = dX
end
local maxerr, eps = 0, 1e-2
for i, l in ipairs(net.layers) do
  for _, name in ipairs {"W", "b"} do
    local p, gr = l[name]:view(-1), grads[i][name]:view(-1)
    for k = 1, p:numel() do
      local v = p:get(k)
      p:set(k, v + eps); local lp = loss()
      p:set(k, v - eps); local lm = loss()
      p:set(k, v)
      maxerr = math.max(maxerr, math.abs((lp - lm) / (2 * eps) - gr:get(k)))
    end
  end
end
t.cmp_ok(maxerr, "<", 2e-3, "MLP backward matches finite differences of the cross-entropy")

-- A separable 3-class problem: clusters at distinct corners; an MLP reaches 100%.
local n = 300
local Xs, ys = ebm.f32(n, 4), ebm.i32(n)
for i = 1, n do
  local c = (i - 1) % 3
  ys:set(i, c)
  for j = 1, 4 do Xs:set(i, j, (j - 1 == c and 2 or 0) + 0.3 * g:normal()) end
end
local m = ebm.classifier.new{sizes = {4, 8, 3}, seed = 1}
for e = 1, 20 do m:train_epoch(Xs, ys, {batch = 30, lr = 0.02, epoch = e}) end
t.is(m:accuracy(Xs, ys), 1.0, "MLP separates three clusters")
local sm = ebm.classifier.new{sizes = {4, 3}, seed = 1}
for e = 1, 20 do sm:train_epoch(Xs, ys, {batch = 30, lr = 0.05, epoch = e}) end
t.is(sm:accuracy(Xs, ys), 1.0, "softmax regression separates three clusters")
t.is(sm:features(Xs):size(2), 4, "softmax regression features are its inputs")
t.is(m:features(Xs):size(2), 8, "MLP features are the hidden layer")

-- Frechet distance: identical -> 0; 1-d closed form; a 2x2 case with non-commuting
-- covariances: tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)) for 2x2 PSD M = C1^1/2 C2 C1^1/2.
local mu = ebm.f64{1, 2}
local C = ebm.f64{{2, 1}, {1, 2}}
t.near(core.nn_frechet(mu, C, mu, C), 0, 1e-9, "Frechet distance of a Gaussian to itself is 0")
t.near(core.nn_frechet(ebm.f64{0}, ebm.f64{{4}}, ebm.f64{3}, ebm.f64{{1}}), 9 + (2 - 1) ^ 2, 1e-9, "1-d closed form")
local C1 = ebm.f64{{1, 0}, {0, 4}}
-- M = diag(1,2) C diag(1,2) = {{2, 2}, {2, 8}}: tr 10, det 12
local want = (1 - 0) ^ 2 + (2 - 0) ^ 2 + (1 + 4) + (2 + 2) - 2 * math.sqrt(10 + 2 * math.sqrt(12))
t.near(core.nn_frechet(mu, C, ebm.f64{0, 0}, C1), want, 1e-9, "2x2 closed form with non-commuting covariances")

-- Moments.
local F = ebm.f32{{1, 2}, {3, 2}, {5, 8}}
local mu2, cov2 = ebm.f64(2), ebm.f64(2, 2)
core.nn_moments(F, mu2, cov2)
t.is_deeply(mu2:totable(), {3, 4}, "feature means")
t.is_deeply(cov2:totable(), {{4, 6}, {6, 12}}, "unbiased feature covariance")

-- Save / load round trip.
local path = os.tmpname()
ebm.eval.save_classifier(m, path)
local m2 = ebm.eval.load_classifier(path)
t.is_deeply(m2:predict(Xs):totable(), m:predict(Xs):totable(), "classifier checkpoint round trip")
os.remove(path)

-- Errors.
t.error_like(function() core.nn_softmax_xent(ebm.f32(2, 3), ebm.i32{0, 3}) end, "label out of range", "label range checked")
t.error_like(function() core.nn_linear(ebm.f32(2, 3), ebm.f32(4, 5), nil, ebm.f32(2, 4)) end, "bad argument #1", "shape mismatch is an argument error")
t.error_like(function() core.nn_frechet(mu, C, ebm.f64{1}, C) end, "bad argument #3", "dimension mismatch")

t.done_testing()
