-- luacheck configuration (Debian lua-check): `luacheck lua scripts tests` must be clean.
std = "lua54"
max_line_length = 170
-- W581 "'not (x > y)' can be replaced by 'x <= y'": option checks write not (x > 0) on
-- purpose, so that NaN is rejected too.
ignore = { "581" }

-- ebmlua (runtime/main.c) sets package.ebmlua_dir, the folder of the executable.
read_globals = { package = { fields = { "ebmlua_dir" } } }

-- The interpreter loads lua/ebm/init.lua as the global `ebm` for scripts, tests, tools and
-- the REPL. The library itself (lua/ebm) must not use it: each module requires what it uses,
-- so there the global stays undefined and any use is reported.
files["scripts"] = { globals = { "ebm" } }
files["tests"] = { globals = { "ebm" } }
files["tools"] = { globals = { "ebm" } }
