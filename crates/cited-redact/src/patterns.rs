//! Identifiers with a recognisable form: e-mail, URL, IP, SSN, phone, numbers after their labels
//! (MRN, member, claim, serial, plate), dates, ages over 89, ZIP codes, street addresses, employers
//! and outside facilities.

use crate::{Candidate, PhiKind};
use regex::{Captures, Regex};

/// Higher wins an overlap: a labelled number beats the phone pattern it also matches, an address
/// beats the ZIP inside it, anything with a form beats a name.
pub(crate) mod priority {
    pub const EMAIL: u8 = 100;
    pub const URL: u8 = 95;
    pub const IP: u8 = 92;
    pub const LABELLED: u8 = 90;
    pub const SSN: u8 = 85;
    pub const ADDRESS: u8 = 80;
    pub const DATE: u8 = 75;
    pub const PHONE: u8 = 70;
    pub const ORGANISATION: u8 = 65;
    pub const ZIP: u8 = 60;
    pub const AGE: u8 = 60;
}

const MONTH: &str = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?";

/// Street suffixes (USPS), capitalised in the pattern that needs no city/state tail.
const STREET: &str = r"(?:Street|Streets|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Run|Mews|Path|Land|Valley|Valleys|Mission|Mountain|Mountains|Stravenue|River|Alley|Branch|Bridge|Brook|Brooks|Burg|Bypass|Camp|Canyon|Cape|Causeway|Center|Centers|Cliff|Cliffs|Club|Common|Commons|Corner|Corners|Course|Courts|Cove|Coves|Creek|Crescent|Crest|Crossing|Crossroad|Curve|Dale|Dam|Divide|Drives|Estate|Estates|Expressway|Extension|Extensions|Falls|Ferry|Field|Fields|Flat|Flats|Ford|Fords|Forest|Forge|Forges|Fork|Forks|Fort|Freeway|Garden|Gardens|Gateway|Glen|Glens|Green|Greens|Grove|Groves|Harbor|Harbors|Haven|Heights|Hill|Hills|Hollow|Inlet|Island|Islands|Isle|Junction|Junctions|Key|Keys|Knoll|Knolls|Lake|Lakes|Landing|Light|Lights|Loaf|Lock|Locks|Lodge|Loop|Mall|Manor|Manors|Meadow|Meadows|Mill|Mills|Motorway|Mount|Neck|Orchard|Oval|Overpass|Park|Parks|Parkways|Pass|Passage|Pike|Pine|Pines|Plain|Plains|Plaza|Point|Points|Port|Ports|Prairie|Radial|Ramp|Ranch|Rapid|Rapids|Rest|Ridge|Ridges|Roads|Route|Row|Rue|Shoal|Shoals|Shore|Shores|Skyway|Spring|Springs|Spur|Spurs|Square|Squares|Station|Stream|Summit|Terrace|Throughway|Trace|Track|Trafficway|Trail|Trailer|Tunnel|Turnpike|Underpass|Union|Unions|Valley|Via|Viaduct|View|Views|Village|Villages|Ville|Vista|Walk|Walks|Wall|Ways|Well|Wells|Close|Rise|Parade|Croft|Quay|Wharf|Vale|Approach|Esplanade|Wynd)";

const STATES: &str = r"(?:A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI|S[CD]|T[NX]|UT|V[AT]|W[AIVY]|PR|GU|VI)";

pub(crate) struct Patterns {
    email: Regex,
    url: Regex,
    bare_url: Regex,
    ipv4: Regex,
    ipv6: Regex,
    ssn: Regex,
    ssn_labelled: Regex,
    labelled: Vec<(Regex, PhiKind)>,
    mbi: Regex,
    vin: Regex,
    paren_id: Regex,
    udi: Regex,
    device_id: Regex,
    po_box: Regex,
    street_first: Regex,
    unit_before: Regex,
    place_after: Regex,
    street_lower: Regex,
    company: Regex,
    moved_to: Regex,
    employee_of: Regex,
    phone: Vec<Regex>,
    dates: Vec<(Regex, DateShape)>,
    age_after: Regex,
    age_sex: Regex,
    age_before: Regex,
    age_person: Regex,
    age_years: Regex,
    ordinal_day: Regex,
    age_slash_sex: Regex,
    zip_labelled: Regex,
    zip_plus4: Regex,
    zip_place: Regex,
    address: Regex,
    address_any_case: Regex,
    employer: Regex,
    facility: Regex,
    facility_lower: Regex,
    policy_cue: Regex,
    policy_after: Regex,
    person_cue: Regex,
    test_cue: Regex,
    event_cue: Regex,
}

/// How sure a date pattern is that it is a date, and what it needs to count as a person's date.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DateShape {
    /// Day, month and year: redacted unless a policy word says it is a policy's date.
    Full,
    /// Month and year, or day and month: only after a person's cue (dob, admitted, …).
    Partial,
}

pub(crate) fn re(pattern: &str) -> Regex {
    // ASCII word boundaries: with Unicode ones the regex engine cannot use its DFA on text with accents
    // and a 2 KB question took 5 ms instead of well under 1.
    let pattern = pattern.replace(r"\b", r"(?-u:\b)");
    // The patterns are constants of this file; a test compiles every one of them. A larger lazy-DFA
    // cache: with the default, texts full of accents and emoji filled it and the engine fell back to
    // its slower matcher for a few texts in a hundred.
    regex::RegexBuilder::new(&pattern)
        .dfa_size_limit(32 << 20)
        .build()
        .unwrap_or_else(|e| panic!("redaction pattern does not compile: {e}"))
}

