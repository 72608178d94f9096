-- luacheck (Debian lua-check) settings: `luacheck lua scripts tests`.
std = "lua54"
globals = { "ebm" }      -- the facade ebmlua loads before running a script
max_line_length = false  -- option help texts are long single lines
