-- ebm.progress: a progress display for long loops.
--
--   local bar = ebm.progress.new{total = steps, epochs = 10, label = "train"}
--   bar:update{epoch = e, step = s, info = "gap 1.23"}   -- s counts from 1 to total
--   bar:finish("done in 12.3 s")
--
-- On a terminal (ebm.sys.isatty) one line is redrawn in place: a bar, epoch, step, rate
-- (steps per second) and ETA. Otherwise (a log file, a pipe, a sweep) plain lines are
-- printed at most every `every` seconds (default 10) and at the end of each epoch, so
-- logs stay short. `tty = true/false` forces either mode; `quiet = true` prints nothing.
local sys = require "ebm.interp.sys"

local M = {}

-- "1:02:03" or "2:03" for a number of seconds.
function M.hms(s)
  if s == nil or s ~= s or s == math.huge then return "?" end
  s = math.floor(s + 0.5)
  local h, m = s // 3600, (s // 60) % 60
  if h > 0 then return string.format("%d:%02d:%02d", h, m, s % 60) end
  return string.format("%d:%02d", m, s % 60)
end

local Bar = {}
Bar.__index = Bar

function M.new(opts)
  opts = opts or {}
  local out = opts.out or io.stderr
  local tty = opts.tty
  if tty == nil then tty = sys.isatty(out) and os.getenv("TERM") ~= "dumb" end
  local b = setmetatable({
    total = opts.total,            -- steps in the whole run (for the ETA), or nil
    epochs = opts.epochs,          -- number of epochs, or nil
    label = opts.label or "",
    out = out,
    tty = tty,
    quiet = opts.quiet,
    every = opts.every or 10,      -- seconds between plain lines
    width = opts.width or 24,      -- characters of the bar
    t0 = sys.clock(),
    last_print = -math.huge,
    step0 = opts.start or 0,       -- steps already done when the bar starts (resume)
    last_epoch = nil,
  }, Bar)
  return b
end

-- Describe progress after `st.step` steps (of the whole run) in epoch `st.epoch`.
function Bar:line(st)
  local now = sys.clock()
  local done = (st.step or 0) - self.step0
  local elapsed = now - self.t0
  local rate = done > 0 and elapsed > 0 and done / elapsed or nil
  local parts = {}
  if self.label ~= "" then parts[#parts + 1] = self.label end
  if st.epoch then
    parts[#parts + 1] = self.epochs and string.format("epoch %d/%d", st.epoch, self.epochs)
      or string.format("epoch %d", st.epoch)
  end
  if st.step then
    parts[#parts + 1] = self.total and string.format("step %d/%d", st.step, self.total)
      or string.format("step %d", st.step)
  end
  parts[#parts + 1] = rate and string.format("%.1f it/s", rate) or "- it/s"
  if self.total and rate then
    parts[#parts + 1] = "ETA " .. M.hms((self.total - st.step) / rate)
  end
  parts[#parts + 1] = "elapsed " .. M.hms(elapsed)
  if st.info and st.info ~= "" then parts[#parts + 1] = st.info end
  local text = table.concat(parts, "  ")
  if self.tty and self.total and self.total > 0 then
    local frac = math.max(0, math.min(1, (st.step or 0) / self.total))
    local fill = math.floor(frac * self.width + 0.5)
    text = string.format("[%s%s] %3d%%  %s", string.rep("#", fill), string.rep(".", self.width - fill),
      math.floor(frac * 100), text)
  end
  return text, now
end

function Bar:update(st)
  if self.quiet then return end
  local text, now = self:line(st)
  if self.tty then
    if now - self.last_print < 0.1 and st.step ~= self.total then return end
    self.out:write("\r", text, "\27[K")
    self.out:flush()
    self.last_print = now
  else
    local new_epoch = self.last_epoch ~= nil and st.epoch ~= self.last_epoch
    if now - self.last_print >= self.every or new_epoch or st.force then
      self.out:write(text, "\n")
      self.out:flush()
      self.last_print = now
    end
  end
  self.last_epoch = st.epoch
end

-- Print a message on its own line without breaking the bar (e.g. an epoch summary).
function Bar:print(msg)
  if self.quiet then return end
  if self.tty then self.out:write("\r\27[K") end
  self.out:write(msg, "\n")
  self.out:flush()
  self.last_print = self.tty and -math.huge or sys.clock()
end

function Bar:finish(msg)
  if self.quiet then return end
  if self.tty then self.out:write("\r\27[K") end
  if msg then self.out:write(msg, "\n") end
  self.out:flush()
end

return M