impl Patterns {
    pub(crate) fn new() -> Patterns {
        // One token ("A0094412", "7740-W229104773"), or digit groups as cards print them ("NWH 402 118
        // 733", "DOD 1193 2847 01"): groups of 3-4 digits, so "mrn 4471920 40 mg" keeps its dose.
        let id = r"((?:[A-Za-z]{1,4}\s)?\d{3,4}(?:\s\d{3,4}){1,2}(?:\s\d{2})?\b|[A-Za-z0-9][A-Za-z0-9/-]{3,}[A-Za-z0-9])";
        // "member policy # …", "claim ref …": a second label word may sit between the label and the value.
        let label_tail = r"(?:\s+(?:policy|ref|reference|id|card))?\s*(?:#|no\.?|number|num|id|is|es)?\s*[:#-]?\s*(?:is\s+|es\s+|was\s+)?";
        let labelled = vec![
            (
                re(&format!(
                    r"(?i)\b(?:e?mrn|mr\s?#|mr\s?no\.?|med(?:ical)?\s+rec(?:ord)?s?|chart|hosp(?:ital)?\s*(?:#|no\.?|number|id)|(?:pt|patient)\s*(?:id|#|no\.?|number)|record\s*(?:#|no\.?|number)|emr\s*(?:#|id|no\.?)|unit\s+(?:number|no\.?|#)|csn|fin|har|encounter\s*(?:#|no\.?|number|id)?|enc\s*#|visit\s*(?:#|no\.?|number|id)|epic\s*(?:#|id|no\.?)|cerner\s*(?:#|id)|id\s*[#:]|identifier|pid|uhid|empi|ip\s*(?:no\.?|#|number)|id\s+(?:no\.?|number)|nhs\s*(?:no\.?|number|#)?|hosp(?:ital)?\s+no\.?|ur\s*(?:#|no\.?|number)|folder\s*(?:#|no\.?|number)|(?:old|prior|previous)\s+mrn(?:\s+from\s+[\w.'’ ]{{2,30}}?)?){label_tail}{id}"
                )),
                PhiKind::Mrn,
            ),
            // Labels that are words too ("MR angiography", "record the dose"): only a number follows.
            (
                re(r"(?i)\b(?:mr|record|rec|enc|chart|hn)\s*[:#]?\s*(\d[\d-]{4,}\d)\b"),
                PhiKind::Mrn,
            ),
            // A number of 6 to 10 digits with a leading zero stands alone only as a record number: codes,
            // doses, phone numbers and lab values do not start with 0.
            (
                re(r"(?:^|[\s(])(0\d{5,9})(?:$|[\s),;:?!]|\.(?:\s|$))"),
                PhiKind::Mrn,
            ),
            (
                re(&format!(
                    r"(?i)\b(?:member(?:ship)?|mbi|hicn|medicare\s+(?:id|number|#|no\.?)|medicaid|claim|acct|account|subscriber|insurance|ins\.?\s*(?:id|#|no\.?|number)|policy\s*(?:#|no\.?|number|id)|group(?:\s*(?:#|no\.?|number))?|plan\s*(?:id|#)|beneficiary\s*(?:id|#|no\.?|number)|(?:prior\s+)?auth(?:ori[sz]ation)?(?:\s*(?:#|no\.?|number))?|case\s*(?:#|no\.?|number)|ref(?:erence)?\s*(?:#|no\.?|number)|invoice|billing\s*(?:#|no\.?|number)|mem\.?\s*(?:id|#)|payer\s*(?:id|#)|(?:bcbs|bcbsma|aetna|uhc|cigna|humana|kaiser|anthem|tricare|medi-?cal|masshealth|northwind|harbor)\s*(?:member\s*)?(?:id|#|number|no\.?|card)|grp(?:/mbr)?|mcd|philhealth|ohip|hmo(?:\s+card)?|medical\s+aid|card\s*(?:no\.?|#|number)|(?:health|insurer|insurance)\s+card|(?:pa|auth|prior\s+auth)\s+ref(?:erence)?|(?:travel\s+)?ins(?:urance)?\s+policy|fsa|hsa){label_tail}{id}"
                )),
                PhiKind::Account,
            ),
            (
                re(&format!(
                    r"(?i)\b(?:serial|ser\s*#|s/n|sn|udi|imei|mac\s+address|(?:device|implant|pacemaker|pacer|icd|defib(?:rillator)?|pump|cgm|transmitter|sensor|meter|monitor|stimulator|generator|lead|cpap|bipap|machine|concentrator|wheelchair|hearing\s+aid|processor|unit)\s*(?:id|#|no\.?|number|serial(?:\s*(?:#|no\.?|number))?|s/n|sn)){label_tail}{id}"
                )),
                PhiKind::Device,
            ),
            (
                re(r"(?i:\b(?:vin)\s*(?:#|no\.?|number)?\s*[:#]?\s*)([A-HJ-NPR-Z0-9]{11,17})\b"),
                PhiKind::Vehicle,
            ),
            (
                re(
                    r"(?i:\b(?:plate|reg(?:istration)?|licen[sc]e\s+plate|licen[sc]e\s+(?:#|no\.?|number)|tag)\s*(?:#|no\.?|number)?\s*[:#]?\s*)([A-Z0-9]{1,8}(?:[ -][A-Z0-9]{1,4})?)\b",
                ),
                PhiKind::Vehicle,
            ),
        ];
        let device_id = re(
            r"(?i)\b(?:pacemaker|pacer|icd|defibrillator|insulin\s+pump|pump|cgm|transmitter|sensor|glucometer|stimulator|generator|implant|concentrator|hearing\s+aid|device|cpap|bipap|machine)\s+\(?([A-Z0-9][A-Z0-9-]{4,}[A-Z0-9])\b",
        );
        let udi = re(r"(?i)\budi\s*[:#]?\s*(\(\d{2}\)[0-9A-Za-z()]{6,})");
        let phone = vec![
            // +CC then groups: +44 20 8737 5488, +1 (206) 276-2971, +52 55 9345 5071
            re(r"\+\d{1,3}(?:[\s.-]*\(?\d{1,4}\)?){2,5}"),
            // 00 international prefix: 0049 30 123456
            re(r"\b00\d{1,3}(?:[ .]\d{2,6}){2,4}\b"),
            // North American: (614) 697-2336, 1-503-396-7092, 206.892.2872, 919 259 1592
            re(
                r"(?:\b1[\s.-]?)?(?:\(\d{3}\)\s*|\b\d{3}[\s.-])\d{3}[\s.-]\d{4}\b(?:\s*(?:ext\.?|x)\s*\d{1,5}\b)?",
            ),
            // Area code in parentheses, other countries: (02) 4618 9619
            re(r"\(\d{2,4}\)\s*\d{3,4}[\s.-]?\d{3,5}\b"),
            // National numbers with a trunk 0: 07700 900 412, 0412 345 678, 0803 555 0192.
            re(r"\b0\d{2,4}[ -]\d{3,4}[ -]\d{3,4}\b"),
            // UK mobiles and other five-six groups: 07700 900461.
            re(r"\b0\d{4}[ -]?\d{6}\b"),
            // Ten or eleven bare digits.
            re(r"\b1?\d{10}\b"),
        ];
        let dates = vec![
            (
                re(r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b"),
                DateShape::Full,
            ),
            (re(r"\b\d{4}-\d{1,2}-\d{1,2}\b"), DateShape::Full),
            (re(r"\b\d{4}/\d{1,2}/\d{1,2}\b"), DateShape::Full),
            (
                re(&format!(
                    r"(?i)\b\d{{1,2}}(?:st|nd|rd|th)?[\s-]+{MONTH}(?:[\s,-]+\d{{4}}|-\d{{2}})\b"
                )),
                DateShape::Full,
            ),
            (
                re(&format!(
                    r"(?i)\b{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"
                )),
                DateShape::Full,
            ),
            (re(r"\b\d{1,2}/\d{4}\b"), DateShape::Partial),
            (
                re(&format!(
                    r"(?i)\b\d{{1,2}}(?:st|nd|rd|th)\s+of\s+{MONTH}(?:\s+\d{{4}})?"
                )),
                DateShape::Partial,
            ),
            (
                re(&format!(r"(?i)\b{MONTH}\s+\d{{4}}\b")),
                DateShape::Partial,
            ),
            (re(r"\b\d{1,2}/\d{1,2}\b"), DateShape::Partial),
            (
                re(&format!(r"(?i)\b{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b")),
                DateShape::Partial,
            ),
            (
                re(&format!(
                    r"(?i)\b\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH}(?:\s|$)"
                )),
                DateShape::Partial,
            ),
        ];
        Patterns {
            email: re(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
            url: re(r"(?i)\b(?:https?://|www\.)[^\s<>\x22]+"),
            bare_url: re(
                r"(?i)\b(?:[a-z0-9-]+\.)+(?:com|org|net|info|io|me|co|us|health|app|ly|gl|biz)/[^\s<>\x22]*",
            ),
            ipv4: re(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"),
            ipv6: re(r"(?i)(?:\b|::)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}\b"),
            ssn: re(r"\b\d{3}([- ])\d{2}([- ])\d{4}\b"),
            ssn_labelled: re(
                r"(?i)\b(?:ssn|ss#|soc\.?\s*sec\.?|social\s+security(?:\s+(?:number|no\.?|#))?|last\s+(?:4|four)(?:\s+digits)?\s+of\s+(?:the\s+|her\s+|his\s+)?(?:ssn|ss|social)|ssn\s+last\s+(?:4|four))\s*(?:#|no\.?|number|is)?\s*[:#]?\s*(\d{3}[- ]?\d{2}[- ]?\d{4}|\d{4})\b",
            ),
            labelled,
            mbi: re(r"\b[1-9][A-Z][A-Z0-9]\d-?[A-Z][A-Z0-9]\d-?[A-Z]{2}\d{2}\b"),
            vin: re(r"\b[A-HJ-NPR-Z0-9]{17}\b"),
            paren_id: re(r"\(([A-Z]{1,3}\d{6,10})\)"),
            udi,
            device_id,
            po_box: re(&format!(
                r"(?i)\b(?:p\.?\s?o\.?\s+box|(?:rr|r\.r\.|rt|rte|rural\s+route|hc)\s*\d+,?\s+box)\s+\d+\b(?:,\s*[a-z][a-z.'-]*(?:\s+[a-z][a-z.'-]*){{0,3}},\s*(?-i:{STATES}|{lower_states})\s+\d{{5}}(?:-\d{{4}})?\b)?",
                lower_states = STATES.to_lowercase()
            )),
            // Streets named before their number ("Rua das Flores 112", "Calle 8 #45-12") and Philippine
            // block-and-lot addresses ("Blk 12 Lot 7 Mabini St").
            street_first: re(
                r"\b(?:(?:Rua|Calle|Avenida|Avda\.?|Carrera|Rue|Via|Viale|Jalan|Jl\.)\s+(?:[A-Za-zÀ-ÿ'.-]+\s+){0,4}?#?\d+[A-Za-z]?(?:[-/]\d+)?(?:\s*#\s*\d+(?:-\d+)?)?|(?:Blk|Block)\s+\d+[A-Za-z]?\s+Lot\s+\d+[A-Za-z]?(?:\s+[A-Z][\w'.-]*){0,3})",
            ),
            // "Unit 5, ", "Flat 12B, " right before a street address.
            unit_before: re(
                r"(?i)\b(?:unit|flat|apt\.?|apartment|suite|ste\.?)\s*#?[a-z0-9-]{1,6}(?:,?\s*|/)$",
            ),
            // What follows a street line: a place, a state or province with its postal code, a postal
            // code with its city, a route number.
            place_after: re(
                r"^(?:\s+\d{1,4})?,\s*(?:(?:(?:[A-Z][A-Za-z'-]*\s+)?[A-Z]{2,3}\s+(?:\d{4,5}(?:-\d{4})?|[A-Z]\d[A-Z]\s?\d[A-Z]\d))|(?:\d{4}(?:-\d{3})?\s+[A-Z][A-Za-z'.-]*(?:\s+[A-Z][A-Za-z'.-]*){0,2})|(?:[A-Z][A-Za-zÀ-ÿ'.-]*(?:\s+[A-Z][a-zà-ÿ][A-Za-zÀ-ÿ'.-]*){0,2}\s+[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2})|(?:[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2})|(?:(?:[A-Z][a-z]{0,2}\.|[A-Z][A-Za-zÀ-ÿ'-]*)(?:\s+(?:[A-Z][a-z]{0,2}\.|[A-Z][A-Za-zÀ-ÿ'-]*)){0,3}))",
            ),
            street_lower: re(
                r"(?i)\b\d{2,6}\s+(?:[nsew]\.?\s+)?[a-z]+(?:\s+[a-z]+)?\s+(?:st|ave|rd|blvd|ln|street|avenue|road|lane|boulevard)\b\.?",
            ),
            employee_of: re(
                r"\b([A-Z][\w'&.-]*(?:\s+[A-Z][\w'&.-]*){0,2}?)(?:'s|’s)?\s+(?:employee|worker|staff\s+member|driver|associate|retiree|warehouse|job|pension|plan)\b",
            ),
            moved_to: re(
                r"(?i:\b(?:transferred|transfer|discharged|d/c'?d?|admitted|sent|rehab|stayed|resides|resident)\s+(?:to|from|at|in)\s+)((?:[A-Z][\w'.-]*\s+){0,3}[A-Z][\w'.-]*)",
            ),
            company: re(
                r"\b[A-Z][\w'&.-]*(?:\s+(?:&\s+)?[A-Z][\w'&.-]*){0,3}\s+(?:Inc|LLC|Ltd|Corp|Corporation|PLC|Co|Company|Industries|Logistics|Holdings|Plumbing|Foods|Construction|Manufacturing|Trucking|Farms|Grocers|Grocery|Hotel|Poultry|Cold\s+Storage|Steel|Distribution|Fulfil?ment|Warehouse|Supermarket|Motors|Bakery|Restaurant|Diner|Casino|Airlines|Freight|Packaging|Plastics|Lumber|Dairy|Meats|Depot|Mining|Growers|Stevedoring|Roofing|Credit\s+Union)\b\.?",
            ),
            phone,
            dates,
            age_after: re(
                r"(?i)\b(\d{2,3})(?:\s*-?\s*(?:years?|yrs?)[\s-]*old\b|\s*-?\s*year-old\b|\s*yo\b|\s*y/o\b|\s*y\.o\.|\s*yr\b|\s+(?:años|anos|tuổi))",
            ),
            age_sex: re(r"\b(\d{2,3})\s?y?[MF]\b"),
            age_before: re(r"(?i)\b(?:age|aged)\s*[:(]?\s*(\d{2,3})\b"),
            age_person: re(
                r"(?i)\b(?:he|she|pt|patient|who|mom|mum|dad|mother|father|grandmother|grandfather|grandma|grandpa)(?:\s+is|\s+was|'s|’s)\s+(?:now\s+)?(\d{2,3})\b",
            ),
            ordinal_day: re(
                r"(?i)\b(?:on|was|by|until|since|from|before|after)\s+the\s+(\d{1,2}(?:st|nd|rd|th))\b",
            ),
            age_years: re(r"(?i)\b(\d{2,3})\s+(?:years?|yrs?)\b"),
            age_slash_sex: re(r"\b(\d{2,3})\s*/\s*[MF]\b"),
            zip_labelled: re(r"(?i)\bzip(?:\s*code)?\b[^\d\n]{0,25}?(\d{5}(?:-\d{4})?)\b"),
            zip_plus4: re(r"(?:^|[^\d-])(\d{5}-\d{4})\b"),
            // "lives in 02124", "chairs near 98108": five digits where a place goes.
            zip_place: re(
                r"(?i)\b(?:near|pt\s+in|lives\s+in|living\s+in|resides\s+in|moved\s+to|area|around)\s+(\d{5})(?:$|[\s,.;:?!)])",
            ),
            address: re(&format!(
                r"\b\d{{2,6}}\s+(?:[NSEW]\.?\s+)?(?:[A-Z][A-Za-z'.-]*\s+){{1,3}}{STREET}\b\.?(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b)?(?:,?\s+(?:Apt\.?|Suite|Ste\.?|Unit|#)\s*[A-Za-z0-9-]+)?(?:,\s*[A-Z][A-Za-z.'-]*(?:\s+[A-Z][A-Za-z.'-]*){{0,3}},\s*{STATES}\s+\d{{5}}(?:-\d{{4}})?)?"
            )),
            address_any_case: re(&format!(
                r"(?i)\b\d{{1,6}}\s+(?:[a-z][a-z'.-]*\s+){{1,4}}[a-z]+\.?(?:,?\s+(?:apt\.?|suite|ste\.?|unit|#)\s*[a-z0-9-]+)?,\s*[a-z][a-z.'-]*(?:\s+[a-z][a-z.'-]*){{0,3}},\s*(?-i:{STATES}|{lower_states})\s+\d{{5}}(?:-\d{{4}})?\b",
                lower_states = STATES.to_lowercase()
            )),
            employer: re(
                r"(?i:\b(?:works?\s+(?:at|for)|works?\s+(?:part[\s-]time|full[\s-]time|nights|days|overnights|weekends|shifts)\s+(?:at|for)|part[\s-]time\s+(?:at|for)|full[\s-]time\s+(?:at|for)|drives\s+for|employer\s+(?:in\s+the\s+question\s+)?(?:was|is)|employee\s+(?:of|at)|(?:workplace|company|occupation|employer)\s*[:=]|(?:injured|hurt)\s+at\s+work\s+(?:at|for)|works?\s+(?:retail|construction|security|maintenance|housekeeping|shipping|delivery|nights|days)\s+(?:at|for)|(?:his|her|their)\s+(?:job|work)\s+(?:at|with|for)|works?\s+(?:in|on)\s+the\s+\w+\s+(?:at|for)|working\s+(?:at|for)|employed\s+(?:by|at|with)|employer(?:\s+is)?|job\s+(?:at|with)|works\s+as\s+an?\s+\w+\s+(?:at|for)|(?:clerk|driver|nurse|teacher|cashier|manager|technician|mechanic|engineer|worker|employee|staff|contractor|laborer|electrician|welder|janitor|cook|server|attendant|picker|conductor|machinist|operator|cleaner|housekeeper|guard|receptionist|accountant|analyst|developer|pilot|firefighter|officer|paramedic|carpenter|plumber|roofer|painter|miner|trucker|bartender|waiter|waitress|barista|stocker|supervisor|foreman|custodian|secretary|assistant|aide|volunteer|intern|professor|librarian|baker|butcher|chef|dishwasher|landscaper|courier|dispatcher|lineman|logger|farmhand|loader|packer|installer|rep|scientist|programmer|lawyer|paralegal|banker|teller|retiree|apprentice|stevedore|porter|doorman|concierge|valet|nanny|caregiver|boss)\s+(?:at|for|@|with)(?:\s+the)?|teach(?:es|ing)?\s+at|retired\s+from(?:\s+the)?|(?:insurance|coverage|covered|insured|plan|benefits|subscriber)\s+(?:is\s+)?(?:thru|through|via)|works?\s+(?:in|on)\s+\w+\s+(?:at|for)|(?:drives|operates|runs)\s+an?\s+\w+(?:\s+\w+)?\s+(?:at|for)|employer\s*\(|drives|plan\s+(?:at|from)|(?:stocks|cleans|picks|packs|delivers|serves|cooks|guards|sells|builds|loads|unloads|sorts|bags|washes|waits|tends|welds|paints|repairs|installs|manages|supervises|cuts|does\s+(?:security|maintenance|housekeeping|deliveries|janitorial|construction|nights|days|shifts))(?:\s+[a-z]+){0,2}\s+(?:at|for)(?:\s+the)?)[:,]?\s+)([A-Z][\w'&.-]*(?:(?:,\s+|\s+(?:and|&)\s+|\s+|-)[A-Z][\w'&.-]*){0,4})",
            ),
            facility: re(
                r"(?i:\b(?:from|at|to|in|registered\s+with)\s+)((?:[A-Z][\w'.-]*\s+(?:(?:of|de|del|la|and|&)\s+)?){1,4}(?:General\s+Hospital|Hospital|Medical\s+Cent(?:er|re)|Clinic|Nursing\s+(?:and|&)\s+Rehab(?:ilitation)?(?:\s+Cent(?:er|re))?|Skilled\s+Nursing(?:\s+Facility)?|Rehabilitation(?:\s+(?:Center|Centre|Hospital))?|Rehab(?:\s+Center)?|Nursing\s+Home|Care\s+Cent(?:er|re)|Health\s+Cent(?:er|re)|Hospice|Infirmary|Urgent\s+Care|Surgery\s+Cent(?:er|re)|Assisted\s+Living(?:\s+(?:Facility|Center|Community))?|Memorial(?:\s+Hospital)?|Health\s+System|Nursing\s+(?:Center|Centre|Facility)|Care\s+Home|Senior\s+Living|Medical\s+Group|Behavioral\s+Health|Dialysis(?:\s+Center)?|Infusion\s+Center|Cancer\s+Center|Children's(?:\s+Hospital)?|ER|Emergency\s+Room|Memory\s+Care|Regional|Sleep\s+(?:Cent(?:er|re)|Lab|Clinic|Institute|Diagnostics)|Cardiology|Orthop(?:a)?edics|Oncology|Imaging\s+Cent(?:er|re)|Radiology|Pulmonology|Nephrology|Manor|Home\s+Health|Medical\s+Associates|Physical\s+Therapy|Wound\s+(?:Care\s+)?Cent(?:er|re)|SNF|LTACH|Practice|Medical\s+Practice|Frail\s+Care|Post-Acute|Board\s+(?:&|and)\s+Care|MinuteClinic|Aged\s+Care|Transitional\s+Care|Acute\s+Rehab|Teaching\s+Hospital|Home\s+of(?:\s+[A-Z][\w'.-]*){1,3})\b(?:\s+[A-Z][\w'.-]*){0,2}|Klini(?:kum|k)\s+[A-Z][\w-]*(?:\s+am\s+[A-Z][\w-]*)?|Klinikum\s+[A-Z][\w-]*|Hôpital\s+[A-Z][\w-]*(?:\s+[A-Z][\w-]*)?)",
            ),
            // "admitted from harborview senior living": a named facility typed in lower case, only with
            // a type word that is never anything else.
            facility_lower: re(
                r"\b(?:from|at|to)\s+((?:[A-Za-z][a-z'.-]*\s+){1,3}(?:senior\s+living|nursing\s+home|manor|assisted\s+living|snf|rehab\s+cent(?:er|re)|care\s+cent(?:er|re)|dialysis\s+cent(?:er|re)|sleep\s+cent(?:er|re)|urgent\s+care))\b",
            ),
            // After a date, only words that make it a document's date: "the June 2024 update",
            // "On March 28, 2002, CMS determined".
            policy_after: re(
                r"(?i)\b(?:updat\w*|revision|revised|version|edition|release|effective|transmittal|decision|cms|medicare|centers\s+for|federal|register)\b",
            ),
            person_cue: re(
                r"(?i)(?:\b(?:dob|born|birth\w*|adm|admit\w*|admission|discharg\w*|died|death|deceased|dos|dod|expired)\b|\bd\.o\.b\b|\bd/c|\bs/p\b)",
            ),
            // A test or visit of the patient's shortly before a month and year: "last ABG 09/2024", "echo
            // from … Feb 2025".
            test_cue: re(
                r"(?i)\b(?:abg|echo|labs?|a1c|hba1c|sleep\s+study|psg|hst|biopsy|ekg|ecg|eeg|colonoscopy|mammogram|ultrasound|ct|mri|x-?ray|scan|pft|culture|seen|visit|surgery|procedure|fell|fall)\b",
            ),
            // An event of the patient's right before a date without a year: "surgery on", "seen 3/2".
            event_cue: re(
                r"(?i)\b(?:surgery|procedure|seen|visit|onset|fell|fall|injur\w*|op|presented|arrived|transferred|started|stopped|resume|restart\w*|last\s+dose|dose\s+was|tested|scan|ct|mri|x-?ray|delivered|since|intubated|extubated|shot|vaccin\w*|given|got|admitted|adm|discharged|d/c|dos|came|transfer|readmitted|abg|echo|labs?|a1c|study|done|performed|drawn|biopsy|ekg|ecg|eeg|colonoscopy|ultrasound|culture|began|begun)\b",
            ),
            policy_cue: re(
                r"(?i)\b(?:effective|eff\.?|as\s+of|as-of|version|v\d+(?:\.\d+)?|revis\w*|updat\w*|retire\w*|terminat\w*|supersed\w*|replac\w*|polic\w*|protocol|in\s+force|in\s+effect|ncd|lcd|published|issued|approved|dated|on\s+or\s+(?:after|before)|prior\s+to|versi[oó]n|vigente|vigor|between|through|until|register|notice|claims|covered|coverage|excluded|medicare|cms|food\s+and\s+drug|fda|commission|implementation|transmittal|at\s+this\s+time|rendered|up\s+to|established|regulations?|decision|announced|determin\w*|federal|pharmacopoeia|statute|enacted|program|standards|classified|centers\s+for)\b",
            ),
        }
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Candidate>) {
        let push = |out: &mut Vec<Candidate>, start: usize, end: usize, kind, priority| {
            out.push(Candidate {
                start,
                end,
                kind,
                priority,
            })
        };
        for m in self.email.find_iter(text) {
            // A government agency's address in a policy ("…@cms.hhs.gov") names no patient.
            if !m.as_str().to_ascii_lowercase().ends_with(".gov") {
                push(out, m.start(), m.end(), PhiKind::Email, priority::EMAIL);
            }
        }
        for m in self
            .url
            .find_iter(text)
            .chain(self.bare_url.find_iter(text))
        {
            let end = m.start() + trim_trailing(m.as_str());
            if !is_public_url(&text[m.start()..end]) {
                push(out, m.start(), end, PhiKind::Url, priority::URL);
            }
        }
        for m in self.ipv4.find_iter(text) {
            if m.as_str().parse::<std::net::Ipv4Addr>().is_ok()
                && !preceded_by_version(text, m.start())
            {
                push(out, m.start(), m.end(), PhiKind::Ip, priority::IP);
            }
        }
        for m in self.ipv6.find_iter(text) {
            let s = m.as_str();
            if s.matches(':').count() >= 2 && s.parse::<std::net::Ipv6Addr>().is_ok() {
                push(out, m.start(), m.end(), PhiKind::Ip, priority::IP);
            }
        }
        for c in self.ssn.captures_iter(text) {
            // The same separator twice: 123-45-6789 or 123 45 6789, not a phone-like 123-45 6789.
            if c[1] == c[2] {
                let m = c.get(0).map_or(0..0, |m| m.range());
                push(out, m.start, m.end, PhiKind::Ssn, priority::SSN);
            }
        }
        for c in self.ssn_labelled.captures_iter(text) {
            push_group(out, &c, 1, PhiKind::Ssn, priority::LABELLED);
        }
        for (pattern, kind) in &self.labelled {
            for c in pattern.captures_iter(text) {
                let Some(m) = c.get(1) else { continue };
                let value = m.as_str();
                let digits = value.chars().filter(char::is_ascii_digit).count();
                let ok = match kind {
                    PhiKind::Vehicle => {
                        digits >= 1 && value.chars().any(|c| c.is_ascii_alphabetic())
                            || value.len() == 17
                    }
                    _ => digits >= 3 && !is_document_id(value),
                };
                if ok {
                    push(out, m.start(), m.end(), *kind, priority::LABELLED);
                }
            }
        }
        for m in self.mbi.find_iter(text) {
            push(
                out,
                m.start(),
                m.end(),
                PhiKind::Account,
                priority::LABELLED,
            );
        }
        for m in self.vin.find_iter(text) {
            let s = m.as_str();
            let letters = s.chars().filter(char::is_ascii_alphabetic).count();
            if letters >= 3 && s.len() - letters >= 3 {
                push(
                    out,
                    m.start(),
                    m.end(),
                    PhiKind::Vehicle,
                    priority::LABELLED,
                );
            }
        }
        for c in self.paren_id.captures_iter(text) {
            push_group(out, &c, 1, PhiKind::Mrn, priority::LABELLED);
        }
        for c in self.device_id.captures_iter(text) {
            let Some(m) = c.get(1) else { continue };
            let value = m.as_str();
            let digits = value.chars().filter(char::is_ascii_digit).count();
            // "pump E0784" is a HCPCS code and "sensor 99213" a CPT code, not a serial number.
            let code = value.len() == 5
                && (value.chars().all(|c| c.is_ascii_digit())
                    || value.starts_with(|c: char| c.is_ascii_uppercase()) && digits == 4);
            if digits >= 3 && !code {
                push(out, m.start(), m.end(), PhiKind::Device, priority::LABELLED);
            }
        }
        for c in self.udi.captures_iter(text) {
            push_group(out, &c, 1, PhiKind::Device, priority::LABELLED);
        }
        for m in self
            .po_box
            .find_iter(text)
            .chain(self.street_lower.find_iter(text))
            .chain(self.street_first.find_iter(text))
        {
            let end = m.start() + m.as_str().trim_end_matches('.').len();
            if !has_unit_word(m.as_str()) {
                let (start, end) = self.extend_address(text, m.start(), end);
                push(out, start, end, PhiKind::Address, priority::ADDRESS);
            }
        }
        for m in self.company.find_iter(text) {
            let (start, end) = trim_organisation(text, m.start(), m.end());
            if !is_payer(&text[start..end]) {
                push(
                    out,
                    start,
                    end,
                    PhiKind::Employer,
                    priority::ORGANISATION - 1,
                );
            }
        }
        for pattern in &self.phone {
            for m in pattern.find_iter(text) {
                let end = m.start() + m.as_str().trim_end_matches([' ', '.', '-']).len();
                let s = &text[m.start()..end];
                let digits = s.chars().filter(char::is_ascii_digit).count();
                if (7..=15).contains(&digits) {
                    push(out, m.start(), end, PhiKind::Phone, priority::PHONE);
                }
            }
        }
        self.find_dates(text, out);
        find_hl7_pid(text, out);
        for pattern in [
            &self.age_after,
            &self.age_sex,
            &self.age_before,
            &self.age_person,
            &self.age_years,
            &self.age_slash_sex,
        ] {
            for c in pattern.captures_iter(text) {
                let Some(m) = c.get(1) else { continue };
                let age: u32 = m.as_str().parse().unwrap_or(0);
                // "he's 90 kg": a weight, not an age; "dad's 90-day download": an interval.
                let compound = text[m.end()..].starts_with('-')
                    && !["-y", "-Y"].iter().any(|y| text[m.end()..].starts_with(y));
                let unit = text[m.end()..].trim_start().to_lowercase();
                let measured = [
                    "kg", "lb", "mg", "%", "cm", "mm", "bpm", "units", "ml", "min", "hours", "days",
                ]
                .iter()
                .any(|u| unit.starts_with(u));
                if (90..=130).contains(&age) && !measured && !compound {
                    push(out, m.start(), m.end(), PhiKind::Age, priority::AGE);
                }
            }
        }
        for c in self.zip_labelled.captures_iter(text) {
            push_group(out, &c, 1, PhiKind::Zip, priority::ZIP);
        }
        for c in self.zip_place.captures_iter(text) {
            let Some(m) = c.get(1) else { continue };
            let counted = [
                "units", "unit", "mg", "mcg", "patients", "steps", "cells", "copies", "ml", "to",
                "and", "or",
            ]
            .contains(&next_word(text, m.end()).as_str());
            if !counted {
                push(out, m.start(), m.end(), PhiKind::Zip, priority::ZIP);
            }
        }
        for c in self.zip_plus4.captures_iter(text) {
            let Some(m) = c.get(1) else { continue };
            if !text[m.end()..].starts_with('-') {
                push(out, m.start(), m.end(), PhiKind::Zip, priority::ZIP);
            }
        }
        for m in self
            .address
            .find_iter(text)
            .chain(self.address_any_case.find_iter(text))
        {
            let end = m.start() + m.as_str().trim_end_matches(['.', ',']).len();
            let (start, end) = self.extend_address(text, m.start(), end);
            push(out, start, end, PhiKind::Address, priority::ADDRESS);
        }
        for c in self.employer.captures_iter(text) {
            if let Some(m) = c.get(1) {
                let (start, end) = trim_organisation(text, m.start(), m.end());
                if end > start && !is_payer(&text[start..end]) {
                    push(out, start, end, PhiKind::Employer, priority::ORGANISATION);
                }
            }
        }
        for c in self.employee_of.captures_iter(text) {
            let Some(m) = c.get(1) else { continue };
            let name = m.as_str();
            let first = name.split_whitespace().next().unwrap_or("");
            // "a Walmart employee", not "Healthcare worker" or "The driver".
            if !is_payer(name)
                && ![
                    "The",
                    "A",
                    "An",
                    "Our",
                    "Healthcare",
                    "Health",
                    "Hospital",
                    "Care",
                    "Social",
                    "Home",
                ]
                .contains(&first)
                && !sentence_initial(text, m.start())
            {
                push(
                    out,
                    m.start(),
                    m.end(),
                    PhiKind::Employer,
                    priority::ORGANISATION - 1,
                );
            }
        }
        for c in self.moved_to.captures_iter(text) {
            let Some(m) = c.get(1) else { continue };
            let name = m.as_str();
            // "transferred to ICU" is a unit; a facility's name has lower-case letters.
            if name.chars().any(char::is_lowercase) && !name.contains("Brigid") && !is_unit(name) {
                push(
                    out,
                    m.start(),
                    m.end(),
                    PhiKind::Facility,
                    priority::ORGANISATION - 2,
                );
            }
        }
        for c in self
            .facility
            .captures_iter(text)
            .chain(self.facility_lower.captures_iter(text))
        {
            if let Some(m) = c.get(1) {
                let name = m.as_str();
                // "from the nursing home" describes; "from Our Lady of Peace Infirmary" names.
                let first = name.split_whitespace().next().unwrap_or("");
                let described = first.starts_with(|c: char| c.is_lowercase())
                    && NOT_A_FACILITY_NAME.contains(&first.to_ascii_lowercase().as_str());
                if !name.contains("Brigid") && !described {
                    let (start, end) = trim_organisation(text, m.start(), m.end());
                    push(out, start, end, PhiKind::Facility, priority::ORGANISATION);
                }
            }
        }
    }

    fn find_dates(&self, text: &str, out: &mut Vec<Candidate>) {
        // "DOS was the 3rd", "d/c'd on the 21st": an ordinal day after an event of the person's; not
        // "between the 31st and 91st day".
        for c in self.ordinal_day.captures_iter(text) {
            let Some(m) = c.get(1) else { continue };
            let next_word = next_word(text, m.end());
            let counted = [
                "day",
                "days",
                "week",
                "month",
                "visit",
                "dose",
                "percentile",
                "time",
                "and",
                "or",
                "to",
            ]
            .contains(&next_word.as_str());
            let clause = clause_before(text, m.start(), 64);
            if !counted && (self.event_cue.is_match(clause) || self.person_cue.is_match(clause)) {
                out.push(Candidate {
                    start: m.start(),
                    end: m.end(),
                    kind: PhiKind::Date,
                    priority: priority::DATE,
                });
            }
        }
        let mut full: Vec<(usize, usize)> = Vec::new();
        for (pattern, shape) in &self.dates {
            for m in pattern.find_iter(text) {
                let (start, end) = (m.start(), m.start() + m.as_str().trim_end().len());
                // "February 15" inside "February 15, 2006" is the full date's business.
                if *shape == DateShape::Partial && full.iter().any(|&(s, e)| start < e && end > s) {
                    continue;
                }
                if *shape == DateShape::Full {
                    full.push((start, end));
                }
                if !plausible_date(&text[start..end]) {
                    continue;
                }
                let just_before = window_before(text, start, 16);
                // "physio started 14/01/2025", "MRI done 12 Nov 2024": an event right before the date
                // makes it the person's even with a policy's date later in the sentence.
                let person = self.person_cue_strong(just_before);
                // "the April 1, 2025 MRI PA change": a date used to name something is not a visit's.
                let named = window_before(text, start, 4).eq_ignore_ascii_case("the ");
                let event_person = *shape == DateShape::Full
                    && self.event_cue.is_match(just_before)
                    && !self.policy_cue.is_match(window_before(text, start, 48));
                let keep = match shape {
                    // A full date is the person's unless a policy word says it is a policy's date.
                    DateShape::Full => {
                        !person && !event_person && (named || self.policy_nearby(text, start, end))
                    }
                    // "June 2024", "3/14", "03/1952": a date only after a birth/admission/… cue, or
                    // an event of the person's ("surgery on Jan 5th", "seen 3/2").
                    // "dob 03/1952", "born June 1952": a month and year only right after the cue,
                    // or after a test of the person's ("last ABG 09/2024"; not "the June 2024 change").
                    DateShape::Partial if has_year(&text[start..end]) => {
                        let clause = clause_before(text, start, 48);
                        let after_test = self.test_cue.is_match(clause)
                            && !self.policy_cue.is_match(clause)
                            && !named;
                        !person && !after_test
                    }
                    DateShape::Partial => {
                        let clause = clause_before(text, start, 64);
                        // "Fri 6/20": a weekday says it is a day.
                        let weekday = window_before(text, start, 10)
                            .trim_end()
                            .rsplit(|c: char| !c.is_ascii_alphabetic())
                            .next()
                            .is_some_and(|w| WEEKDAYS.contains(&w.to_ascii_lowercase().as_str()));
                        !person
                            && !weekday
                            && !self.event_cue.is_match(clause)
                            && !self.person_cue.is_match(clause)
                    }
                };
                if !keep {
                    out.push(Candidate {
                        start,
                        end,
                        kind: PhiKind::Date,
                        priority: priority::DATE,
                    });
                }
            }
        }
    }

    /// A street line with what is written around it: the unit before ("Flat 12B, 88 Nathan Road") and
    /// up to four places after ("…, Tsim Sha Tsui, Kowloon", "…, Toronto, ON M5V 1A1"). A place is
    /// taken only when punctuation or the end of the text follows it, so "…, Jane says" stays out.
    fn extend_address(&self, text: &str, start: usize, end: usize) -> (usize, usize) {
        let start = self
            .unit_before
            .find(window_before(text, start, 24))
            .map_or(start, |m| start - (m.end() - m.start()));
        let mut end = end;
        for _ in 0..4 {
            let Some(m) = self.place_after.find(&text[end..]) else {
                break;
            };
            // "…, Kowloon." ends the sentence, not the place.
            let len = m.as_str().trim_end_matches('.').len();
            let after = &text[end + len..];
            let closes =
                after.is_empty() || after.starts_with([',', '.', ';', ')', '!', '?', '\n']);
            // A postal code says it is an address whatever follows.
            let postal = m.as_str().chars().any(|c| c.is_ascii_digit());
            if !closes && !postal {
                break;
            }
            end += len;
            // A postal code ends the address.
            if m.as_str().ends_with(|c: char| c.is_ascii_digit()) {
                break;
            }
        }
        (start, end)
    }

    /// Whether a date without digits at `start` is the person's: a birth, admission or other event of
    /// theirs earlier in the clause ("date of birth march third …", "admitted the twelfth of May").
    pub(crate) fn person_date(&self, text: &str, start: usize) -> bool {
        let clause = clause_before(text, start, 64);
        self.person_cue.is_match(clause) || self.event_cue.is_match(clause)
    }

    /// A policy word shortly before the date, or after it in the same sentence ("June 2024 update").
    fn policy_nearby(&self, text: &str, start: usize, end: usize) -> bool {
        let after = window_after(text, end, 40);
        self.policy_cue.is_match(window_before(text, start, 48))
            || self
                .policy_after
                .is_match(after.split(['.', ';', '?']).next().unwrap_or(""))
    }

    /// Cues that make a date the person's even next to a policy word: birth, admission, discharge,
    /// death, service.
    fn person_cue_strong(&self, before: &str) -> bool {
        self.person_cue.is_match(before)
    }
}

/// An HL7 v2 PID segment pasted into a question ("PID|1||00918273^^^SBH^MR||DIALLO^AMINATA||19480312|F"):
/// its identifiers sit in numbered fields, whatever they look like. PID-2 to PID-4 are patient ids,
/// PID-5 and PID-6 names, PID-7 the birth date, PID-11 the address, PID-13 and PID-14 phones, PID-18
/// the account and PID-19 the SSN.
fn find_hl7_pid(text: &str, out: &mut Vec<Candidate>) {
    for (at, _) in text.match_indices("PID|") {
        let segment_end = text[at..].find(['\n', '\r']).map_or(text.len(), |i| at + i);
        let mut field_start = at + 4;
        for (number, field) in text[at + 4..segment_end].split('|').enumerate() {
            let number = number + 1;
            let start = field_start;
            field_start += field.len() + 1;
            // The first component ("884120" of "884120^^^SBH"), or the whole field for names.
            let first = field.split('^').next().unwrap_or("");
            let (kind, len) = match number {
                2..=4 => (PhiKind::Mrn, first.len()),
                5 | 6 => (PhiKind::Name, field.trim_end_matches('^').len()),
                7 => (
                    PhiKind::Date,
                    field.chars().take_while(char::is_ascii_digit).count(),
                ),
                11 => (PhiKind::Address, field.trim_end_matches('^').len()),
                13 | 14 => (PhiKind::Phone, first.len()),
                18 => (PhiKind::Account, first.len()),
                19 => (PhiKind::Ssn, first.len()),
                _ => continue,
            };
            if len > 0 {
                out.push(Candidate {
                    start,
                    end: start + len,
                    kind,
                    priority: priority::LABELLED,
                });
            }
            if number >= 19 {
                break;
            }
        }
    }
}

/// The word right after `at` (spaces skipped), in lower case: what a number counts ("30 units").
fn next_word(text: &str, at: usize) -> String {
    text[at..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphabetic())
        .collect::<String>()
        .to_lowercase()
}

fn push_group(
    out: &mut Vec<Candidate>,
    c: &Captures<'_>,
    group: usize,
    kind: PhiKind,
    priority: u8,
) {
    if let Some(m) = c.get(group) {
        out.push(Candidate {
            start: m.start(),
            end: m.end(),
            kind,
            priority,
        });
    }
}

/// Payer policy and protocol ids ("NWH-POL-240", "SBH-PROT-001") are documents, not accounts.
fn is_document_id(value: &str) -> bool {
    let upper = value.to_ascii_uppercase();
    ["-POL-", "-PROT-", "NCD", "LCD"]
        .iter()
        .any(|marker| upper.contains(marker))
}

/// At the start of the text or of a sentence.
fn sentence_initial(text: &str, at: usize) -> bool {
    let before = window_before(text, at, 4).trim_end();
    before.is_empty() || before.ends_with(['.', '!', '?', ':', ';', '—', '\n'])
}

/// A four-digit year in the date.
fn has_year(date: &str) -> bool {
    date.split(|c: char| !c.is_ascii_digit())
        .any(|p| p.len() == 4)
}

/// Up to `len` bytes before `at`, cut at the last sentence end: the clause the date belongs to.
fn clause_before(text: &str, at: usize, len: usize) -> &str {
    let window = window_before(text, at, len);
    match window.rfind(['.', '?', '!', ';', '\n']) {
        Some(i) => &window[i + 1..],
        None => window,
    }
}

/// Hospital units and departments the patient moves between inside our own hospital.
fn is_unit(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "icu",
        "ed",
        "er",
        "or",
        "pacu",
        "micu",
        "sicu",
        "nicu",
        "picu",
        "ccu",
        "step",
        "tele",
        "the",
        "home",
        "floor",
        "ward",
        "unit",
        "hospice",
        "rehab",
        "surgery",
        "radiology",
        "cath",
        "dialysis",
        "our",
        "this",
        "another",
        "outside",
        "an",
        "a",
    ]
    .iter()
    .any(|u| lower == *u || lower.starts_with(&format!("{u} ")))
}

/// "12 weeks st…": a number with a unit is a dose or an interval, never a house number.
fn has_unit_word(s: &str) -> bool {
    s.split_whitespace().skip(1).any(|w| {
        let w = w.to_ascii_lowercase();
        [
            "mg", "mcg", "g", "kg", "ml", "l", "units", "unit", "u", "hours", "hrs", "hr", "h",
            "days", "day", "weeks", "wk", "wks", "months", "mo", "years", "yrs", "min", "mins",
            "minutes", "sec", "times", "x", "doses", "dose", "tabs", "tablets", "caps", "puffs",
            "percent", "mmhg",
        ]
        .contains(&w.as_str())
    })
}

/// The payer is named in questions about its policies ("Northwind Health Plan"): not an employer.
fn is_payer(name: &str) -> bool {
    ["Health Plan", "Medicare", "Medicaid", "Insurance"]
        .iter()
        .any(|payer| name.contains(payer))
}

fn trim_trailing(s: &str) -> usize {
    s.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'', '"', ']'])
        .len()
}

