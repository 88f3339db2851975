#!/usr/bin/env python3
"""Checks the version-trap evaluation set (evals/version-traps) against its own documents.

Stdlib only; builds nothing and runs no engine. Checks that

- every document parses: front matter between `---` lines with the fields the set uses, a `# Title`,
  2-4 `##` sections, a file name `<slug>.v<N>.md` matching its `version`, sane dates, a
  `change_summary` on every version after the first, and `termination_date` on retired versions;
- every question has the fields of evals/questions/README.md, a known kind/expect/split, ids `vt-001`...
  in order, and splits alternating tune/check within each kind in file order;
- every question's docs and versions exist, and its evidence is a substring (white space normalised)
  of the named version's file;
- every key fact occurs in the evidence and no must_not string does (matched as `cited eval answers`
  matches: case and white space ignored, digit-group commas dropped, whole words, `|` alternatives);
  for answerable questions no must_not string occurs anywhere in the named version's body either;
- the dates make sense: a `version_current` question has no as_of and names the version in force on
  TODAY; an answerable as_of question names the version in force on its as_of date (inside that
  version's effective period), which for `version_as_of` is not the one in force today; a withheld
  question is asked on a date (as_of or TODAY) when no version of its document is in force.

"In force" here is the set's contract: the version with the latest effective_date on or before the day
is in force, unless it has ended (termination_date on or before the day, or declared retired without a
termination date) -- a retired last version retires the document, earlier versions do not come back.

Usage: python3 tools/check_version_traps.py [--dir evals/version-traps] [--today 2026-11-30]
Exit status 0 when everything passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

KINDS = {"version_current", "version_as_of", "version_retired"}
EXPECTS = {"answered", "withheld"}
REQUIRED_Q = ["id", "question", "kind", "expect", "docs", "versions", "key_facts", "must_not",
              "evidence", "note", "split"]
ALLOWED_Q = set(REQUIRED_Q) | {"as_of"}
REQUIRED_DOC = ["id", "title", "version", "effective_date", "status", "doc_type"]
DOC_TYPES = {"clinical_protocol": "owner", "payer_policy": "payer"}
NAME = re.compile(r"^(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.v(?P<n>[0-9]+)\.md$")

errors: list[str] = []


def error(msg: str) -> None:
    errors.append(msg)


def day(text: str, where: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        error(f"{where}: not a YYYY-MM-DD date: {text!r}")
        return None


# ---------------------------------------------------------------- matching, as crates/cited/src/evals.rs


def normalise(text: str) -> str:
    s = " ".join(text.split()).lower()
    return re.sub(r"(?<=\d),(?=\d)", "", s)


def contains_fact(text: str, fact: str) -> bool:
    """Whether any `|` alternative of `fact` occurs in `text` as whole words."""
    hay = normalise(text)
    for alt in fact.split("|"):
        needle = normalise(alt.strip())
        if not needle:
            continue
        start = 0
        while (at := hay.find(needle, start)) != -1:
            before = hay[at - 1] if at > 0 else ""
            after = hay[at + len(needle)] if at + len(needle) < len(hay) else ""
            ok_before = not (before.isalnum() and needle[0].isalnum())
            ok_after = not (after.isalnum() and needle[-1].isalnum())
            if ok_before and ok_after:
                return True
            start = at + max(len(needle), 1)
    return False


# ---------------------------------------------------------------- documents


def parse_scalar(raw: str):
    raw = raw.strip()
    if raw.startswith("[") and raw.endswith("]"):
        inner = raw[1:-1].strip()
        if not inner:
            return []
        return [parse_scalar(x) for x in re.findall(r'"[^"]*"|[^,]+', inner)]
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    return raw


def parse_doc(path: Path):
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        error(f"{path.name}: does not start with a `---` front-matter line")
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        error(f"{path.name}: front matter has no closing `---`")
        return None
    meta = {}
    for n, line in enumerate(lines[1:end], 2):
        if not line.strip():
            continue
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*):\s*(.*)$", line)
        if not m:
            error(f"{path.name}:{n}: front-matter line is not `key: value`: {line!r}")
            continue
        if m.group(1) in meta:
            error(f"{path.name}:{n}: duplicate key {m.group(1)}")
        meta[m.group(1)] = parse_scalar(m.group(2))
    body = "\n".join(lines[end + 1:])
    return meta, text, body


def check_doc(path: Path, meta: dict, body: str):
    where = path.name
    for key in REQUIRED_DOC:
        if not isinstance(meta.get(key), str) or not meta.get(key):
            error(f"{where}: front matter lacks `{key}`")
    doc_type = meta.get("doc_type")
    if doc_type not in DOC_TYPES:
        error(f"{where}: doc_type {doc_type!r} is not one of {sorted(DOC_TYPES)}")
    elif not meta.get(DOC_TYPES[doc_type]):
        error(f"{where}: a {doc_type} needs `{DOC_TYPES[doc_type]}`")
    m = NAME.match(path.name)
    if not m:
        error(f"{where}: file name is not <slug>.v<N>.md")
    elif m.group("n") != meta.get("version"):
        error(f"{where}: file name says v{m.group('n')} but version is {meta.get('version')!r}")
    eff = day(meta.get("effective_date"), f"{where}: effective_date")
    status = str(meta.get("status", "")).lower()
    if status not in {"active", "retired"}:
        error(f"{where}: status {meta.get('status')!r} is neither active nor retired")
    term = None
    if "termination_date" in meta:
        term = day(meta["termination_date"], f"{where}: termination_date")
        if eff and term and term <= eff:
            error(f"{where}: termination_date {term} is not after effective_date {eff}")
    if status == "retired" and term is None:
        error(f"{where}: retired without termination_date")
    headings = [l for l in body.split("\n") if l.startswith("#")]
    h1 = [h for h in headings if re.match(r"^# \S", h)]
    h2 = [h for h in headings if re.match(r"^## \S", h)]
    if len(h1) != 1:
        error(f"{where}: expected one `# Title` heading, found {len(h1)}")
    elif meta.get("title") and h1[0][2:].strip() != meta["title"]:
        error(f"{where}: `# {h1[0][2:].strip()}` differs from title {meta['title']!r}")
    if not 2 <= len(h2) <= 4:
        error(f"{where}: expected 2-4 `##` sections, found {len(h2)}")
    return eff, term, status


def load_docs(doc_dir: Path):
    """doc id -> list of version records, oldest first."""
    docs: dict[str, list[dict]] = defaultdict(list)
    files = sorted(doc_dir.glob("*.md"))
    if not files:
        error(f"{doc_dir}: no documents")
    for path in files:
        parsed = parse_doc(path)
        if parsed is None:
            continue
        meta, text, body = parsed
        eff, term, status = check_doc(path, meta, body)
        docs[meta.get("id", path.name)].append({
            "path": path, "meta": meta, "text": text, "body": body, "version": meta.get("version"),
            "effective": eff, "termination": term, "retired": status == "retired",
        })
    for doc_id, versions in docs.items():
        versions.sort(key=lambda v: (v["effective"] or dt.date.min))
        labels = [v["version"] for v in versions]
        if len(set(labels)) != len(labels):
            error(f"{doc_id}: duplicate version labels {labels}")
        dates = [v["effective"] for v in versions]
        if len(set(dates)) != len(dates):
            error(f"{doc_id}: two versions share an effective_date")
        if len({v["meta"].get("title") for v in versions}) != 1:
            error(f"{doc_id}: versions have different titles")
        if len({v["path"].name.split(".v")[0] for v in versions}) != 1:
            error(f"{doc_id}: versions have different file slugs")
        for v in versions[1:]:
            if not v["meta"].get("change_summary"):
                error(f"{v['path'].name}: a later version needs change_summary")
        for v in versions[:-1]:
            if v["retired"] or v["termination"]:
                error(f"{v['path'].name}: only the last version may be retired or terminated")
    return docs


def in_force(versions: list[dict], on: dt.date):
    """The version in force on `on` under the set's contract, or None."""
    started = [v for v in versions if v["effective"] and v["effective"] <= on]
    if not started:
        return None
    latest = started[-1]
    if latest["termination"] is not None and latest["termination"] <= on:
        return None
    if latest["retired"] and latest["termination"] is None:
        return None
    return latest


