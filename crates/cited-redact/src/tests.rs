use super::*;

fn kinds(text: &str) -> Vec<(String, &'static str)> {
    Redactor::shared()
        .find(text)
        .into_iter()
        .map(|s| (text[s.start..s.end].to_string(), s.kind.label()))
        .collect()
}

#[test]
fn every_pattern_compiles() {
    let _ = Redactor::new();
}

#[test]
fn identifiers_of_every_kind_become_placeholders() {
    let r = Redactor::shared().redact(
        "pt mary jones mrn 00482913 dob 3/14/1952, ssn 123-45-6789, call (614) 697-2336 or mj@example.com",
    );
    assert_eq!(
        r.text,
        "pt [NAME] mrn [MRN] dob [DATE], ssn [SSN], call [PHONE] or [EMAIL]"
    );
}

#[test]
fn clinical_content_survives() {
    for clean in [
        "enoxaparin 40 mg q24h, CrCl 28 mL/min, E11.9, 99213, E0601, NCD 240.4",
        "is NCD 240.4 effective 2025-03-01 or the older version?",
        "89 yo with Morse 70 — bed alarm mandatory?",
        "is it a 90-day or 12-week trial for CPAP, and is the reevaluation by the 91st day?",
        "will the max dose of enoxaparin change if creatinine rose to 2.1?",
        "BP 142/88, Apgar 8/9, 2/2 blood cultures positive",
    ] {
        assert_eq!(kinds(clean), vec![], "{clean}");
    }
}

#[test]
fn ages_over_89_only_the_digits() {
    assert_eq!(kinds("a 92 yo woman"), vec![("92".to_string(), "AGE")]);
    assert_eq!(kinds("an 89 yo woman"), vec![]);
}

#[test]
fn names_by_cue_by_list_and_by_form() {
    assert_eq!(kinds("pt mark will has a fever")[0].0, "mark will");
    assert_eq!(
        kinds("sepsis alert on robert walker now")[0].0,
        "robert walker"
    );
    assert_eq!(kinds("Mrs. Green (Braden 12) needs a wedge")[0].0, "Green");
    assert_eq!(kinds("For Butler, Anna, the dose")[0].0, "Butler, Anna");
    assert_eq!(kinds("JS, 67M, CrCl 24")[0].0, "JS");
}

#[test]
fn offsets_are_bytes_on_char_boundaries() {
    let text = "pt jérôme guichard — dob 19.11.1996 🙏";
    for span in Redactor::shared().find(text) {
        assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
    }
}

#[test]
fn any_text_is_redacted_without_panicking_and_spans_slice_it() {
    // Every prefix and suffix of texts with multi-byte capitals, initials, commas and quotes.
    let samples = [
        "Registration: Ẽvora, Ẽ. | DOB 3/4/1941 · Kowalczyk-Nowak, Bożena · SSN 123-45-6789",
        "Pt: BIN ABDULLAH, AHMAD FAUZI | mrn-0098-2211 — Harold “Hal” Whitcombe's 92F",
        "the patient Alhaji Musa Danjuma, 96 years, (hip fx, 99) ÓSÚILLEABHÁIN, Ó. 🙏 +44 20 8737 5488",
    ];
    let redactor = Redactor::shared();
    for sample in samples {
        let cuts: Vec<usize> = sample.char_indices().map(|(i, _)| i).collect();
        for &cut in &cuts {
            for text in [&sample[..cut], &sample[cut..]] {
                let redacted = redactor.redact(text);
                for span in &redacted.spans {
                    assert!(span.start < span.end && span.end <= text.len());
                    assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
                }
            }
        }
    }
}

/// Where only a person fits (a bed or a room, a record number, a death, a family), a word on a name
/// list or on none is a name even without a cue; the same words elsewhere, and times, stay.
#[test]
fn a_word_in_a_persons_place_is_a_name() {
    for (text, name) in [
        ("reyes in bed 4 needs enoxaparin?", "reyes"),
        ("Bill in 14 asking if medicare covers it", "Bill"),
        ("okafor in 14b — is enoxaparin 30 mg ok", "okafor"),
        ("Lord family at bedside, wants an update", "Lord"),
        ("00483317 Banerjee — sepsis v1 or v2?", "Banerjee"),
    ] {
        assert!(
            kinds(text).contains(&(name.to_string(), "NAME")),
            "{text}: {:?}",
            kinds(text)
        );
    }
    for clean in [
        "Patient in bed 4 needs a Foley",
        "recheck in 24h? the dose in 24 hours",
        "Family in room 3 asked about visiting hours",
        "towed from ED lot, family wants it back",
    ] {
        assert!(
            !kinds(clean).iter().any(|(_, k)| *k == "NAME"),
            "{clean}: {:?}",
            kinds(clean)
        );
    }
}

/// Record and account numbers under labels that are also words, printed in groups, or standing alone
/// with a leading zero; a dose after a record number stays.
#[test]
fn record_numbers_under_more_labels() {
    for (text, value, kind) in [
        ("MR 0093381 plt 48k, hold enox?", "0093381", "MRN"),
        ("enc 20240411-77 sepsis alert fired", "20240411-77", "MRN"),
        ("UR number 0331884 — pt from Wollongong", "0331884", "MRN"),
        ("look up 00291834 pls", "00291834", "MRN"),
        (
            "subscriber no. NWH 402 118 733 — wife is the subscriber",
            "NWH 402 118 733",
            "ACCOUNT",
        ),
        (
            "member policy # NWH88-0049913 denied",
            "NWH88-0049913",
            "ACCOUNT",
        ),
        (
            "claim ref CLM-2024-0088314 denied",
            "CLM-2024-0088314",
            "ACCOUNT",
        ),
    ] {
        assert!(
            kinds(text).contains(&(value.to_string(), kind)),
            "{text}: {:?}",
            kinds(text)
        );
    }
    let r = Redactor::shared().redact("mrn 4471920 40 mg enoxaparin, MR angiography of the neck");
    assert_eq!(
        r.text,
        "mrn [MRN] 40 mg enoxaparin, MR angiography of the neck"
    );
}

