-- ebm.threads([n]) -> the thread count (with n: the count before). n >= 1 fixes the count
-- of the OpenMP pool that runs the kernels and the matrix products; 0 (the default) makes it
-- automatic: the cores not busy with other programs, re-estimated as work runs. Results are
-- bit-identical for any count.
local core = require "ebm.core"
return function(n) return core.threads(n) end
