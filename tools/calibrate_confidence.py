#!/usr/bin/env python3
"""Fits the confidence calibration (Platt scaling) from a `cited eval answers --json` report.

The engine's confidence is a logistic map of a weighted evidence score: p = 1 / (1 + exp(-(a * score + b))).
This script fits a and b by maximum likelihood on the drafted answers of the tuning halves only (never
`check`), where the label is whether showing the draft would be right. It prints the constants for
`crates/cited-answer/src/confidence.rs` and the thresholds that keep the current operating point.

The report must come from a build whose `confidence()` is the identity map (score = confidence), or pass
--a/--b of the build that wrote it so scores are recovered first.

Usage: python3 tools/calibrate_confidence.py REPORT.json [--splits tune,dev] [--a A --b B]
Standard library only.
"""
import argparse
import json
import math


def logit(p):
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def fit(xs, ys, iterations=100):
    """Newton's method for two-parameter logistic regression (tiny ridge for stability)."""
    a, b = 1.0, 0.0
    for _ in range(iterations):
        ga = gb = haa = hab = hbb = 0.0
        for x, y in zip(xs, ys):
            p = 1 / (1 + math.exp(-(a * x + b)))
            ga += (p - y) * x
            gb += p - y
            w = p * (1 - p)
            haa += w * x * x
            hab += w * x
            hbb += w
        haa += 1e-6
        hbb += 1e-6
        det = haa * hbb - hab * hab
        da = (hbb * ga - hab * gb) / det
        db = (haa * gb - hab * ga) / det
        a, b = a - da, b - db
        if abs(da) + abs(db) < 1e-10:
            break
    return a, b


def ece(pairs):
    bins = [[0, 0.0, 0] for _ in range(10)]
    for p, y in pairs:
        k = min(int(p * 10), 9)
        bins[k][0] += 1
        bins[k][1] += p
        bins[k][2] += y
    n = max(1, len(pairs))
    return sum(c / n * abs(s / c - o / c) for c, s, o in bins if c)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--splits", default="tune,dev")
    ap.add_argument("--a", type=float, help="slope of the build that wrote the report")
    ap.add_argument("--b", type=float, help="intercept of the build that wrote the report")
    ap.add_argument("--threshold", type=float, default=0.62, help="score of the review threshold to keep")
    ap.add_argument("--floor", type=float, default=0.40, help="score of the no-answer floor to keep")
    args = ap.parse_args()
    report = json.load(open(args.report))
    splits = set(args.splits.split(","))
    if "check" in splits:
        raise SystemExit("never fit on the check half")

    def score(c):
        if args.a is None:
            return c["confidence"]
        return (logit(c["confidence"]) - args.b) / args.a

    drafted = [c for c in report["cases"] if c["has_answer"]]
    train = [c for c in drafted if c["split"] in splits]
    xs = [score(c) for c in train]
    ys = [1 if c["draft_correct"] else 0 for c in train]
    a, b = fit(xs, ys)
    cal = lambda s: 1 / (1 + math.exp(-(a * s + b)))
    print(f"drafted answers used: {len(train)} ({sum(ys)} right) from {sorted(splits)}")
    print(f"CALIBRATION_SLOPE = {a:.3f}; CALIBRATION_INTERCEPT = {b:.3f}")
    print(f"review_threshold {args.threshold} -> {cal(args.threshold):.3f}; no_answer_floor {args.floor} -> {cal(args.floor):.3f}")
    for split in sorted({c["split"] for c in drafted}):
        cs = [c for c in drafted if c["split"] == split]
        raw = ece([(score(c), 1 if c["draft_correct"] else 0) for c in cs])
        new = ece([(cal(score(c)), 1 if c["draft_correct"] else 0) for c in cs])
        print(f"{split:6} drafted {len(cs):3}  ECE score {raw:.3f} -> calibrated {new:.3f}")


if __name__ == "__main__":
    main()
