-- train_latent_grid.lua - the old name of `train_digit.lua D --model latent` (the latent grid
-- model is now one of train_digit.lua's models; ebm.digits). Translates the old options:
-- --digit D (default 3), --pixel-edges (--model latent-edge), --judge N (--quality-samples N).
local rest, digit, model = {}, "3", "latent"
-- luacheck: globals arg
local i = 1
while i <= #arg do
  local s = arg[i]
  if s == "--digit" then digit, i = arg[i + 1], i + 1
  elseif s == "--pixel-edges" then model = "latent-edge"
  elseif s == "--judge" then rest[#rest + 1] = "--quality-samples"
  else rest[#rest + 1] = s end
  i = i + 1
end
local dir = (arg[0] or ""):match("^(.*/)") or "scripts/"
local new = { digit, "--model", model, table.unpack(rest) }
for k = #arg, 1, -1 do arg[k] = nil end
for k, v in ipairs(new) do arg[k] = v end
arg[0] = dir .. "train_digit.lua"
dofile(arg[0])