/// A link is a patient identifier when it points at something personal: a portal page, a shared photo
/// or file, a call to join, a fundraiser, a user's page. Links to public pages (an agency, a journal's
/// rules, a software download) name nobody and are kept.
fn is_public_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let (host, path) = rest.split_once(['/', '?', '#']).unwrap_or((rest, ""));
    const PERSONAL_HOSTS: &[&str] = &[
        "dropbox",
        "goo.gl",
        "drive.google",
        "docs.google",
        "photos.google",
        "icloud",
        "imgur",
        "facebook",
        "instagram",
        "gofundme",
        "zoom.us",
        "doxy.me",
        "mychart",
        "portal",
        "share",
        "wetransfer",
        "box.com",
        "onedrive",
        "1drv.ms",
        "flickr",
        "tiktok",
        "twitter",
        "x.com",
        "linkedin",
        "youtu",
        "telehealth",
        "caringbridge",
        "photos",
        "givesendgo",
        "gofund",
        "fundly",
        "spotfund",
        "mealtrain",
    ];
    const PERSONAL_PATHS: &[&str] = &[
        "patient",
        "pid=",
        "mrn",
        "user",
        "/u/",
        "profile",
        "share",
        "photo",
        "join",
        "telehealth",
        "video",
        "chart",
        "portal",
        "msg",
        "message",
        "fundrais",
        "appointment",
        "visit",
        "results",
        "record",
        "wound",
    ];
    // A government or WHO page is public unless its link carries a record or person id.
    if host.ends_with(".gov") || host.ends_with("who.int") {
        let long_number = path
            .split(|c: char| !c.is_ascii_digit())
            .any(|run| run.len() >= 6);
        return !(path.contains("pid=")
            || path.contains("mrn")
            || path.contains("patient=")
            || long_number);
    }
    let personal = PERSONAL_HOSTS.iter().any(|h| host.contains(h))
        || PERSONAL_PATHS.iter().any(|p| path.contains(p))
        || host.ends_with(".info") && !path.is_empty();
    !personal
}

