-- The runtime as a Lua C module plus the Lua library, for stock Lua 5.4:
--   luarocks --lua-version 5.4 make ebmlua-0.1.0-1.rockspec     (from a checkout)
-- builds ebm/core.so with the project's Makefile (`make module`) and installs it with the
-- lua/ebm modules (`make install-module`). Needs Debian's libpng-dev, zlib1g-dev,
-- libopenblas-dev and gcc (OpenMP): sh tools/deps.sh.
package = "ebmlua"
version = "0.1.0-1"
source = {
  url = "git+file:///dev/null", -- built from a checkout with `luarocks make`
}
description = {
  summary = "Discrete energy-based models: tensors, block Gibbs sampling, CD training, RBMs with AIS",
  detailed = [[
The C runtime of ebmlua (tensors, grid EBMs, block Gibbs kernels, sufficient statistics,
RBMs, PNG and IDX I/O) as the Lua C module ebm.core, and the Lua library `ebm` on top of
it. The ebmlua interpreter (REPL, Jupyter kernel) is built with `make`.
]],
}
dependencies = {
  "lua >= 5.4, < 5.5",
}
build = {
  type = "make",
  build_target = "module",
  install_target = "install-module",
  install_variables = {
    INST_LIBDIR = "$(LIBDIR)",
    INST_LUADIR = "$(LUADIR)",
  },
}
