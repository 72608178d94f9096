-- loop.lua - ebm.loop, the epoch loop every trainer shares, with a stand-in trainer whose
-- "training" is counting: epoch rows reach metrics.csv, checkpoints are written every N
-- epochs, at the end and on an early stop, stop_after stops after the first epoch reaching
-- it, and resume restores the trainer and drops the metrics rows after its checkpoint.
local t = require "tap"
local cjson = require "cjson"

-- A trainer of 3 steps per epoch; save/restore write its counters as JSON.
local function fake()
  local tr = { epoch_done = 0, steps = 0, steps_per_epoch = 3, saves = {} }
  function tr.epoch(self, bar)
    for _ = 1, self.steps_per_epoch do
      self.steps = self.steps + 1
      if bar then bar:update { epoch = self.epoch_done + 1, step = self.steps } end
    end
    self.epoch_done = self.epoch_done + 1
    return { epoch = self.epoch_done, step = self.steps, data_energy = -self.steps }
  end
  function tr.save(self, path)
    self.saves[#self.saves + 1] = self.epoch_done
    ebm.run.write_file(path, cjson.encode { epoch = self.epoch_done, steps = self.steps })
  end
  function tr.restore(self, path)
    local s = cjson.decode(ebm.run.read_file(path))
    self.epoch_done, self.steps = math.tointeger(s.epoch), math.tointeger(s.steps)
  end
  return tr
end

local function epochs_in(dir)
  local out = {}
  for _, r in ipairs(ebm.run.read_metrics(dir .. "/metrics.csv")) do out[#out + 1] = r.epoch end
  return out
end

local root = os.tmpname()
os.remove(root)

-- a straight run: rows, hook calls, checkpoints every 2 epochs and at the last
local r = ebm.run.new { out = root .. "/a", config = {} }
local tr, seen = fake(), {}
local res = ebm.loop.run(tr, { run = r, epochs = 5, checkpoint_every = 2, quiet = true,
  on_epoch = function(_, row) seen[#seen + 1] = row.epoch end })
res.bar:finish()
r:close()
t.is_deeply(epochs_in(root .. "/a"), { 1, 2, 3, 4, 5 }, "one metrics row per epoch")
t.is_deeply(seen, { 1, 2, 3, 4, 5 }, "on_epoch sees every epoch")
t.is_deeply(tr.saves, { 2, 4, 5 }, "checkpoints after epochs 2, 4 and the last")
t.ok(not res.stopped and #res.rows == 5 and #res.seconds == 5, "the result lists the rows and times of 5 epochs")

-- stop after 2 of 5, then resume: the same rows as the straight run
r = ebm.run.new { out = root .. "/b", config = {} }
tr = fake()
res = ebm.loop.run(tr, { run = r, epochs = 5, checkpoint_every = 5, stop_after = 2, quiet = true })
r:close()
t.ok(res.stopped and tr.epoch_done == 2, "stop_after 2 stops after epoch 2")
t.is_deeply(tr.saves, { 2 }, "an early stop checkpoints")
-- a row written after the checkpoint (as by a process killed mid-epoch) is dropped on resume
r = ebm.run.new { out = root .. "/b", config = {}, resume = true }
r:log { epoch = 3, step = 8 }
tr = fake()
ebm.loop.resume(tr, r, root .. "/b/model.ckpt")
t.ok(tr.epoch_done == 2 and tr.steps == 6, "resume restores the trainer")
t.is_deeply(epochs_in(root .. "/b"), { 1, 2 }, "resume drops metrics rows after the checkpoint")
res = ebm.loop.run(tr, { run = r, epochs = 5, quiet = true })
r:close()
t.is_deeply(epochs_in(root .. "/b"), { 1, 2, 3, 4, 5 }, "the resumed run's metrics equal the straight run's")
t.ok(not res.stopped and #res.rows == 3, "the resumed process ran epochs 3-5")

-- a finished run does nothing
res = ebm.loop.run(tr, { epochs = 5, quiet = true })
t.is(#res.rows, 0, "no epochs left: no work")

os.execute("rm -rf '" .. root .. "'")
t.done_testing()
