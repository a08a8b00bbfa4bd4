-- Sliding window counter, decided atomically on the server with the server's time (TIME).
-- The count of the sliding window is estimated as previous * (unexpired share of the previous
-- window) + current. The stored window never moves backwards: when the server's clock is behind
-- it (a failover to a replica whose clock lags the old primary's), the request is decided at the
-- stored window's start, where the previous window weighs most; times returned stay measured
-- from the server's now.
-- KEYS[1] the limited key; ARGV: limit, window (microseconds), permits.
-- Returns {allowed 0|1, remaining, microseconds until the permits could be granted, microseconds until reset}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local permits = tonumber(ARGV[3])
local index = math.floor(now / window)
local position = now - index * window
local lag = 0
local state = redis.call('HMGET', KEYS[1], 'w', 'c', 'p')
local w = tonumber(state[1])
local current = tonumber(state[2]) or 0
local previous = tonumber(state[3]) or 0
if w ~= nil and w > index then
  lag = w * window - now
  index = w
  position = 0
end
if w ~= index then
  if w == index - 1 then
    previous = current
  else
    previous = 0
  end
  current = 0
end

-- microseconds until the estimate leaves room for n permits, assuming no other request
local function wait_for(n)
  local room = limit - current - n
  if room >= 0 then
    if previous == 0 then
      return 0
    end
    return math.max(0, math.ceil(window * (1 - room / previous)) - position)
  end
  return (window - position) + math.max(0, math.ceil(window * (1 - (limit - n) / current)))
end

local function reset()
  if current > 0 then
    return 2 * window - position
  end
  if previous > 0 then
    return window - position
  end
  return 0
end

local estimate = previous * ((window - position) / window) + current
if estimate + permits > limit then
  return {0, math.max(0, math.floor(limit - estimate)), wait_for(permits) + lag, reset() + lag}
end
current = current + permits
redis.call('HSET', KEYS[1], 'w', index, 'c', current, 'p', previous)
redis.call('PEXPIRE', KEYS[1], math.ceil((2 * window - position + lag) / 1000) + 1000)
local remaining = math.floor(limit - estimate - permits)
local retry = 0
if remaining < 1 then
  retry = wait_for(1) + lag
end
return {1, remaining, retry, reset() + lag}