fn preceded_by_version(text: &str, start: usize) -> bool {
    let before = window_before(text, start, 12).to_ascii_lowercase();
    before.contains("version")
        || before.trim_end().ends_with('v')
        || before.contains("section")
        || before.contains("ncd")
        || before.contains("lcd")
}

fn plausible_date(s: &str) -> bool {
    let numbers: Vec<u32> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect();
    let has_month_word = s.chars().any(|c| c.is_alphabetic());
    match numbers.as_slice() {
        [y, m, d] if *y >= 1000 => (1..=12).contains(m) && (1..=31).contains(d),
        [a, b, _y] if !has_month_word => {
            (1..=12).contains(a) && (1..=31).contains(b)
                || (1..=31).contains(a) && (1..=12).contains(b)
        }
        [m, y] if !has_month_word && *y >= 1000 => (1..=12).contains(m),
        // "3/14", and day-first "28/02".
        [a, b] if !has_month_word => {
            (1..=12).contains(a) && (1..=31).contains(b)
                || (13..=31).contains(a) && (1..=12).contains(b)
        }
        [d, y] if has_month_word && *y >= 1000 => (1..=31).contains(d),
        // "11-Feb-48".
        [d, _] if has_month_word && s.matches('-').count() == 2 => (1..=31).contains(d),
        [n] if has_month_word => (1..=31).contains(n) || (1900..=2100).contains(n),
        _ => false,
    }
}

