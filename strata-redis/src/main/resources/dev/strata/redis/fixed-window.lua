-- Fixed window, decided atomically on the server. Time is the server's (TIME), so the clocks
-- of the instances sharing the limit do not matter. The stored window never moves backwards:
-- when the server's clock is behind it (a failover to a replica whose clock lags the old
-- primary's), the request is decided against the stored window, never resets it.
-- KEYS[1] the limited key; ARGV: limit, window (microseconds), permits.
-- Returns {allowed 0|1, remaining, microseconds until the permits could be granted, microseconds until reset}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local permits = tonumber(ARGV[3])
local index = math.floor(now / window)
local state = redis.call('HMGET', KEYS[1], 'w', 'c')
local stored = tonumber(state[1])
local count = 0
if stored ~= nil and stored >= index then
  index = stored
  count = tonumber(state[2])
end
local reset = (index + 1) * window - now
if count + permits > limit then
  return {0, limit - count, reset, reset}
end
count = count + permits
redis.call('HSET', KEYS[1], 'w', index, 'c', count)
-- the key outlives its window by a second so a late reader still sees the window index
redis.call('PEXPIRE', KEYS[1], math.ceil(reset / 1000) + 1000)
local remaining = limit - count
local retry = 0
if remaining <= 0 then
  retry = reset
end
return {1, remaining, retry, reset}
