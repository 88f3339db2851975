//! Words that change what a clause means without changing its topic: negation and exception cues,
//! quantifiers, modality and antonyms. No local NLI model exists here (`shared/MODELS.md`), so a drafted
//! clause and the clause that supports it must agree on these by rule; the embedding score alone cannot tell
//! "give" from "do not give".

/// Lower-cased words of `text` (letters, digits and inner hyphens/apostrophes).
pub(crate) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\'' || c == '’'))
        .map(|w| {
            w.trim_matches(['-', '\'', '’'])
                .to_lowercase()
                .replace('’', "'")
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Words that negate or except what follows.
const NEGATIONS: &[&str] = &[
    "not",
    "no",
    "never",
    "none",
    "neither",
    "nor",
    "without",
    "except",
    "excepting",
    "excluding",
    "unless",
    "avoid",
    "avoided",
    "avoids",
    "contraindicated",
    "contraindication",
    "contraindications",
    "cannot",
    "can't",
    "don't",
    "doesn't",
    "didn't",
    "isn't",
    "aren't",
    "wasn't",
    "won't",
    "shouldn't",
    "mustn't",
    "excluded",
    "exclude",
    "excludes",
    "exclusion",
    "exclusions",
    "unable",
    "ineligible",
    "insufficient",
    "inadequate",
    "unnecessary",
    "unproven",
    "prohibited",
    "denied",
    "deny",
    "denies",
    "refrain",
    "withhold",
    "nothing",
    "nobody",
    "noncoverage",
];

/// "no"/"not" that belong to a comparator ("no more than", "not to exceed") do not negate the clause.
const COMPARATOR_AFTER_NEGATION: &[&str] = &[
    "more",
    "less",
    "fewer",
    "later",
    "earlier",
    "longer",
    "shorter",
    "sooner",
    "greater",
    "higher",
    "lower",
    "to",
    "exceeding",
    "exceed",
    "above",
    "below",
    "over",
    "under",
    // Set phrases that negate nothing: "not otherwise specified", "including but not limited to",
    // "not only".
    "otherwise",
    "limited",
    "only",
];

fn is_negation(word: &str, next: Option<&str>) -> bool {
    // "X rather than Y", "X instead of Y": Y is not done.
    if (word == "rather" && next == Some("than")) || (word == "instead" && next == Some("of")) {
        return true;
    }
    if matches!(word, "no" | "not") && next.is_some_and(|n| COMPARATOR_AFTER_NEGATION.contains(&n))
    {
        return false;
    }
    if NEGATIONS.contains(&word) {
        return true;
    }
    // "has failed to respond" says "has not responded".
    if matches!(word, "fail" | "fails" | "failed") && next == Some("to") {
        return true;
    }
    // "non-covered", "noncovered", "non-ambulatory": a "non" prefix negates its word.
    (word.starts_with("non-") && word.len() > 5)
        || (word.starts_with("non")
            && word.len() > 7
            && !matches!(word, "nonetheless" | "nonstandard"))
}

/// The negation cues of a clause, in order.
pub(crate) fn negations(text: &str) -> Vec<String> {
    let w = words(text);
    w.iter()
        .enumerate()
        .filter(|(i, word)| is_negation(word, w.get(i + 1).map(String::as_str)))
        .map(|(_, word)| word.clone())
        .collect()
}

/// Odd (true) when the clause is negated: "not covered" and "covered unless" are odd, "not covered unless"
/// is even. Parity, not presence, so that "is not covered unless X" and "is covered only if X" agree.
pub fn negated(text: &str) -> bool {
    negations(text).len() % 2 == 1
}

/// Content words just after each negation cue of `text`: what it negates ("not covered for snoring" →
/// covered, snoring).
fn negated_scopes(text: &str) -> Vec<Vec<String>> {
    let w = words(text);
    let mut out = Vec::new();
    for (i, word) in w.iter().enumerate() {
        if is_negation(word, w.get(i + 1).map(String::as_str)) {
            let scope: Vec<String> = w[i + 1..]
                .iter()
                .filter(|x| x.len() > 3 && !NEGATIONS.contains(&x.as_str()))
                .take(3)
                .map(|x| x.trim_end_matches('s').to_string())
                .collect();
            out.push(scope);
        }
    }
    out
}

/// A negation of the supporting clause whose object the draft restates without any negation at all:
/// "Do not give X to patients with Y" restated as "X is given to patients with Y". ("X is covered only
/// if Y" for "X is not covered unless Y" keeps its meaning through "only".)
pub(crate) fn dropped_negation(draft: &str, support: &str) -> Option<String> {
    if !negations(draft).is_empty() {
        return None;
    }
    let d: Vec<String> = words(draft)
        .into_iter()
        .map(|x| x.trim_end_matches('s').to_string())
        .collect();
    if d.iter().any(|x| x == "only") {
        return None;
    }
    let w = words(support);
    for (scope, cue) in negated_scopes(support).into_iter().zip(
        w.iter()
            .enumerate()
            .filter(|(i, x)| is_negation(x, w.get(i + 1).map(String::as_str)))
            .map(|(_, x)| x.clone()),
    ) {
        let restated = scope.iter().filter(|t| d.contains(t)).count();
        if restated >= 2 || (restated == 1 && scope.len() == 1) {
            return Some(format!("drops the cited passage's negation (\"{cue}\")"));
        }
    }
    None
}

/// Quantifier families. A clause that claims "all" needs a passage that says "all" (or "every", ...).
const QUANTIFIERS: &[(&str, &[&str])] = &[
    (
        "universal",
        &["all", "every", "each", "always", "both", "entire"],
    ),
    (
        "existential",
        &[
            "some",
            "certain",
            "selected",
            "either",
            "several",
            "occasionally",
            "sometimes",
        ],
    ),
    (
        "exclusive",
        &[
            "only",
            "solely",
            "exclusively",
            "sole",
            "limited",
            "restricted",
        ],
    ),
];

fn quantifier_families(text: &str) -> Vec<&'static str> {
    let w = words(text);
    let mut out = Vec::new();
    for (i, word) in w.iter().enumerate() {
        // "every 2 hours", "each week": an interval, not a quantifier over people or items.
        let next = w.get(i + 1).map(String::as_str).unwrap_or_default();
        let interval = matches!(word.as_str(), "every" | "each")
            && (next.chars().next().is_some_and(|c| c.is_ascii_digit())
                || matches!(
                    next,
                    "other"
                        | "day"
                        | "week"
                        | "month"
                        | "year"
                        | "hour"
                        | "shift"
                        | "night"
                        | "two"
                        | "three"
                        | "four"
                        | "six"
                        | "twelve"
                ));
        for (family, members) in QUANTIFIERS {
            let mut hit = members.contains(&word.as_str()) && !interval;
            // "one of the following" and "at least one" are existential; "all of the following" universal.
            if *family == "existential"
                && word == "one"
                && (w.get(i + 1).is_some_and(|n| n == "of")
                    || (i >= 2 && w[i - 2] == "at" && w[i - 1] == "least"))
            {
                hit = true;
            }
            if hit && !out.contains(family) {
                out.push(*family);
            }
        }
    }
    out
}

/// Why the quantifiers of a drafted clause do not match the clause that supports it, if they do not.
pub(crate) fn quantifier_mismatch(draft: &str, support: &str) -> Option<String> {
    let d = quantifier_families(draft);
    let s = quantifier_families(support);
    let sw = words(support);
    // "must", "required", "to be eligible" state a necessary condition: "only" restates it.
    let necessary = sw
        .iter()
        .any(|x| matches!(x.as_str(), "must" | "required" | "requires" | "eligible"));
    // "either X or Y" restates "X, or Y".
    let alternatives = sw.iter().any(|x| x == "or");
    for family in &d {
        if s.contains(family) {
            continue;
        }
        if *family == "exclusive" && necessary {
            continue;
        }
        if *family == "existential"
            && alternatives
            && words(draft)
                .iter()
                .filter(|x| {
                    QUANTIFIERS
                        .iter()
                        .any(|(f, m)| *f == "existential" && m.contains(&x.as_str()))
                })
                .all(|x| x == "either")
        {
            continue;
        }
        // "all", "every", "always" claim more than the passage; "each" and "both" often just restate it.
        let strong = *family == "exclusive"
            || (*family == "universal"
                && words(draft)
                    .iter()
                    .any(|x| matches!(x.as_str(), "all" | "every" | "always" | "entire")));
        let other = s.iter().any(|f| f != family);
        if strong || other {
            return Some(format!(
                "says {} where the passage does not",
                quantifier_word(draft, family)
            ));
        }
    }
    // "one of" / "either" where the passage names no alternative: the passage requires them all.
    let w = words(draft);
    let one_of = w.windows(2).any(|p| {
        (p[0] == "one" && p[1] == "of") || (p[0] == "any" && matches!(p[1].as_str(), "one" | "of"))
    }) || (w.iter().any(|x| x == "either") && !alternatives);
    if one_of && !s.contains(&"existential") && !words(support).iter().any(|x| x == "any") {
        return Some("says \"one of\" where the passage requires all".into());
    }
    if s.contains(&"existential") && d.contains(&"universal") && !s.contains(&"universal") {
        return Some("turns \"some\" into \"all\"".into());
    }
    None
}

fn quantifier_word(text: &str, family: &&str) -> String {
    let w = words(text);
    QUANTIFIERS
        .iter()
        .find(|(f, _)| f == family)
        .and_then(|(_, members)| w.iter().find(|x| members.contains(&x.as_str())).cloned())
        .map(|x| format!("\"{x}\""))
        .unwrap_or_else(|| format!("\"{family}\""))
}

const OBLIGATION: &[&str] = &[
    "must",
    "shall",
    "required",
    "requires",
    "require",
    "mandatory",
    "need",
    "needs",
];
const PERMISSION: &[&str] = &[
    "may",
    "can",
    "optional",
    "might",
    "could",
    "permitted",
    "allowed",
    "discretion",
];

/// Dropping "only" widens a restriction into a general rule (checked on the whole drafted sentence: one of
/// its clauses may carry the "only" for all of them).
pub(crate) fn drops_exclusive(draft_sentence: &str, support: &str) -> Option<String> {
    (quantifier_families(support).contains(&"exclusive")
        && !quantifier_families(draft_sentence).contains(&"exclusive"))
    .then(|| {
        format!(
            "drops \"{}\" from the passage",
            quantifier_word(support, &"exclusive")
        )
    })
}

/// "must" against "may": an obligation is not a permission.
pub(crate) fn modality_mismatch(draft: &str, support: &str) -> Option<String> {
    let d = words(draft);
    let s = words(support);
    let has = |w: &[String], set: &[&str]| w.iter().any(|x| set.contains(&x.as_str()));
    if has(&d, PERMISSION) && !has(&s, PERMISSION) && has(&s, OBLIGATION) {
        return Some("makes a requirement optional".into());
    }
    if has(&d, OBLIGATION) && !has(&s, OBLIGATION) && has(&s, PERMISSION) {
        return Some("makes an option a requirement".into());
    }
    None
}

/// Pairs whose swap inverts a condition while keeping the topic.
const ANTONYMS: &[(&str, &str)] = &[
    ("before", "after"),
    ("prior", "after"),
    ("above", "below"),
    ("higher", "lower"),
    ("increase", "decrease"),
    ("increased", "decreased"),
    ("maximum", "minimum"),
    ("inpatient", "outpatient"),
    ("inpatients", "outpatients"),
    ("adult", "pediatric"),
    ("adults", "children"),
    ("adult", "child"),
    ("adults", "pediatric"),
    ("acute", "chronic"),
    ("positive", "negative"),
    ("include", "exclude"),
    ("included", "excluded"),
    ("male", "female"),
    ("men", "women"),
    ("upper", "lower"),
    ("bilateral", "unilateral"),
    ("benign", "malignant"),
    ("mild", "severe"),
    ("early", "late"),
    ("earlier", "later"),
    ("initial", "subsequent"),
    ("initial", "continued"),
    ("symptomatic", "asymptomatic"),
    ("present", "absent"),
    ("presence", "absence"),
    ("allowed", "prohibited"),
    ("required", "optional"),
    ("mandatory", "optional"),
    ("eligible", "ineligible"),
    ("mobile", "immobile"),
    ("ambulatory", "non-ambulatory"),
    ("ambulatory", "nonambulatory"),
    ("covered", "non-covered"),
    ("covered", "noncovered"),
    ("covered", "excluded"),
    ("invasive", "noninvasive"),
    ("invasive", "non-invasive"),
    ("oral", "intravenous"),
    ("oral", "iv"),
    ("subcutaneous", "intravenous"),
    ("subcutaneously", "intravenously"),
    ("daily", "weekly"),
    ("daytime", "nighttime"),
    ("morning", "evening"),
    ("primary", "secondary"),
    ("minor", "major"),
    ("low", "high"),
    ("short", "long"),
    ("shorter", "longer"),
    ("start", "stop"),
    ("started", "stopped"),
    ("continue", "discontinue"),
    ("continued", "discontinued"),
    ("diagnosed", "undiagnosed"),
    ("controlled", "uncontrolled"),
    ("stable", "unstable"),
    ("complete", "incomplete"),
    ("successful", "unsuccessful"),
    ("improved", "worsened"),
    ("improvement", "deterioration"),
    ("responsive", "unresponsive"),
    ("treated", "untreated"),
    ("new", "established"),
    ("awake", "asleep"),
    ("attended", "unattended"),
];

/// A word of `one` negated by a prefix ("unattended", "non-ambulatory") whose base word the `other` side
/// says instead: `(prefixed word, base word)`.
fn prefixed_swap(one: &[String], other: &[String]) -> Option<(String, String)> {
    let has = |w: &[String], x: &str| w.iter().any(|y| y == x);
    one.iter()
        .filter_map(|x| {
            ["un", "non-", "non"]
                .iter()
                .find_map(|p| x.strip_prefix(p))
                .filter(|b| b.len() >= 5)
                .map(|b| (x, b))
        })
        .find(|(x, base)| has(other, base) && !has(other, x) && !has(one, base))
        .map(|(x, base)| (x.clone(), base.to_string()))
}

/// Words that name which body region, setting or population a rule is for: a question about one is not
/// answered by the rule for another.
const SCOPE_CONTRASTS: &[(&str, &str)] = &[
    ("cervical", "lumbar"),
    ("cervical", "thoracic"),
    ("thoracic", "lumbar"),
    ("neck", "back"),
    ("knee", "hip"),
    ("inpatient", "outpatient"),
    ("adult", "pediatric"),
    ("adult", "child"),
    ("adults", "children"),
    ("men", "women"),
    ("male", "female"),
];

/// A scope word of the question ("cervical", "outpatient", "children") that the answer does not use while
/// it uses the contrasting one ("lumbar", "inpatient", "adults"): `(asked, answered)`.
pub fn scope_mismatch(question: &str, answer: &str) -> Option<(String, String)> {
    let q = words(question);
    let a = words(answer);
    let has = |w: &[String], x: &str| w.iter().any(|y| y == x);
    SCOPE_CONTRASTS.iter().find_map(|(x, y)| {
        [(x, y), (y, x)]
            .into_iter()
            .find(|(asked, other)| {
                has(&q, asked) && !has(&q, other) && has(&a, other) && !has(&a, asked)
            })
            .map(|(asked, other)| (asked.to_string(), other.to_string()))
    })
}

/// A word of the draft whose antonym is what the supporting clause says instead ("outpatient" for
/// "inpatients", "unattended" for "attended", "asleep" for "awake").
pub(crate) fn antonym_swap(draft: &str, support: &str) -> Option<(String, String)> {
    let fold = |text: &str| -> Vec<String> {
        words(text)
            .into_iter()
            .map(|x| {
                if x.len() > 4 && x.ends_with('s') && !x.ends_with("ss") {
                    x[..x.len() - 1].to_string()
                } else {
                    x
                }
            })
            .collect()
    };
    let d = fold(draft);
    let s = fold(support);
    let has = |w: &[String], x: &str| w.iter().any(|y| y == x);
    // A word the draft negates ("not covered") restates its negative antonym ("non-covered"): only the
    // draft's words outside a negation are compared.
    let d_plain: Vec<String> = d
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            !d[i.saturating_sub(2)..*i]
                .iter()
                .any(|p| matches!(p.as_str(), "not" | "never" | "no" | "cannot"))
        })
        .map(|(_, w)| w.clone())
        .collect();
    for (a, b) in ANTONYMS {
        for (x, y) in [(a, b), (b, a)] {
            if has(&d_plain, x) && !has(&s, x) && has(&s, y) && !has(&d, y) {
                return Some((x.to_string(), y.to_string()));
            }
        }
    }
    // "unattended" against "attended", "non-ambulatory" against "ambulatory", and the reverse.
    if let Some((negative, base)) = prefixed_swap(&d, &s) {
        return Some((negative, base));
    }
    if let Some((negative, base)) = prefixed_swap(&s, &d_plain) {
        return Some((base, negative));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negation_parity() {
        assert!(negated("Do not give pharmacological prophylaxis."));
        assert!(!negated("Give pharmacological prophylaxis."));
        assert!(negated("Bariatric surgery is non-covered."));
        assert!(negated("It is covered unless the patient declines."));
        assert!(!negated("It is not covered unless the patient declines."));
        assert!(
            !negated("Give no more than 4 doses."),
            "a comparator, not a negation"
        );
        assert!(negated(
            "Pharmacological prophylaxis is contraindicated in active bleeding."
        ));
    }

    #[test]
    fn quantifiers_and_modality() {
        assert!(quantifier_mismatch("All patients qualify.", "Some patients qualify.").is_some());
        assert!(
            quantifier_mismatch(
                "Patients must meet all of the following criteria.",
                "Patients must meet at least one of the following criteria."
            )
            .is_some()
        );
        assert!(drops_exclusive("It is covered when X.", "It is covered only when X.").is_some());
        assert!(
            drops_exclusive("It is covered only when X.", "It is covered only when X.").is_none()
        );
        assert!(
            quantifier_mismatch("Each patient is screened.", "Every patient is screened.")
                .is_none()
        );
        assert!(
            modality_mismatch(
                "The physician may order it.",
                "The physician must order it."
            )
            .is_some()
        );
        assert!(
            modality_mismatch("It must be documented.", "It is required to be documented.")
                .is_none()
        );
    }

    #[test]
    fn antonyms() {
        assert!(antonym_swap("Screen before surgery.", "Screen after surgery.").is_some());
        assert!(antonym_swap("Screen after surgery.", "Screen after surgery.").is_none());
        assert!(antonym_swap("Covered for outpatients.", "Covered for inpatients.").is_some());
        assert!(
            antonym_swap("It is not covered.", "It is non-covered.").is_none(),
            "\"not covered\" restates \"non-covered\""
        );
        assert_eq!(
            scope_mismatch("cervical spine MRI?", "covers lumbar spine MRI"),
            Some(("cervical".into(), "lumbar".into()))
        );
        assert!(scope_mismatch("lumbar MRI?", "covers lumbar spine MRI").is_none());
    }
}
