-- ebm.training.loop (ebm.loop): the epoch loop every trainer shares -- the grid trainer of
-- the digit job, the latent grid trainer and the RBM trainer. It resumes from a checkpoint,
-- draws the progress bar, runs the epochs, writes each epoch's metrics row to the run
-- folder's metrics.csv, checkpoints, and stops early when asked.
--
--   loop.resume(tr, r, "runs/x/model.ckpt")    -- when continuing a run
--   local res = loop.run(tr, {run = r, epochs = 20, label = "digit 3", quiet = false,
--     checkpoint_every = 1, stop_after = 0,
--     intro = function(tr, bar) ... end, on_epoch = function(tr, row, bar, seconds) ... end})
--   res.rows (the epoch rows of this process), res.seconds (wall seconds per epoch),
--   res.stopped (true when stop_after ended the run early), res.bar (finished)
--
-- A trainer supplies the model-specific parts -- its positive and negative phase and the
-- update live in its step, run by its epoch:
--   tr.epoch_done, tr.steps       epochs and updates done so far
--   tr.steps_per_epoch
--   tr:epoch(bar) -> row          one pass over the training data (updating bar); row holds
--                                 the metrics.csv columns (ebm.run.COLUMNS) and may hold more
--   tr:save(path), tr:restore(path)   checkpoint with everything needed to continue exactly
-- The checkpoint is run:path("model.ckpt"), written after every checkpoint_every-th epoch,
-- the last epoch and an early stop. stop_after = N (> 0) ends the run after the first epoch
-- that reaches N (as if interrupted; resume continues it).
local progress = require "ebm.io.progress"
local sys = require "ebm.interp.sys"

local M = {}

-- Continue from checkpoint `path`: restore the trainer and drop the rows of metrics.csv
-- after its step, so the file matches an uninterrupted run. Errors (a missing, corrupt or
-- mismatched checkpoint) are the trainer's restore errors; callers report them.
function M.resume(tr, r, path)
  tr:restore(path)
  if r then r:truncate_metrics(tr.steps) end
end

function M.run(tr, o)
  local r = o.run
  local bar = progress.new { total = tr.steps_per_epoch * o.epochs, epochs = o.epochs, quiet = o.quiet,
    start = tr.steps, label = o.label }
  if o.intro then o.intro(tr, bar) end
  local every = o.checkpoint_every or 1
  local stop_after = o.stop_after or 0
  local res = { rows = {}, seconds = {}, bar = bar, stopped = false }
  while tr.epoch_done < o.epochs do
    local t0 = sys.clock()
    local row = tr:epoch(bar)
    local secs = sys.clock() - t0
    res.rows[#res.rows + 1], res.seconds[#res.seconds + 1] = row, secs
    if r then r:log(row) end
    local e = tr.epoch_done
    res.stopped = stop_after > 0 and e >= stop_after and e < o.epochs
    if o.on_epoch then o.on_epoch(tr, row, bar, secs) end
    if r and (e % every == 0 or e == o.epochs or res.stopped) then tr:save(r:path("model.ckpt")) end
    if res.stopped then break end
  end
  return res
end

return M
