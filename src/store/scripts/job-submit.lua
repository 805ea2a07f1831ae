-- Creates a job record and its index entries in one step, after checking its queue: it exists, it is
-- not paused, it holds fewer than MaxSize waiting jobs. One round trip on the submit path.
-- KEYS[1] job hash, KEYS[2] queue record, KEYS[3] / KEYS[4] the queue's Submitted / Pause sets.
-- ARGV[1] job id, ARGV[2] state, ARGV[3] doc JSON, ARGV[4] callback JSON, ARGV[5] index lines,
-- ARGV[6..] the sets the job joins. Returns {'OK' | 'NOQUEUE' | 'PAUSED' | 'SATURATED', maxSize}.
local q = redis.call('GET', KEYS[2])
if not q then return {'NOQUEUE', 0} end
local queue = cjson.decode(q)
if queue.state == 'Paused' then return {'PAUSED', 0} end
local waiting = redis.call('ZCARD', KEYS[3]) + redis.call('ZCARD', KEYS[4])
if waiting >= tonumber(queue.maxSize) then return {'SATURATED', tonumber(queue.maxSize)} end
redis.call('HSET', KEYS[1], 'jobId', ARGV[1], 'state', ARGV[2], 'progress', '0', 'code', 'Success', 'message', '',
  'doc', ARGV[3], 'callback', ARGV[4], 'ixk', ARGV[5])
for i = 6, #ARGV do redis.call('ZADD', ARGV[i], 0, ARGV[1]) end
return {'OK', 0}
