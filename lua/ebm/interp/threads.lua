-- ebm.threads([n]) -> the previous thread count; with n, sets the threads of OpenMP kernels
-- and OpenBLAS products. Kernels give bit-identical results for any thread count.
local core = require "ebm.core"
return function(n) return core.threads(n) end
