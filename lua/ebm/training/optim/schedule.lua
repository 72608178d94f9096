-- ebm.optim.schedule: learning-rate schedules. Each takes a table and returns a function
-- of the step number s (s = 1 on the first update) giving the learning rate. Pass one as
-- config.schedule to an optimiser, or call it yourself.

local M = {}

local function need(o, k, fname)
  local v = o[k]
  if type(v) ~= "number" then error(string.format("schedule.%s: field '%s' must be a number", fname, k), 3) end
  return v
end

-- step{lr=, step_size=, gamma=0.1}: lr * gamma^floor((s-1)/step_size).
function M.step(o)
  local lr, size, gamma = need(o, "lr", "step"), need(o, "step_size", "step"), o.gamma or 0.1
  if size < 1 then error("schedule.step: step_size must be >= 1", 2) end
  return function(s) return lr * gamma ^ math.floor((s - 1) / size) end
end

-- exponential{lr=, gamma=}: lr * gamma^(s-1).
function M.exponential(o)
  local lr, gamma = need(o, "lr", "exponential"), need(o, "gamma", "exponential")
  return function(s) return lr * gamma ^ (s - 1) end
end

-- cosine{lr=, total=, lr_min=0}: from lr at s = 1 down to lr_min at s = total + 1,
-- lr_min afterwards.
function M.cosine(o)
  local lr, total, lo = need(o, "lr", "cosine"), need(o, "total", "cosine"), o.lr_min or 0
  if total <= 0 then error("schedule.cosine: total must be > 0", 2) end
  return function(s)
    local x = math.min(math.max(s - 1, 0), total) / total
    return lo + (lr - lo) * (1 + math.cos(math.pi * x)) / 2
  end
end

-- warmup{steps=, after=<number or schedule function>}: linear ramp from after(1)/steps
-- up to `after` over the first `steps` steps, then `after`.
function M.warmup(o)
  local n = need(o, "steps", "warmup")
  local after = o.after
  if type(after) == "number" then
    local v = after
    after = function() return v end
  elseif type(after) ~= "function" then
    error("schedule.warmup: field 'after' must be a number or a function", 2)
  end
  return function(s)
    if s < n then return after(s) * s / n end
    return after(s)
  end
end

return M
