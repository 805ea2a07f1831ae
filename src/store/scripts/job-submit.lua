-- Creates a job record, still Pending, after checking its queue: it exists, it is not paused, it holds
-- fewer than MaxSize waiting jobs. A Pending record is in no index, no state change accepts it, reads
-- treat it as absent, and it expires unless job-commit.lua makes it a Submitted job once its queue
-- entry exists: a submit that fails between the two writes leaves nothing that shows or runs.
-- KEYS[1] job hash, KEYS[2] queue record, KEYS[3] / KEYS[4] the queue's Submitted / Pause sets.
-- ARGV[1] job id, ARGV[2] doc JSON, ARGV[3] callback JSON, ARGV[4] index lines, ARGV[5] seconds a
-- Pending record lives. Returns {'OK' | 'NOQUEUE' | 'PAUSED' | 'SATURATED', maxSize}.
local q = redis.call('GET', KEYS[2])
if not q then return {'NOQUEUE', 0} end
local queue = cjson.decode(q)
if queue.state == 'Paused' then return {'PAUSED', 0} end
local waiting = redis.call('ZCARD', KEYS[3]) + redis.call('ZCARD', KEYS[4])
if waiting >= tonumber(queue.maxSize) then return {'SATURATED', tonumber(queue.maxSize)} end
redis.call('HSET', KEYS[1], 'jobId', ARGV[1], 'state', 'Pending', 'progress', '0', 'code', 'Success', 'message', '',
  'doc', ARGV[2], 'callback', ARGV[3], 'ixk', ARGV[4])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
return {'OK', 0}
