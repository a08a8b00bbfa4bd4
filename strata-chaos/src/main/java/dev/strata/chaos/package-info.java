/**
 * Break it on purpose: the failures the seeds describe, produced for real on 127.0.0.1.
 *
 * <ul>
 *   <li>{@link dev.strata.chaos.ChaosProxy}: a TCP proxy whose {@link dev.strata.chaos.Toxic toxics}
 *       delay, throttle, slice, cut, reset, hold or black-hole connections, changeable while
 *       traffic flows; Toxiproxy's toxics plus {@code idle_close} (database / load balancer idle
 *       timeout) and {@code idle_blackhole} (NAT or firewall eviction).</li>
 *   <li>{@link dev.strata.chaos.ChaosServer}: many proxies behind a Toxiproxy-compatible HTTP API,
 *       what {@code strata proxy} runs.</li>
 *   <li>{@link dev.strata.chaos.FaultInjection}: an in-process {@link dev.strata.call.Interceptor}
 *       for drills, switched on by configuration or environment variables.</li>
 * </ul>
 */
package dev.strata.chaos;
