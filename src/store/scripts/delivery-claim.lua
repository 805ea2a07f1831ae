-- Claims one try of a notification's delivery: refused when a try already reached the receiver, else
-- marked as being sent (with its try number) before the POST goes out.
-- KEYS[1] the notification's mark hash. ARGV[1] try number, ARGV[2] now (ms), ARGV[3] TTL in seconds.
-- Returns the state found: '' (no try yet), 'unsent' (the last try failed), 'sending' (a try began and its
-- outcome was never recorded: its process died during it) or 'sent' (nothing is marked then).
local cur = redis.call('HGET', KEYS[1], 'state')
if cur == 'sent' then return 'sent' end
redis.call('HSET', KEYS[1], 'state', 'sending', 'try', ARGV[1], 'ms', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return cur or ''
