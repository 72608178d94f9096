-- ebm.threads([n]) -> previous maximum number of OpenMP threads; sets it to n when given.
-- Kernels give bit-identical results for any thread count.
local core = require "ebm.core"
return function(n) return core.threads(n) end
