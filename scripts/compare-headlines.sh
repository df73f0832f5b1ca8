#!/usr/bin/env bash
# Compare every headline figure of two summary.json files (before and after a change that alters
# the random numbers or the order of float sums): each estimate that carries a standard error in
# `cells`, `blocs`, `materials`, `floors` and `cap_breach` (probabilities with `se`, means with
# `mean_se`, CVaR with `se`, quantiles with a 95% interval, whose SE is taken as its half-width
# / 1.96). Prints the largest |after − before| / SE and every figure beyond the limit (3 SE by
# default), where SE is the larger of the two runs' standard errors. Exit 1 if any is beyond.
#
#   scripts/compare-headlines.sh BEFORE/summary.json AFTER/summary.json [LIMIT]
#
# Figures whose SE is 0 in both runs (e.g. a probability of exactly 0) must be equal.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BEFORE.json AFTER.json [LIMIT]" >&2; exit 2; }
exec python3 - "$1" "$2" "${3:-3}" <<'PY'
import json, math, sys

before, after, limit = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), float(sys.argv[3])
SECTIONS = ("cells", "blocs", "materials", "floors", "cap_breach")


def label(item):
    """A readable name for a list entry: its bloc / material / process / series / q fields."""
    if not isinstance(item, dict):
        return None
    keys = ("bloc", "material", "floor", "process", "link", "series", "q")
    parts = [f"{k}={item[k]}" for k in keys if k in item and not isinstance(item[k], (dict, list))]
    return ",".join(parts) or None


def figures(x, path, out):
    """(path, value, se) for every estimate with a standard error under x."""
    if isinstance(x, dict):
        if "p" in x and "se" in x:
            out.append((path, x["p"], x["se"]))
        if "mean" in x and "mean_se" in x:
            out.append((path + "/mean", x["mean"], x["mean_se"]))
        if "value" in x and "se" in x:
            out.append((path, x["value"], x["se"]))
        if "q" in x and "value" in x and isinstance(x.get("ci95"), dict):
            ci = x["ci95"]
            if ci.get("low") is not None and ci.get("high") is not None:
                out.append((path, x["value"], (ci["high"] - ci["low"]) / (2 * 1.96)))
        for k, v in x.items():
            if k != "ci95":
                figures(v, f"{path}/{k}", out)
    elif isinstance(x, list):
        for i, v in enumerate(x):
            figures(v, f"{path}[{label(v) or i}]", out)


def collect(doc):
    out = []
    for s in SECTIONS:
        figures(doc.get(s, []), s, out)
    return {p: (v, se) for p, v, se in out if v is not None and se is not None}


a, b = collect(before), collect(after)
missing = sorted(set(a) ^ set(b))
worst, beyond, n = (0.0, None), [], 0
for path in sorted(set(a) & set(b)):
    (va, sa), (vb, sb) = a[path], b[path]
    n += 1
    se = max(sa, sb)
    diff = abs(vb - va)
    if se > 0:
        z = diff / se
    else:
        z = 0.0 if diff == 0 else math.inf
    if z > worst[0]:
        worst = (z, path)
    if z > limit:
        beyond.append((z, path, va, vb, se))

print(f"figures compared: {n} (paths {before.get('paths')} before, {after.get('paths')} after)")
if missing:
    print(f"figures in only one file: {len(missing)}, e.g. {missing[:3]}")
print(f"largest |diff|/SE: {worst[0]:.3g} at {worst[1]}")
print(f"beyond {limit:g} SE: {len(beyond)}")
for z, path, va, vb, se in sorted(beyond, reverse=True):
    print(f"  {z:8.3f}  {path}: {va!r} -> {vb!r} (SE {se:.3g})")
sys.exit(1 if beyond or missing else 0)
PY
