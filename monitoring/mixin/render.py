#!/usr/bin/env python3
"""Writes the files of `jsonnet build.jsonnet` (one JSON object: path -> content) under OUT_DIR.

Rule files and manifests become block-style YAML laid out as a person writes them: jsonnet 0.18's
std.manifestYamlDoc quotes every key ("for": 5m), and scripts/stack.sh and
tests/monitoring/queries_live.sh rewrite the `for:` and `interval:` lines with sed. Multi-line
strings are literal blocks; other strings are plain when YAML reads them back unchanged, else JSON
strings (valid YAML double-quoted scalars). Dashboards are JSON with 2-space indents; Python prints
numbers in their shortest form (jsonnet prints 0.1 as 0.10000000000000001).
Standard library only.
"""
import json
import os
import re
import sys

HEADER = "# Generated from monitoring/mixin by `make mixin`; edit the mixin, not this file.\n"
ABOUT = {
    "prometheus/recording-rules.yml": "Recording rules for Freightliner (the mixin's prometheusRules).",
    "prometheus/alert-rules.yml": "Alert rules for Freightliner (the mixin's prometheusAlerts).",
    "operator/prometheus-rule.yaml": "For the Prometheus Operator: the recording and alert rules of monitoring/prometheus/\n"
    "# as one PrometheusRule (monitoring/operator/kustomization.yaml applies it).",
}
KEY_ORDER = ["apiVersion", "kind", "metadata", "name", "namespace", "labels", "annotations", "spec",
             "interval", "rules", "severity", "component", "summary", "description", "impact", "action",
             "runbook_url"]
RULE_ORDER = ["alert", "record", "expr", "for", "labels", "annotations"]
PLAIN = re.compile(r"^(?:[A-Za-z](?:[A-Za-z0-9_./:-]*[A-Za-z0-9_./-])?|[0-9]+[smhdwy](?:[0-9]+[smhdwy])*)$")
RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def ordered_keys(obj):
    keys = list(obj)
    if "alert" in keys or "record" in keys:
        return [k for k in RULE_ORDER if k in obj] + sorted(k for k in keys if k not in RULE_ORDER)
    rank = {k: i for i, k in enumerate(KEY_ORDER)}
    return sorted(keys, key=lambda k: (rank.get(k, len(KEY_ORDER)), k))


def scalar(v, indent):
    if isinstance(v, str):
        body = v.rstrip("\n")
        if "\n" in body and not v.startswith(" ") and not v.endswith("\n\n") and not any(l != l.rstrip() for l in body.split("\n")):
            head = "|" if v.endswith("\n") else "|-"
            return head + "".join("\n" + (indent + l if l else "") for l in body.split("\n"))
        if PLAIN.match(v) and v.lower() not in RESERVED:
            return v
        return json.dumps(v, ensure_ascii=False)
    return json.dumps(v)


def key(k):
    return k if PLAIN.match(k) and k.lower() not in RESERVED else json.dumps(k)


def value(v, indent):
    """v after a `key:` or `-`: a leading space or newline, then v."""
    if isinstance(v, dict):
        if not v:
            return " {}"
        return "".join("\n" + indent + key(k) + ":" + value(v[k], indent + "  ") for k in ordered_keys(v))
    if isinstance(v, list):
        if not v:
            return " []"
        return "".join("\n" + indent + "-" + item(e, indent + "  ") for e in v)
    return " " + scalar(v, indent)


def item(e, indent):
    if isinstance(e, dict) and e:
        return " " + ("\n" + indent).join(key(k) + ":" + value(e[k], indent + "  ") for k in ordered_keys(e))
    return value(e, indent)


def to_yaml(doc):
    return value(doc, "").lstrip("\n") + "\n"


def main():
    out_dir = sys.argv[1]
    files = json.load(sys.stdin)
    for path, content in sorted(files.items()):
        if path.endswith(".json"):
            text = json.dumps(content, indent=2, ensure_ascii=False) + "\n"
        else:
            text = HEADER + "#\n# " + ABOUT[path] + "\n\n" + to_yaml(content)
        dest = os.path.join(out_dir, path)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
