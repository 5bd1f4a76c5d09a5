{
  // The values of an object as PromQL number literals, for std.format: %s would print 0.1 as
  // 0.10000000000000001 (jsonnet prints 17 digits); %g prints 0.1 and 0.999.
  numbers(o):: {
    [k]: if std.isNumber(o[k]) && o[k] != std.floor(o[k]) then std.format('%g', o[k]) else std.toString(o[k])
    for k in std.objectFields(o)
  },

  // Thresholds and objectives as the alerts' texts say them: 0.1 -> "10" (%), 300 s -> "5m".
  texts(c):: {
    local t = c.thresholds,
    // 99.9 -> "99.9", 99.95 -> "99.95", 99 -> "99.0" (%.1f would say 99.9 for 99.95).
    local percentOneDecimal(x) = local g = std.format('%g', x); if std.length(std.findSubstr('.', g)) > 0 then g else g + '.0',
    local duration(s) = if s % 60 == 0 then std.format('%dm', s / 60) else std.format('%gs', s),
    replicationFailurePercent: std.format('%g', t.replicationFailureRatio * 100),
    workerPoolSaturationPercent: std.format('%g', t.workerPoolSaturation * 100),
    replicationDurationText: duration(t.replicationDurationP95Seconds),
    httpLatencyText: duration(t.httpLatencyP95Seconds),
    // "99.9% objective" in the burn-rate descriptions, "99% under 60 s" in the latency impacts.
    replicationAvailabilityPercent: percentOneDecimal(c.slo.replicationAvailability * 100),
    replicationLatencyPercent: percentOneDecimal(c.slo.replicationLatency * 100),
    replicationLatencyShortPercent: std.format('%g', c.slo.replicationLatency * 100),
    httpAvailabilityPercent: percentOneDecimal(c.slo.httpAvailability * 100),
  },
}
