-- Reads every instance's breaker state younger than ARGV[1] milliseconds (server time) and drops
-- the older ones: an instance that stopped publishing has left the cluster.
-- Returns a flat array: instance id, state, age in milliseconds, ...
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local stale = tonumber(ARGV[1])
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  local value = all[i + 1]
  local sep = string.find(value, '|', 1, true)
  local age = now - tonumber(string.sub(value, sep + 1))
  if age > stale then
    redis.call('HDEL', KEYS[1], all[i])
  else
    table.insert(out, all[i])
    table.insert(out, string.sub(value, 1, sep - 1))
    table.insert(out, math.max(0, age))
  end
end
return out