/// Up to `len` bytes before `at`, on a character boundary.
pub(crate) fn window_before(text: &str, at: usize, len: usize) -> &str {
    let mut start = at.saturating_sub(len);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..at]
}

/// Up to `len` bytes after `at`, on a character boundary.
pub(crate) fn window_after(text: &str, at: usize, len: usize) -> &str {
    let mut end = (at + len).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[at..end]
}

/// An organisation name ends at its last capitalised word; a trailing ", member" or " (food service)"
/// is not part of it.
fn trim_organisation(text: &str, start: usize, end: usize) -> (usize, usize) {
    let mut s = text[start..end].trim_end_matches([',', '.', ';', ':', ' ', '-']);
    // "Lakeview Sleep Center Jan 5th", "Maple Grove Rehab Fri 6/20": a month or a weekday after the
    // name starts the date that follows it.
    // "Greenbay Grocers, AHI 18": an abbreviation after a comma is the question going on.
    while let Some((head, last)) = s.rsplit_once(' ') {
        let word = last.trim_end_matches('.').to_ascii_lowercase();
        let abbreviation = head.ends_with(',')
            && last.len() >= 2
            && last
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        let calendar = MONTH_WORDS.contains(&word.as_str()) || WEEKDAYS.contains(&word.as_str());
        if !calendar && !abbreviation {
            break;
        }
        s = head.trim_end_matches([',', ' ']);
    }
    (start, start + s.len())
}