# ---------------------------------------------------------------- questions


def check_questions(path: Path, docs: dict, today: dt.date):
    counts: dict[tuple[str, str], int] = defaultdict(int)
    seen_of_kind: dict[str, int] = defaultdict(int)
    try:
        raw_lines = path.read_text(encoding="utf-8").split("\n")
    except OSError as e:
        error(f"{path}: {e}")
        return counts
    n = 0
    for lineno, line in enumerate(raw_lines, 1):
        if not line.strip():
            continue
        where = f"{path.name}:{lineno}"
        try:
            q = json.loads(line)
        except json.JSONDecodeError as e:
            error(f"{where}: not JSON: {e}")
            continue
        n += 1
        qid = q.get("id", "?")
        where = f"{where} ({qid})"
        if qid != f"vt-{n:03d}":
            error(f"{where}: id should be vt-{n:03d}")
        for key in REQUIRED_Q:
            if key not in q:
                error(f"{where}: lacks `{key}`")
        for key in q:
            if key not in ALLOWED_Q:
                error(f"{where}: unknown field `{key}`")
        kind, expect, split = q.get("kind"), q.get("expect"), q.get("split")
        if kind not in KINDS:
            error(f"{where}: kind {kind!r} not in {sorted(KINDS)}")
        if expect not in EXPECTS:
            error(f"{where}: expect {expect!r} not in {sorted(EXPECTS)}")
        want_split = "tune" if seen_of_kind[kind] % 2 == 0 else "check"
        seen_of_kind[kind] += 1
        if split != want_split:
            error(f"{where}: split should be {want_split} (alternating within kind {kind})")
        counts[(kind, split)] += 1
        for key in ("docs", "versions", "key_facts", "must_not"):
            if not isinstance(q.get(key), list) or not all(isinstance(x, str) and x for x in q.get(key, [])):
                error(f"{where}: `{key}` must be a list of non-empty strings")
        if not q.get("docs") or not q.get("versions") or not q.get("key_facts"):
            error(f"{where}: docs, versions and key_facts must not be empty")
            continue
        if not 1 <= len(q["key_facts"]) <= 3:
            error(f"{where}: 1-3 key facts expected")
        if len(q["docs"]) != 1 or len(q["versions"]) != 1:
            error(f"{where}: this set names exactly one document and one version per question")
        doc_id, label = q["docs"][0], q["versions"][0]
        if doc_id not in docs:
            error(f"{where}: unknown document {doc_id}")
            continue
        named = next((v for v in docs[doc_id] if v["version"] == label), None)
        if named is None:
            error(f"{where}: {doc_id} has no version {label!r} "
                  f"(has {[v['version'] for v in docs[doc_id]]})")
            continue
        evidence = q.get("evidence", "")
        if normalise(evidence) not in normalise(named["text"]) or " ".join(evidence.split()) not in " ".join(named["text"].split()):
            error(f"{where}: evidence is not in {named['path'].name}: {evidence!r}")
        for fact in q["key_facts"]:
            if not contains_fact(evidence, fact):
                error(f"{where}: key fact {fact!r} not in the evidence")
            if expect == "answered" and contains_fact(q.get("question", ""), fact):
                error(f"{where}: key fact {fact!r} is given away by the question")
        for bad in q["must_not"]:
            if contains_fact(evidence, bad):
                error(f"{where}: must_not {bad!r} occurs in the evidence")
            if expect == "answered" and contains_fact(named["body"], bad):
                error(f"{where}: must_not {bad!r} occurs in the body of {named['path'].name}, "
                      f"so a right answer could trip it")
        if normalise(q.get("question", "")) in normalise(evidence):
            error(f"{where}: the question copies the evidence")
        if re.search(r"\b(v\d|version \d)", q.get("question", ""), re.I):
            error(f"{where}: the question names a version; this set asks by date only")

        as_of = q.get("as_of")
        when = day(as_of, f"{where}: as_of") if as_of is not None else None
        if as_of is not None and when is None:
            continue
        current = in_force(docs[doc_id], today)
        if kind == "version_current":
            if as_of is not None:
                error(f"{where}: version_current must not have as_of")
            if expect != "answered":
                error(f"{where}: version_current expects answered")
            if current is not named:
                error(f"{where}: v{label} is not in force on {today} "
                      f"(in force: {current['version'] if current else 'none'})")
        elif kind == "version_as_of":
            if when is None:
                error(f"{where}: version_as_of needs as_of")
                continue
            if expect != "answered":
                error(f"{where}: version_as_of expects answered")
            if when >= today:
                error(f"{where}: as_of {when} is not in the past")
            then = in_force(docs[doc_id], when)
            if then is not named:
                error(f"{where}: as_of {when} is outside v{label}'s effective period "
                      f"(in force then: {then['version'] if then else 'none'})")
            if current is named:
                error(f"{where}: v{label} is also the version in force today; not a version trap")
        elif kind == "version_retired":
            if expect != "withheld":
                error(f"{where}: version_retired expects withheld (answerable as_of ones are version_as_of)")
            on = when or today
            then = in_force(docs[doc_id], on)
            if then is not None:
                error(f"{where}: {doc_id} v{then['version']} is in force on {on}; nothing to withhold")
            if named is not docs[doc_id][-1] or not named["retired"]:
                error(f"{where}: a retired question names the document's last, retired version")
            if not any(contains_fact(f, "retired") for f in q["key_facts"]):
                error(f"{where}: a retired question's key facts must include 'retired'")
    return counts


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, default=root / "evals" / "version-traps")
    ap.add_argument("--today", default="2026-11-30", help="the day `version_current` questions are asked")
    args = ap.parse_args()
    today = dt.date.fromisoformat(args.today)
    docs = load_docs(args.dir / "docs")
    counts = check_questions(args.dir / "questions.jsonl", docs, today)

    n_versions = sum(len(v) for v in docs.values())
    print(f"{len(docs)} documents, {n_versions} versions")
    for doc_id, versions in sorted(docs.items()):
        now = in_force(versions, today)
        span = ", ".join(f"v{v['version']} {v['effective']}"
                         + (f"..{v['termination']} retired" if v["retired"] else "") for v in versions)
        print(f"  {doc_id}: {span}; in force {today}: {('v' + now['version']) if now else 'none'}")
    kinds = sorted({k for k, _ in counts})
    for kind in kinds:
        tune, check = counts.get((kind, "tune"), 0), counts.get((kind, "check"), 0)
        print(f"  {kind:16} {tune + check:3}  (tune {tune}, check {check})")
    print(f"  total            {sum(counts.values()):3}")
    minimums = {"version_current": 12, "version_as_of": 12, "version_retired": 6}
    for kind, least in minimums.items():
        got = counts.get((kind, "tune"), 0) + counts.get((kind, "check"), 0)
        if got < least:
            error(f"only {got} {kind} questions (at least {least} wanted)")
    if sum(counts.values()) < 36:
        error(f"only {sum(counts.values())} questions (at least 36 wanted)")
    if errors:
        print(f"\n{len(errors)} problem(s):", file=sys.stderr)
        for e in errors:
            print(f"  {e}", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
