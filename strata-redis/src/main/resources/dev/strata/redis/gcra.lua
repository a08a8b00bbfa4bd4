-- GCRA (the token bucket as one "theoretical arrival time"), decided atomically on the server
-- with the server's time (TIME). The key holds the TAT in microseconds and expires when the
-- bucket is full again, so idle keys cost nothing. The TAT only moves to max(TAT, now) + cost,
-- never back: when the server's clock is behind it (a failover to a replica whose clock lags),
-- the request is only refused more readily.
-- KEYS[1] the limited key; ARGV: emission interval (microseconds per permit), burst, permits.
-- Returns {allowed 0|1, remaining, microseconds until the permits could be granted, microseconds until reset}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local permits = tonumber(ARGV[3])
local tolerance = burst * interval
local tat = tonumber(redis.call('GET', KEYS[1])) or now
local base = math.max(tat, now)
local ahead = base + permits * interval - now
if ahead > tolerance then
  return {0, math.floor((tolerance - (base - now)) / interval), ahead - tolerance, base - now}
end
redis.call('SET', KEYS[1], string.format('%d', now + ahead), 'PX', math.ceil(ahead / 1000) + 1)
local remaining = math.floor((tolerance - ahead) / interval)
local retry = 0
if remaining <= 0 then
  retry = ahead + interval - tolerance
end
return {1, remaining, retry, ahead}
