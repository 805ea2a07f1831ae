-- Sets fields only while the job is in one of the given states (progress must not revive a finished job).
-- KEYS[1] job hash. ARGV[1] states, comma-separated; ARGV[2..] field, value pairs. Returns 1 if set, else 0.
local cur = redis.call('HGET', KEYS[1], 'state')
if not cur then return 0 end
for s in string.gmatch(ARGV[1], '[^,]+') do
  if s == cur then
    for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
    return 1
  end
end
return 0
