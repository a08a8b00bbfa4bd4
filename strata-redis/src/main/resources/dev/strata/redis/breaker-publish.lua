-- Records one instance's own breaker state with the server's time.
-- KEYS[1] the dependency's hash; ARGV: instance id, state, TTL of the hash (milliseconds).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. string.format('%d', now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