/// Employers named by what the patient does there.
#[test]
fn employers_named_by_the_work() {
    for (text, employer) in [
        (
            "Shreya teaches at Riverside Unified, needs a letter",
            "Riverside Unified",
        ),
        ("cashier @ Kroger — hba1c 8.9", "Kroger"),
        ("insurance thru Tesla, does it cover cpap", "Tesla"),
        ("she is a flight attendant for Delta and asked", "Delta"),
        (
            "fell off a ladder on a Kessler Roofing job",
            "Kessler Roofing",
        ),
    ] {
        assert!(
            kinds(text).contains(&(employer.to_string(), "EMPLOYER")),
            "{text}: {:?}",
            kinds(text)
        );
    }
}

#[test]
fn dictated_ages_record_numbers_dates_and_spellings() {
    let r = Redactor::shared().redact(
        "this is a ninety four year old female admitted march third with urosepsis, \
         medical record number four four one zero two eight seven nine, name spelled n g u y e n",
    );
    assert_eq!(
        r.text,
        "this is a [AGE] year old female admitted [DATE] with urosepsis, \
         medical record number [MRN], name spelled [NAME]"
    );
    assert_eq!(
        kinds("date of birth march third nineteen fifty two")[0].0,
        "march third nineteen fifty two"
    );
    // The same words without a person's cue are clinical content.
    for clean in [
        "give thirty mls per kilo over ninety minutes",
        "ninety percent of nights for four point two hours",
        "the march third update of the protocol",
    ] {
        assert_eq!(kinds(clean), vec![], "{clean}");
    }
}

#[test]
fn pasted_hl7_pid_segment() {
    let r = Redactor::shared()
        .redact("PID|1||00918273^^^SBH^MR||DIALLO^AMINATA||19480312|F. Padua score?");
    assert_eq!(
        r.text,
        "PID|1||[MRN]^^^SBH^MR||[NAME]||[DATE]|F. Padua score?"
    );
}

#[test]
fn addresses_written_abroad_and_rural_routes() {
    for (text, address) in [
        (
            "home to Flat 12B, 88 Nathan Road, Tsim Sha Tsui, Kowloon.",
            "Flat 12B, 88 Nathan Road, Tsim Sha Tsui, Kowloon",
        ),
        (
            "pt lives RR 2 Box 118, Cairo, WV 26337, no cell service",
            "RR 2 Box 118, Cairo, WV 26337",
        ),
        (
            "going home to Rua das Flores 112, 4050-265 Porto on enox",
            "Rua das Flores 112, 4050-265 Porto",
        ),
        (
            "lives at 14 Kestrel Close, Frome BA11 2RT and is registered",
            "14 Kestrel Close, Frome BA11 2RT",
        ),
        (
            "Pt's home: Unit 4/17 Wattle St, Brunswick VIC 3056. Medicare number",
            "Unit 4/17 Wattle St, Brunswick VIC 3056",
        ),
    ] {
        assert_eq!(
            kinds(text),
            vec![(address.to_string(), "ADDRESS")],
            "{text}"
        );
    }
}

#[test]
fn names_without_a_title_where_only_a_person_fits() {
    for (text, name) in [
        ("can kowalski get cpap if his ahi is 12", "kowalski"),
        ("hernandez’s insulin pump keeps alarming", "hernandez"),
        ("re: lindqvist — repeat lactate?", "lindqvist"),
        ("bed 12 (castellanos) fell at 0340", "castellanos"),
        ("release the records for Tigist Alemu?", "Tigist Alemu"),
        ("Bishnu Gurung fell off a ladder", "Bishnu Gurung"),
        ("dictating for mr oyelaran he fell", "oyelaran"),
        ("mr grant keeps trying to leave", "grant"),
        ("is it getting worse? -Marisol", "Marisol"),
    ] {
        assert_eq!(kinds(text), vec![(name.to_string(), "NAME")], "{text}");
    }
    // Words, not people: a device part, a score, a role in parentheses.
    for clean in [
        "a 3-wheeled device with tiller steering",
        "VTE tool here is Padua, theirs was Caprini, redo within 24h?",
        "Dr. (hospitalist) asks about the bundle",
        "Drugs that are vesicants:\n- Carmustine\n- Dacarbazine",
    ] {
        assert_eq!(kinds(clean), vec![], "{clean}");
    }
}

#[test]
fn employers_named_by_the_work_and_facilities_by_their_kind() {
    assert_eq!(
        kinds("stocks shelves nights at Greenbay Grocers, AHI 18"),
        vec![("Greenbay Grocers".to_string(), "EMPLOYER")]
    );
    assert_eq!(
        kinds("sleep study done at Lakeview Sleep Center, AHI 22"),
        vec![("Lakeview Sleep Center".to_string(), "FACILITY")]
    );
    assert_eq!(
        kinds("admitted from harborview senior living with a wound")[0],
        ("harborview senior living".to_string(), "FACILITY")
    );
}
