-- Makes a Pending record (job-submit.lua) a Submitted job, once its queue entry exists: it joins its
-- index sets (each line's any-state set, ARGV[1], and its Submitted set) and no longer expires.
-- KEYS[1] job hash. Returns 1, or 0 when the record is not Pending (expired, or committed already).
local cur = redis.call('HGET', KEYS[1], 'state')
if cur ~= 'Pending' then return 0 end
local id = redis.call('HGET', KEYS[1], 'jobId')
local ixk = redis.call('HGET', KEYS[1], 'ixk')
for line in string.gmatch(ixk, '[^\n]+') do
  local tab = string.find(line, '\t', 1, true)
  local pre = string.sub(line, 1, tab - 1)
  local suf = string.sub(line, tab + 1)
  redis.call('ZADD', pre .. ARGV[1] .. suf, 0, id)
  redis.call('ZADD', pre .. 'Submitted' .. suf, 0, id)
end
redis.call('HSET', KEYS[1], 'state', 'Submitted')
redis.call('PERSIST', KEYS[1])
return 1