/// Words that start a description of a facility, not its name: "from the nursing home", "at our
/// clinic", "to acute rehab".
const NOT_A_FACILITY_NAME: &[&str] = &[
    "the",
    "a",
    "an",
    "our",
    "your",
    "her",
    "his",
    "their",
    "this",
    "that",
    "home",
    "local",
    "outside",
    "another",
    "other",
    "any",
    "each",
    "every",
    "same",
    "previous",
    "prior",
    "old",
    "new",
    "inpatient",
    "outpatient",
    "inpt",
    "outpt",
    "acute",
    "skilled",
    "general",
    "community",
    "teaching",
    "psychiatric",
    "critical",
    "access",
    "long",
    "short",
    "subacute",
    "sub-acute",
    "hospital",
    "nearest",
    "nearby",
    "which",
    "what",
    "that's",
    "its",
    "one",
    "some",
];

/// Months, as they are written and abbreviated.
const MONTH_WORDS: &[&str] = &[
    "jan",
    "january",
    "feb",
    "february",
    "mar",
    "march",
    "apr",
    "april",
    "may",
    "jun",
    "june",
    "jul",
    "july",
    "aug",
    "august",
    "sep",
    "sept",
    "september",
    "oct",
    "october",
    "nov",
    "november",
    "dec",
    "december",
];

/// Weekdays, as they are written and abbreviated.
const WEEKDAYS: &[&str] = &[
    "mon",
    "monday",
    "tue",
    "tues",
    "tuesday",
    "wed",
    "wednesday",
    "thu",
    "thur",
    "thurs",
    "thursday",
    "fri",
    "friday",
    "sat",
    "saturday",
    "sun",
    "sunday",
];
