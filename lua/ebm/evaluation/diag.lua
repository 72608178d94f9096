-- ebm.diag: MCMC convergence diagnostics over many chains at once (loops in C, runtime/diag.c).
--
--   local diag = require "ebm.evaluation.diag"   -- or ebm.diag
--   x = diag.trace(rows)                   -- f64 [draws, chains] from a Lua list of rows
--                                          -- (tables or tensors of one value per chain)
--   r = diag.acf(x, {maxlag=100, method="auto" | "direct" | "fft"})   -- f64 [maxlag+1, chains]
--   c = diag.autocov(x, opts)              -- same, unnormalised (biased, divide by draws)
--   tau, W = diag.tau(x)                   -- integrated autocorrelation time, multi-chain,
--                                          -- Geyer's initial monotone sequence (= draws*chains/ess)
--   tau, W = diag.tau(x, {method="sokal", c=5})  -- Sokal's window on the chain-mean acf
--   ess, tau = diag.ess(x)                 -- effective sample size (Vehtari et al. 2021)
--   s = diag.summary(x)                    -- {rhat, rhat_bulk, rhat_tail, ess_bulk, ess_tail,
--                                          --  ess_mean, tau}: rank-normalised split R-hat and
--                                          --  bulk/tail ESS (Vehtari, Gelman, Simpson,
--                                          --  Carpenter & Buerkner 2021)
--   diag.rhat(x), diag.rhat_basic(x)       -- improved (max of bulk and tail) and classic R-hat
--
-- Traces are draws-major: row t holds draw t of every chain (what an observer appends once
-- per sweep). Any dtype is accepted and converted to contiguous f64.
local core = require "ebm.core"

local M = {}

local function is_tensor(v) return getmetatable(v) == debug.getregistry()["ebm.Tensor"] end

-- x: an ebm tensor [draws, chains] (or [draws] for one chain) or a list of rows.
local function as_trace(x, fname)
  if type(x) == "table" and not is_tensor(x) then return M.trace(x) end
  if not is_tensor(x) then error(("diag.%s: expected a trace tensor [draws, chains] or a list of rows"):format(fname), 3) end
  if x:dim() == 1 then x = x:view(x:size(1), 1) end
  if x:dim() ~= 2 then error(("diag.%s: a trace is [draws, chains], got %d dimensions"):format(fname, x:dim()), 3) end
  if x:dtype() ~= "f64" or not x:is_contiguous() then x = x:contiguous():to("f64") end
  return x
end

-- diag.trace(rows) -> f64 [#rows, chains]. rows: Lua list of tensors (any dtype, numel = chains)
-- or of Lua lists of numbers.
function M.trace(rows)
  if type(rows) ~= "table" or #rows == 0 then error("diag.trace: expected a non-empty list of rows", 2) end
  local first = rows[1]
  local m = is_tensor(first) and first:numel() or #first
  local x = core.tensor_new("f64", #rows, m)
  for t, r in ipairs(rows) do
    local len = is_tensor(r) and r:numel() or #r
    if len ~= m then error(("diag.trace: row %d has %d values, row 1 has %d"):format(t, len, m), 2) end
    local dst = x:select(1, t)
    if is_tensor(r) then dst:copy(r:contiguous():view(m)) else dst:copy(core.tensor_from("f64", r)) end
  end
  return x
end

function M.acf(x, o)
  x = as_trace(x, "acf")
  o = o or {}
  return core.diag_acf(x, math.min(o.maxlag or x:size(1) - 1, x:size(1) - 1), o.method)
end

function M.autocov(x, o)
  x = as_trace(x, "autocov")
  o = o or {}
  return core.diag_autocov(x, math.min(o.maxlag or x:size(1) - 1, x:size(1) - 1), o.method)
end

function M.tau(x, o)
  x = as_trace(x, "tau")
  o = o or {}
  if (o.method or "geyer") == "geyer" then
    local _, tau, w = core.diag_ess(x)
    return tau, w
  elseif o.method == "sokal" then
    local r = core.diag_acf(x, math.min(o.maxlag or x:size(1) - 1, x:size(1) - 1), o.acf_method)
    return core.diag_tau_sokal(r:mean(2):view(r:size(1)):contiguous(), o.c or 5)
  end
  error("diag.tau: method must be \"geyer\" or \"sokal\"", 2)
end

function M.ess(x)
  local ess, tau = core.diag_ess(as_trace(x, "ess"))
  return ess, tau
end

function M.summary(x) return core.diag_summary(as_trace(x, "summary")) end
function M.rhat(x) return core.diag_summary(as_trace(x, "rhat")).rhat end
function M.rhat_basic(x) return core.diag_rhat_basic(as_trace(x, "rhat_basic")) end
M.probit = core.diag_probit

return M
