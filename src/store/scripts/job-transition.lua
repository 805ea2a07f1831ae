-- Moves a job to a new state if it is in one of the expected states, and sets fields in the same step.
-- KEYS[1] job hash. ARGV[1] new state; ARGV[2] expected states, comma-separated; ARGV[3..] field, value pairs.
-- The hash's `ixk` lists the job's index lines (prefix TAB suffix, one a line): the job leaves each
-- line's set for the old state and joins the one for the new state. Returns {1, old} or {0, old or ''}.
local cur = redis.call('HGET', KEYS[1], 'state')
if not cur then return {0, ''} end
local ok = false
for s in string.gmatch(ARGV[2], '[^,]+') do if s == cur then ok = true end end
if not ok then return {0, cur} end
local new = ARGV[1]
if new ~= cur then
  local id = redis.call('HGET', KEYS[1], 'jobId')
  local ixk = redis.call('HGET', KEYS[1], 'ixk')
  for line in string.gmatch(ixk, '[^\n]+') do
    local tab = string.find(line, '\t', 1, true)
    local pre = string.sub(line, 1, tab - 1)
    local suf = string.sub(line, tab + 1)
    redis.call('ZREM', pre .. cur .. suf, id)
    redis.call('ZADD', pre .. new .. suf, 0, id)
  end
  redis.call('HSET', KEYS[1], 'state', new)
end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return {1, cur}
