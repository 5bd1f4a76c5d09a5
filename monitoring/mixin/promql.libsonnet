{
  // The values of an object as PromQL number literals, for std.format: %s would print 0.1 as
  // 0.10000000000000001 (jsonnet prints 17 digits); %g prints 0.1 and 0.999.
  numbers(o):: {
    [k]: if std.isNumber(o[k]) && o[k] != std.floor(o[k]) then std.format('%g', o[k]) else std.toString(o[k])
    for k in std.objectFields(o)
  },
}
