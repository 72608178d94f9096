-- tensor_eq.lua - exact equality of two tensors (same number of elements, every value equal
-- in row-major order), for the tests that check bit-identical results.
return function(a, b)
  local n = a:numel()
  if b:numel() ~= n then return false end
  local fa, fb = a:contiguous():view(n):totable(), b:contiguous():view(n):totable()
  for k = 1, n do if fa[k] ~= fb[k] then return false end end
  return true
end
