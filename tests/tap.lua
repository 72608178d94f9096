-- tap.lua - a small TAP producer for Lua tests run under `prove`.
--
--   local t = require "tap"
--   t.plan(3)                     -- or t.done_testing() at the end
--   t.ok(x > 0, "x is positive")
--   t.is(got, want, "name")       -- equality (numbers within `tol` with t.near)
--   t.error_like(fn, "pattern", "name")
--
-- The seed used by a statistical test is printed as a `#` line with t.seed(s).

local M = {}
local n, failed, planned = 0, 0, nil

local function caller()
  local info = debug.getinfo(3, "Sl")
  return string.format("%s:%d", info.short_src, info.currentline)
end

function M.plan(k)
  planned = k
  print("1.." .. k)
end

function M.diag(...)
  local msg = table.concat({...}, " ")
  for line in (msg .. "\n"):gmatch("(.-)\n") do io.stdout:write("# ", line, "\n") end
end

function M.seed(s)
  M.diag("seed " .. tostring(s))
  return s
end

local function report(pass, name, where, detail)
  n = n + 1
  io.stdout:write(pass and "ok " or "not ok ", n, name and (" - " .. name) or "", "\n")
  if not pass then
    failed = failed + 1
    M.diag("Failed test at " .. where)
    if detail then M.diag(detail) end
  end
  return pass
end

function M.ok(cond, name)
  return report(not not cond, name, caller())
end

function M.is(got, want, name)
  return report(got == want, name, caller(), string.format("     got: %s\nexpected: %s", tostring(got), tostring(want)))
end

function M.isnt(got, want, name)
  return report(got ~= want, name, caller(), string.format("got %s, expected anything else", tostring(got)))
end

-- |got - want| <= tol
function M.near(got, want, tol, name)
  local pass = type(got) == "number" and math.abs(got - want) <= tol
  return report(pass, name, caller(), string.format("     got: %s\nexpected: %s +- %s", tostring(got), tostring(want), tostring(tol)))
end

-- cmp_ok(a, "<", b)
function M.cmp_ok(a, op, b, name)
  local f = ({
    ["<"] = function() return a < b end, ["<="] = function() return a <= b end,
    [">"] = function() return a > b end, [">="] = function() return a >= b end,
    ["=="] = function() return a == b end, ["~="] = function() return a ~= b end,
  })[op]
  assert(f, "cmp_ok: unknown operator " .. tostring(op))
  return report(f(), name, caller(), string.format("    %s\n        %s\n    %s", tostring(a), op, tostring(b)))
end

local function deep_eq(a, b, path)
  if type(a) ~= type(b) then return false, path end
  if type(a) ~= "table" then return a == b, path end
  for k, v in pairs(a) do
    local ok, p = deep_eq(v, b[k], path .. "[" .. tostring(k) .. "]")
    if not ok then return false, p end
  end
  for k in pairs(b) do
    if a[k] == nil then return false, path .. "[" .. tostring(k) .. "]" end
  end
  return true
end

function M.is_deeply(got, want, name)
  local pass, where = deep_eq(got, want, "")
  return report(pass, name, caller(), pass or ("structures differ at " .. where))
end

-- fn must raise an error whose message matches `pattern`.
function M.error_like(fn, pattern, name)
  local okc, err = pcall(fn)
  local pass = not okc and tostring(err):find(pattern) ~= nil
  return report(pass, name, caller(), okc and "no error raised" or ("error was: " .. tostring(err)))
end

function M.lives_ok(fn, name)
  local okc, err = pcall(fn)
  return report(okc, name, caller(), tostring(err))
end

function M.skip(why, count)
  for _ = 1, count or 1 do
    n = n + 1
    io.stdout:write("ok ", n, " # skip ", why, "\n")
  end
end

function M.done_testing()
  if not planned then print("1.." .. n) end
  io.stdout:flush()
  if failed > 0 or (planned and planned ~= n) then os.exit(1) end
  os.exit(0)
end

return M
