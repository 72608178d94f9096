-- ebm.models.presets: the grid models of the digit job by name, and the model a training
-- config describes. Shared by the trainer (a fresh run) and ebm.ckpt (rebuilding the model
-- of a checkpoint), so neither needs the other.
--
--   m = presets.build(cfg)   -- cfg.model (a name below), cfg.levels, cfg.height/width (28)
local grid = require "ebm.models.grid"

local M = {}

-- The grid constructor's options of each preset.
M.PRESETS = {
  seed = { stencil = "4", coupling = "ordinal", tie = "direction" },
  potts = { stencil = "4", coupling = "potts", tie = "direction" },
  ["potts-edge"] = { stencil = "4", coupling = "full", tie = "edge" },
  ["8nbr"] = { stencil = "8", coupling = "potts", tie = "direction" },
}

-- Build the model of a config (28x28 grid unless cfg.height/width say otherwise).
function M.build(cfg)
  local p = M.PRESETS[cfg.model]
  local K = cfg.levels
  local values
  if p.coupling == "ordinal" then
    values = {}
    for k = 1, K do values[k] = (k - 1) / (K - 1) end -- level values in [0, 1] for any K
  end
  return grid { height = cfg.height or 28, width = cfg.width or 28, levels = K, stencil = p.stencil,
    coupling = p.coupling, tie = p.tie, values = values }
end

return M
