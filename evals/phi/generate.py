#!/usr/bin/env python3
"""Generate (and check) the PHI redaction test corpus: evals/phi/{tune,check}.jsonl.

Requires Python 3.11 and Faker pinned to FAKER_VERSION:

    pip install --quiet Faker==40.63.0
    python3 evals/phi/generate.py            # writes tune.jsonl, check.jsonl, README counts
    python3 evals/phi/generate.py --check    # validates the checked-in files, prints counts

Everything random comes from SEED (Faker instances and one random.Random per case), so the output is
byte-for-byte reproducible with the pinned Faker. See README.md for the format and the judgement calls.

Markup used in the templates and the hand-written cases below:
    [[TYPE:value]]   a PHI span (hand-written cases)
    {TYPE.opt.opt}   a PHI slot filled from Faker (templates); {NAME#2...} is a second person
    {lower_slot}     a non-PHI filler (pronouns, ages <= 89, relation words)
    {~a|b|c~}        pick one alternative (may contain slots)
    <<text>>         a `keep` substring: must survive redaction unchanged
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import random
import re
import sys
import unicodedata
from pathlib import Path

FAKER_VERSION = "40.63.0"
SEED = 20250301

HERE = Path(__file__).resolve().parent
OUT_TUNE = HERE / "tune.jsonl"
OUT_CHECK = HERE / "check.jsonl"
README = HERE / "README.md"
COUNTS_BEGIN = "<!-- counts:begin (written by generate.py) -->"
COUNTS_END = "<!-- counts:end -->"

TYPES = ["NAME", "MRN", "ACCOUNT", "SSN", "PHONE", "EMAIL", "URL", "IP", "ADDRESS", "ZIP", "DATE",
         "AGE", "DEVICE", "VEHICLE", "EMPLOYER", "FACILITY"]
KINDS = ["question", "note", "clean"]
ID_PREFIX = {"question": "q", "note": "n", "clean": "c"}
N_GENERATED = {"question": 250, "note": 104, "clean": 132}
MINIMUMS = {"total": 400, "question": 200, "note": 80, "clean": 120, "hard": 60, "question_templates": 60}

# Control characters used internally for markup after parsing the human-friendly syntax.
S_OPEN, S_SEP, S_CLOSE, K_OPEN, K_CLOSE = "\x01", "\x02", "\x03", "\x04", "\x05"
CONTROL = set(S_OPEN + S_SEP + S_CLOSE + K_OPEN + K_CLOSE)

# ---------------------------------------------------------------------------------------------
# Question templates (each 1-4 PHI slots). Topics: sepsis, VTE/enoxaparin, CPAP, lumbar MRI, hand
# hygiene, falls, pressure injuries, diabetes, chemotherapy extravasation, the retired laser policy.
# ---------------------------------------------------------------------------------------------
QUESTION_TEMPLATES = [
    # sepsis
    "pt {NAME.lower} mrn {MRN} {~lactate|lac~} <<{~4.2|4.8|5.1|6.3~} mmol/L>> — do we still give <<30 mL/kg>> if {pr}'s on dialysis?",
    "{NAME.init}, {age_sex}, septic from {~UTI|pna|cellulitis~}, abx not hung until <<{~75|90|120~} min>> after triage. does the <<1 hour>> start at triage or recognition? dob {DATE.dob}",
    "sepsis alert on {NAME} ({MRN}) — who pages the on-call and do they still have to see {obj} <<within 15 minutes>>?",
    "is it <<1 hour>> or <<3 hours>> for broad spectrum abx now?? asking for pt {NAME.last} admitted {DATE.recent}, dx <<A41.9>>",
    "pt {NAME.lower} transferred from {FACILITY} w/ <<{~MAP 58|SBP 84|MAP 61~}>> and lactate <<{~4.4|6.1~} mmol/L>> - cultures drawn there, do we redraw before abx?",
    "{NAME.mid} MRN {MRN} — how often do we rescreen for sepsis on the ward, still <<every 8 hours>>?",
    "family ({NAME#2.first}, {rel2}) asking why abx were delayed for {NAME.first}. what does <<SBH-PROT-001>> say about the first hour? call back {PHONE}",
    "discharged {DATE.recent} and back today septic, pt {NAME.lower} — does the <<1 hour>> abx clock run from ED arrival?",
    "{NAME.lastfirst} DOB {DATE.dob} MRN {MRN} - <<lactate {~2.6|2.9|3.1~}>>, do we need a repeat lactate per the bundle",
    # VTE / enoxaparin
    "pt {NAME.lower} {DATE.dob} <<CrCl {~22|24|27|18~} mL/min>> - enox <<40 mg>> or <<30 mg>>?",
    "enoxaparin dose for {NAME.init} mrn#{MRN}, wt <<{~112|128|135~} kg>>, <<creatinine {~1.8|2.2|2.6~}>>? <<padua {~5|6|7~}>>",
    "pt {NAME} dob {DATE.dob} on <<warfarin>> w/ <<INR {~2.5|3.1|1.9~}>> — ok to start <<apixaban>>? when?",
    "{NAME.lower} s/p {~TKA|hip fx repair|lap chole~} on {DATE.recent}, <<platelets {~38k|42k|45k~}>> — hold <<enoxaparin>>?",
    "{~mr|Mr.~} {NAME.m.last} on <<heparin 5,000 units>> <<q8h>>, <<CrCl 24>> — switch to <<Lovenox>> <<30 mg>> daily?",
    "{NAME.init} {age_sex} <<ESRD>> on HD mwf, mrn {MRN} — is <<UFH 5,000 units>> <<every 12 hours>> or q8h now",
    "when do we have to finish the <<padua>> — pt {NAME.lower} admitted {DATE.recent} and nothing documented yet",
    "hi, re {NAME.lower} ({MRN}) — ok to give <<Lovenox 40 mg>> daily with <<platelets 62k>>?",
    "{NAME.init} {AGE}{sex}, <<CrCl 19>> — enoxaparin dose? {~daughter|son~} wants a call {PHONE}",
    "pt {NAME.lower} ssn {SSN} on <<rivaroxaban 20 mg>>, going for {~TKA|spine surgery~} — when to stop and when to start <<enoxaparin>>?",
    # CPAP
    "member ID {ACCOUNT.member} — is CPAP covered under <<NCD 240.4>>? <<AHI {~9|12|22|31~}>>",
    "{NAME} member {ACCOUNT.member} dob {DATE.dob}, sleep study <<AHI {~11|13~}>> w/ daytime sleepiness — does <<Northwind>> cover <<E0601>>?",
    "cpap download for {NAME.lower} shows <<4 hours>> on <<{~68|70|72~}%>> of nights — meets the <<12-week>> trial? serial {DEVICE}",
    "pt {NAME.init} mbi {ACCOUNT.mbi} failed cpap trial, can we get a new <<E0601>> or does {pr} need a repeat <<95810>>?",
    "claim {ACCOUNT.claim} for mask <<A7030>> denied — pt {NAME.lower} says {pr} uses it nightly. what does <<NWH-POL-240>> require?",
    "{NAME.lower} ({EMAIL}) asking if {pos} humidifier <<E0562>> is covered w/ the cpap",
    "face to face reeval for {NAME} — has to be between the <<31st and 91st day>>? started cpap {DATE.recent}",
    "{rel2} {NAME#2} asks if {NAME.first}'s cpap (sn {DEVICE}) can be replaced after <<5 years>>",
    "pt {NAME.lower} {PHONE} called re denied cpap, member {ACCOUNT.member} — appeal timeline under <<NCD 240.4>>?",
    # lumbar MRI
    "prior auth for MRI L spine <<72148>>, pt {NAME.lower} dob {DATE.dob}, only <<{~3|4|5~} weeks>> of PT — will <<Northwind>> approve?",
    "{NAME.init} policy # {ACCOUNT.policy} — lbp x <<{~8|10~} weeks>>, failed <<NSAIDs>> and PT, no red flags. lumbar mri covered under <<NWH-POL-112>>?",
    "pt {NAME} w/ saddle anesthesia, urinary retention — can we skip the <<6 weeks>> for MRI? member {ACCOUNT.member}",
    "auth request for {NAME.lower} — what has to be in it for <<72158>>? fax {PHONE} attn UM",
    "does {NAME.last} need prior auth for lumbar MRI w/ hx of <<prostate ca>>? acct {ACCOUNT.acct}",
    "{NAME}, ssn {SSN}, lbp since <<2019>>, worse x <<2 weeks>>. mri covered?",
    "ssn {SSN} on the referral instead of member id — northwind rejects. pt {NAME}, need prior auth for <<72148>>",
    "{NAME.lower} pacemaker sn {DEVICE} — ok for MRI lumbar <<72148>> or need cardiology?",
    "pt {NAME.lower} {PHONE.intl} visiting from abroad, lbp <<3 days>> after fall, any red flag → MRI without the <<6 weeks>>?",
    # hand hygiene / infection control / employer
    "{NAME.lower} on contact precautions for <<C. diff>> — alcohol rub ok or soap and water? mrn {MRN}",
    "family member {NAME#2} ({rel2} of pt {NAME.last}) keeps skipping hand hygiene, pt on <<contact precautions>> — can we restrict visits? {PHONE}",
    "pt works at {EMPLOYER} (food service), <<{~norovirus|C. diff~}>> — when can {pr} go back per infection control?",
    "{NAME.lower} needlestick at work ({EMPLOYER}) — is that workers comp or <<Northwind>>? member {ACCOUNT.member}",
    "employer {EMPLOYER} wants a note that {NAME.first} can return to work after <<C. diff>> — how long contact precautions?",
    # falls
    "{NAME.init} {AGE} yo fell on the way to the bathroom overnight, <<Morse {~55|65|70~}>> — who do we notify and how fast?",
    "pt {NAME.lower} age {AGE} found on floor, on <<apixaban 5 mg>> <<bid>> — CT head per falls protocol?",
    "{~mrs|Mrs.~} {NAME.f.last} <<Morse 45>> — is that high risk or does it have to be over 45?",
    "bed alarm required for {NAME} ({AGE}-year-old) w/ <<Morse {~50|60~}>>? {pos} son {NAME#2.m.first} says no",
    "{NAME.lower} dob {DATE.dob} fell, hit head, on <<Eliquis 5 mg>> — who to call? daughter {NAME#2.f} {PHONE}",
    "unidentified pt from mvc, plate {VEHICLE.plate}, <<GCS {~12|13~}>> — start the falls/head injury pathway before we know meds?",
    # pressure injury
    "<<braden {~12|13|14~}>> for {NAME.lower}, admitted {DATE.recent} — reposition <<every 2 hours>> or q3?",
    "pt {NAME.init} mrn {MRN} <<stage 3>> sacral <<L89.153>> on admit from {FACILITY} — document as POA?",
    "does braden have to be done within <<8 hours>> of admission even if pt came from {FACILITY}? pt {NAME.lower}",
    "{NAME} {AGE} yo, <<Braden 11>>, <<albumin 2.4>> — is the dietitian consult automatic?",
    "heel offloading for {NAME.lower} ({MRN}), <<Braden {~12|14~}>> — protocol requires boots or are pillows ok",
    "pt {NAME.lower} {AGE} y/o from {FACILITY}, <<stage 2>> heel — q2h turns enough?",
    # diabetes
    "pt {NAME.lower} {DATE.dob} <<A1C {~9.4|10.2|8.7~}%>> on <<metformin 1000 mg>> bid, <<E11.9>> — next step per protocol?",
    "hypoglycemia <<glucose {~48|52|41~} mg/dL>> in {NAME.init}, gave <<15 g>> — recheck in <<15 minutes>>?",
    "{NAME.lower} insulin pump serial {DEVICE} alarming — can {pr} keep the pump on inpatient? <<E11.65>>",
    "how often should {NAME.first} get an <<A1C>>? pt asked thru the portal {URL.portal}",
    "dm pt {NAME} mrn {MRN} npo for procedure {DATE.recent}, basal <<glargine 30 units>> — give <<80%>>?",
    "{NAME.lower} <<sick day>> rules — pt emailed from {EMAIL}, how much fluid per hour? <<8 ounces>>?",
    "portal msg from pt {NAME.lower}: {pr} logged in from {IP.v4} and can't see {pos} <<A1C>> — can nursing release it?",
    # chemo extravasation
    "extravasation of <<doxorubicin>> in {NAME.lower} mrn {MRN} — <<dexrazoxane>> within <<6 hours>>?",
    "{NAME.init} {age_sex} <<vincristine>> infiltrate on the day unit {DATE.recent} — warm or cold compress? <<hyaluronidase>> dose?",
    "pt {NAME} port needle dislodged during <<oxaliplatin>> — <<T80.810A>>? who do we notify, pt cell {PHONE}",
    "do we leave the cannula in and aspirate first? {NAME.lower}, dob {DATE.dob}, <<epirubicin>>",
    "pt {NAME.lower}, emergency contact {NAME#2} {PHONE} — consent for port, <<cisplatin>> extravasation risk?",
    # retired laser policy
    "is <<low level laser>> for neck pain still covered for {NAME.lower}? member {ACCOUNT.member}, billed {DATE.recent} under <<NWH-POL-305>>",
    # address / zip / ip / url / vehicle
    "home health for {NAME.lower} at {ADDRESS} — does <<Northwind>> cover cpap supplies delivered?",
    "pt {NAME} lives {ADDRESS.street}, zip {ZIP} — in network for <<E0601>> supplier?",
    "zip {ZIP} — which DME vendor for <<E0601>> / <<A7030>>? pt {NAME.init}",
    "telehealth reeval for cpap: pt {NAME.lower} connecting from {IP.v6} — does video count as the face-to-face before <<day 91>>?",
    "pt lives in {pos} car (plate {VEHICLE.plate}), member {ACCOUNT.member} — can the <<E0601>> be delivered without an address?",
    "{NAME.lower} {ZIP.plus4} — is <<99213>> or <<99214>> right for the cpap f/u?",
    "wound photos for {NAME.lower} went to {URL.share} — is that ok to document the <<stage 2>>?",
    "pt {NAME.lower} sent {pos} glucose log via {URL.share} — <<BG 280s>> on <<glargine 20 units>>, titrate?",
    "portal link {URL.portal} for {NAME.lower}'s discharge says <<enoxaparin 40 mg>> x <<10 days>> — shouldn't it be <<28 days>> after hip fx?",
    "cpap cloud report for {NAME.lower}: device {DEVICE}, uploads from {IP.v4} stopped after <<day 40>> — still count toward <<30 consecutive days>>?",
    "remote pump data for {NAME.init} came from {IP.v6} — pharmacy asks if <<insulin lispro>> basal rates changed",
    "pt {NAME.lower}, address {ADDRESS}, needs <<E0601>> delivered — is there a <<Northwind>> in-network DME?",
    "snf discharge to {ADDRESS.street} for {NAME} — does home health cover a <<wound vac>> for the <<stage 4>>?",
    "{NAME.lower} totaled {pos} car (vin {VEHICLE.vin}) — <<Lovenox 40 mg>> ppx while in the brace?",
    "pt {NAME.lower} drives for {EMPLOYER}, on <<insulin>> — any return to work rule after <<glucose 38 mg/dL>>?",
    "{NAME}, employer {EMPLOYER}, member {ACCOUNT.member} — <<72148>> auth for a work injury, or workers comp?",
    "ssn {SSN} dob {DATE.dob} — pt {NAME.lower}, is <<E0601>> covered if {pr} just moved from medicaid?",
    "{NAME.lower} email {EMAIL} wants {pos} <<A1C>> and <<creatinine 1.4>> results — can we send them?",
    "zip code {ZIP} on the northwind card for {NAME.init} — out of area for <<95810>>?",
    "pt {NAME.lower} {EMAIL} {PHONE} — wants a callback about <<vincristine>> extravasation aftercare",
    "thx 🙏 — {NAME.lower} dob {DATE.dob}, <<Morse 55>> and pulling at lines, is a sitter required or just the <<bed exit alarm>>?",
]

# ---------------------------------------------------------------------------------------------
# Reviewer notes and drafts (2-4 sentences, 2+ PHI slots).
# ---------------------------------------------------------------------------------------------
NOTE_TEMPLATES = [
    "Reviewer note: answer cited <<SBH-PROT-001 v1>> (<<3 hours>>) instead of v2 (<<1 hour>>). The question named pt {NAME} (MRN {MRN}); the clinician pasted chart details. Approved after edit.",
    "Draft: For {NAME.lastfirst}, DOB {DATE.dob}, <<CrCl 24 mL/min>>, the protocol gives <<enoxaparin 30 mg>> subcutaneously once daily. Confirm weight before dispensing. Pharmacy to call {PHONE} with questions.",
    "Rejected. The question about {NAME.first}'s CPAP (member ID {ACCOUNT.member}) asked about a <<12-week>> trial but the draft answered <<90 days>>. Re-run after the v3 policy is ingested.",
    "Note to UM: {NAME} ({AGE} yo) was transferred from {FACILITY} on {DATE.recent}. MRI lumbar <<72148>> requested without <<6 weeks>> of therapy; red flag documented. Approve under <<NWH-POL-112>>.",
    "Pt {NAME.upper}, MRN {MRN}. Extravasation of <<doxorubicin>> noted {DATE.recent}; <<dexrazoxane>> started within <<6 hours>>. Patient asked that wound photos be sent to {EMAIL}.",
    "Reviewer: edited the answer to say soap and water is required for <<C. difficile>>. The original question named {NAME} and {pos} employer, {EMPLOYER}; both removed from the draft.",
    "Fall reviewed. {NAME.init}, {AGE} y/o, <<Morse 65>>, bed alarm was off. {rel2cap} {NAME#2} ({PHONE}) informed. Physician notified within <<30 minutes>>.",
    "Draft answer: Northwind covers <<E0601>> for <<AHI 15>> or more, or <<5 to 14>> with symptoms. Beneficiary {NAME}, MBI {ACCOUNT.mbi}, of {ADDRESS}. Supplier to confirm adherence by <<day 91>>.",
    "Pressure injury note: {NAME.lower} admitted {DATE.recent} with a <<stage 2>> sacral injury from {FACILITY}. <<Braden 13>>; reposition <<every 2 hours>>. Wound photos uploaded to {URL.share}.",
    "Review: the question included SSN {SSN} and DOB {DATE.dob} for pt {NAME}. The answer (start <<apixaban>> once <<INR < 2>> after stopping <<warfarin>>) is correct per <<SBH-PROT-014>>. Flagged for privacy training.",
    "Claim {ACCOUNT.claim} for {NAME} (DOS {DATE.recent}) denied: <<G0283>> billed under <<NWH-POL-305>>, which is retired. Advise resubmission; call the member at {PHONE}.",
    "Sepsis case review for {NAME.lastfirst}, MRN {MRN}. Antibiotics at <<{~64|74|81~} minutes>>, outside the <<1 hour>> target. <<Lactate 4.6 mmol/L>>, <<30 mL/kg>> given. Discharged {DATE.recent}.",
    "Portal message from {NAME} ({EMAIL}) asking about <<A1C>> frequency; the draft cites NIDDK (<<twice a year>>). The login came from {IP.v4}, flagged by IT as unusual.",
    "MVC trauma, initially unidentified, later identified as {NAME} from vehicle plate {VEHICLE.plate}. <<GCS 14>>, on <<rivaroxaban 20 mg>>. {rel2cap} {NAME#2} contacted at {PHONE}.",
    "Device check: {NAME}'s ICD, serial {DEVICE}, is MR-conditional; lumbar MRI <<72148>> may proceed with cardiology present. Auth pending for member {ACCOUNT.member}.",
    "Diabetes education: {NAME} works night shifts at {EMPLOYER}; adjust <<glargine>> timing. <<A1C 9.1%>>. Educator to call {PHONE}.",
    "CPAP adherence: {NAME.lower}, device {DEVICE}, used it <<4 hours>> per night on <<71%>> of nights in <<30 consecutive days>>. Meets criteria; continue coverage. Pt lives at {ADDRESS}.",
    "Reviewer note — the question named \"{NAME}\" and gave zip {ZIP}. Neither is needed to answer. Answer (<<Morse 45>> or higher = high risk) approved.",
    "Please redact before storing: pt {NAME.lower}, dob {DATE.dob}, ssn {SSN}, mrn {MRN}. The answer itself (<<enoxaparin 40 mg>> daily) is fine.",
    "Telehealth reevaluation for {NAME} on {DATE.recent} from {IP.v6}; the patient reports benefit. Counts as the face-to-face visit between the <<31st and 91st day>>.",
    "{NAME} ({AGE}-year-old) admitted {DATE.recent} from {FACILITY} with <<lactate 5.2 mmol/L>>. {rel2cap} {NAME#2.first} is the proxy, {PHONE}. Bundle met.",
    "Escalation: {NAME.init}'s insurer (policy {ACCOUNT.policy}) wants notes for <<72158>>. Attach the neuro exam and <<6 weeks>> of PT notes. Fax to {PHONE}.",
    "Draft for extravasation of <<vinorelbine>> in {NAME}: apply a warm compress and consider <<hyaluronidase 150 units>>. Event on {DATE.recent}; MRN {MRN}.",
    "Edited: the answer gave the v2 cutoff (<<25 mL/min>>); v3 uses <<30 mL/min>>. The clinician's question referenced pt {NAME.lower}, acct {ACCOUNT.acct}.",
    "Hand hygiene audit: the patient's {rel2} {NAME#2} (emergency contact, {PHONE}) was seen without gloves. Pt {NAME} is on <<contact precautions>>. Education given.",
    "Reviewer: the question was \"can {NAME.first} keep {pos} pump on during MRI <<72148>>\". Pump serial {DEVICE}. Answer withheld — no protocol in the corpus covers it.",
    "Follow-up: {NAME} moved to {ADDRESS}; a new supplier is needed for cpap resupply (<<A7030>> every <<3 months>>). Member {ACCOUNT.member}.",
    "{NAME}, {AGE} yo, died {DATE.recent}. A sepsis review under <<SBH-PROT-001>> was requested by the family ({NAME#2}, {PHONE}).",
    "Reviewer: the answer on lumbar MRI (<<6 weeks>> of conservative therapy) is correct. The user typed the patient's name ({NAME.lower}) and med rec no. {MRN}; remind them to use the de-identified form.",
    "Patient {NAME} emailed from {EMAIL} and left a voicemail at {PHONE.intl}. {Pr} asks whether the <<E0601>> rental converts to purchase after <<13 months>>; draft answer cites <<NCD 240.4>>.",
    "Social work note: the family of {NAME} started a fundraiser at {URL.fund} to cover the <<E0601>> copay. Referred to financial counselling; member {ACCOUNT.member}.",
    "Admission {DATE.recent}, discharge {DATE.after}: {NAME}, MRN {MRN}, on <<enoxaparin 40 mg>> throughout. <<Padua 5>>. No VTE. Closing the review.",
    "Draft reply to {NAME.first}: your <<A1C>> should be checked at least <<twice a year>>. We sent the result to {EMAIL}. Call {PHONE} with questions.",
    "UM note: VIN {VEHICLE.vin} and plate {VEHICLE.plate} are from the police report for {NAME}; they are not needed for the <<72148>> auth. Removed from the packet.",
    "Reviewer: question from the ED about {NAME} (zip {ZIP.plus4}, {AGE} yo). <<Lactate 4 mmol/L>> → <<30 mL/kg>>; the answer is right. Approved.",
    "Portal audit: {NAME} viewed results from {IP.v4} and {IP.v6} on {DATE.recent}. Results included <<lactate 2.2>>. No action needed.",
    "The discharge packet for {NAME.lower} links to {URL.portal}; it repeats <<enoxaparin 40 mg>> daily for <<28 days>>. Pharmacy verified.",
    "Home address on file, {ADDRESS}, differs from the claim (zip {ZIP}). Member {ACCOUNT.member}; the <<E0601>> delivery is on hold.",
    "Occupational note: {NAME} ({EMPLOYER}) had a needlestick on {DATE.recent}. Baseline <<HBV>> and <<HCV>> drawn; follow-up at <<6 weeks>>.",
    "Vehicle VIN {VEHICLE.vin} is registered to {NAME}, who arrived by EMS with <<GCS 15>>. The falls protocol was applied on the ward.",
    "SSN {SSN} was typed in the question box by a clinician asking about <<NCD 240.4>> for pt {NAME.lower}. Redacted; user {~reminded|emailed~}.",
]

# ---------------------------------------------------------------------------------------------
# Clean questions and notes: no PHI, many look-alikes that must be kept.
# ---------------------------------------------------------------------------------------------
CLEAN_TEMPLATES = [
    "{age_yo} {~M|F~} <<CrCl {~22|28|34~}>> — <<enoxaparin 30 mg>> or <<40 mg>>?",
    "is <<E0601>> covered under <<NCD 240.4>> if <<AHI {~12|9|14~}>> and pt has <<HTN (I10)>>?",
    "sepsis: <<lactate 4 mmol/L>> → <<30 mL/kg>> within <<3 hours>>, abx within <<1 hour>>. still current <<as of 1/1/2024>>?",
    "<<Wells score {~4|5|6~}>> — do we still need VTE prophylaxis on top of <<therapeutic heparin>>?",
    "<<Braden {~12|13~}>> in {a_age_yr} — reposition <<every 2 hours>>?",
    "<<Foley>> <<day {~3|4~}>> — remove per the <<CAUTI>> bundle or leave for strict I&O?",
    "<<Glasgow>> <<coma scale {~13|14~}>> after unwitnessed fall, on <<Eliquis 5 mg>> <<bid>> — CT head?",
    "<<Parkinson>> pt {age_n}, <<Morse {~55|65~}>> — is a bed exit alarm required?",
    "L&D: baby <<Apgar {~8/9|7/9~}>>, mom on <<Lovenox 40 mg>> — restart <<12 hours>> postpartum?",
    "<<Trendelenburg>> for hypotension in sepsis — still done, or just <<30 mL/kg>> and pressors?",
    "<<Medicare>> vs <<Northwind>>: <<G0399>> home sleep test then <<E0601>> — same <<12-week>> trial?",
    "who is the <<Dr. on call>> for extravasation after hours, and is <<dexrazoxane>> stocked on <<4 West>>?",
    "<<Lovenox>> vs <<Eliquis>> for VTE ppx with <<CrCl {~29|26~}>>?",
    "<<ICD-10 Z79.01>> + <<I48.91>> — does the long-term anticoagulant code change the ppx order set?",
    "<<99213>> vs <<99214>> for the cpap follow-up between <<day 31>> and <<day 91>>?",
    "<<CPT 72148>> — prior auth needed after <<6 weeks>> of PT? <<NWH-POL-112>> <<effective 2025-07-01>>",
    "since <<2019>> we've used the <<Morse Fall Scale>>; did the <<2022>> revision change the <<cutoff of 45>>?",
    "<<platelets {~38k|41k|44k~}>> — hold enoxaparin? protocol says below <<50,000>>?",
    "<<INR {~2.5|2.8~}>> on <<warfarin 5 mg>> — bridge with <<enoxaparin 1 mg/kg>> <<q12h>>?",
    "peds: <<vancomycin 15 mg/kg>> <<q6h>> — is the sepsis bundle timing the same as adults?",
    "hand hygiene: rub for <<20-30 seconds>>, soap and water for <<C. diff>> and <<norovirus>>?",
    "Young adults with <<BMI {~45|52~}>> — <<enoxaparin 40 mg>> <<q12h>> instead of daily?",
    "Black box warning on <<Lovenox>> — hold <<12 hours>> before epidural?",
    "does <<lactate>> go in the gray top or the green top, and on ice within <<15 minutes>>?",
    "Price of an <<E0601>> rental under <<Medicare>> — capped at <<13 months>>?",
    "Will the <<12-week>> CPAP trial restart if the machine is replaced?",
    "max dose of <<hyaluronidase>> for <<vinca alkaloid>> extravasation — <<150 units>>?",
    "Summer heat: <<insulin pens>> above <<86°F>> — discard after <<28 days>>?",
    "<<A1C {~7.2|7.9~}%>> with <<E11.9>> — repeat every <<3 months>> or <<twice a year>>?",
    "<<glucose 54 mg/dL>> → <<15 g>> carbs, recheck in <<15 minutes>> — same on a <<sulfonylurea>>?",
    "Bill <<99291>> for sepsis resuscitation over <<30 minutes>>?",
    "<<SBH-PROT-014 v3>> <<effective 2025-03-01>> replaced v2 (<<2022-01-10>>) — what changed?",
    "<<NCD 240.4>> <<as of 1/1/2024>>: adherence = <<4 hours>> per night on <<70%>> of nights in <<30 consecutive days>>?",
    "<<dexrazoxane 1000 mg/m2>> on <<days 1 and 2>>, <<500 mg/m2>> on <<day 3>> — first dose within <<6 hours>>?",
    "<<T80.810A>> vs <<T80.818A>> for vesicant extravasation?",
    "<<L89.153>> stage 3 sacral, <<Braden 11>> — air mattress criteria?",
    "<<W19.XXXA>> + <<Z91.81>> — coding after an inpatient fall?",
    "<<ESRD>> on HD — <<UFH 5,000 units>> <<q8h>> or <<q12h>>?",
    "<<WBC 18.2>>, <<temp 38.9>>, <<HR 118>>, <<lactate 2.1>> — meets the sepsis screen?",
    "<<Padua 4>> — high risk? protocol says <<4 or more>>",
    "does <<q8h>> sepsis screening apply in the ICU or only on the wards?",
    "laser therapy <<NWH-POL-305>> — retired <<2024-12-31>>? anything replace it?",
    "<<72149>> with contrast vs <<72148>> without — same prior auth form?",
    "<<G0283>> e-stim for a wound — covered by <<Northwind>> or only <<Medicare>>?",
    "Dr. (hospitalist) asks: <<Eliquis 2.5 mg>> <<bid>> criteria — {age_n}, <<weight 58 kg>>, <<creatinine 1.6>>?",
    "{~Note|Reviewer note|Note to self~}: {~the answer|the draft~} cited <<SBH-PROT-030>> section {~B|C~} correctly; the <<Braden {~18|16~}>> threshold is quoted verbatim. {~Approved.|Approved, no edits.|Approved; closing.~}",
    "Reviewer note: the draft mixed v1 (<<3 hours>>) and v2 (<<1 hour>>) of the sepsis bundle. {~Rejected|Sent back|Rejected for now~}; re-ask with <<--as-of {~2024-01-01|2023-12-31|2024-02-15~}>>.",
    "Reviewer: the <<Wells score>> question was answered from the {~VTE protocol|<<SBH-PROT-014>> text~}, which does not define Wells. {~Should have been withheld.|Withheld on re-run.|Marked as a false answer.~}",
    "Draft: For <<CrCl below 30 mL/min>>, give <<enoxaparin 30 mg>> subcutaneously once daily{~| or <<UFH 5,000 units>> every 12 hours~}. {~Confirm with pharmacy.|Check weight first.|Recheck renal function in <<48 hours>>.~} Source: <<SBH-PROT-014 v3>>.",
    "{~Approved.|Approved after one edit.|Looks right.~} <<Northwind>> (<<NWH-POL-240>>) and <<Medicare>> (<<NCD 240.4>>) agree on the <<12-week>> trial; the answer cites {~both|both documents|both, with spans~}.",
    "<<St. Brigid>> hand hygiene protocol <<2022>> edition vs current — did the <<5 moments>> change?",
    "<<Lovenox 40 mg>> daily started <<POD 1>>; now <<POD 3>> and <<platelets 120k>> — continue?",
    "<<30 mL/kg>> for a <<{~120|135~} kg>> pt — ideal or actual body weight?",
    "<<K 5.9>> and <<creatinine 2.4>> — does that change the enoxaparin dose or only CrCl?",
    "sepsis bundle <<version 1>> said <<3 hours>>; version 2 <<effective 2023-06-01>> says <<1 hour>>. which applies to the ED?",
    "<<Hickman>> line site red — is it the extravasation protocol or the CLABSI bundle?",
    "<<Cushing>>'s pt on <<prednisone 40 mg>>, <<glucose 312>> — sliding scale per protocol?",
    "<<Guillain-Barré>> pt on <<IVIG>>, immobile — <<enoxaparin 40 mg>> daily?",
    "<<Sjögren>>'s + <<Parkinson>>'s, {age_n} — fall bundle?",
    "<<Alzheimer>>'s, <<Morse 75>>, pulls at the <<Foley>> — restraints allowed?",
    "<<Crohn>>'s flare on <<infliximab 5 mg/kg>> — VTE ppx needed with <<platelets 510k>>?",
    "<<Doppler>> negative, <<Wells 1>> — still hold <<apixaban 2.5 mg>>?",
    "{age_yo} with <<AHI {~6|7~}>>, <<Epworth 14>> — <<E0601>> covered for mild OSA (<<G47.33>>)?",
    "does <<NCD 20.9>> apply to us or is it only for artificial hearts?",
    "<<heparin 5,000 units>> <<every 8 hours>> vs <<every 12 hours>> for {a_age_yr} under <<50 kg>>?",
    "<<0.5 mg/kg>> <<q8h>> or <<1 mg/kg>> daily for obese pts — what does <<SBH-PROT-014>> say?",
    "<<Braden scale>> sensory <<item 2>> — counts as very limited?",
    "<<Medicare>> <<12-week>> trial vs <<Northwind>> <<90 days>> — which wins for dual coverage?",
    "reviewer comment: the question about {a_age_yr} on <<Lovenox>> was answered from <<SBH-PROT-014 v2>>, superseded <<effective 2025-03-01>>. {~Re-run.|Re-run with the current version.|Rejected.~}",
    "Draft answer: hypoglycemia below <<70 mg/dL>> → <<15 g>> of fast carbs, recheck after <<15 minutes>>. {~Repeat if still low.|Repeat until above <<70 mg/dL>>.|Then a snack if the next meal is more than an hour away.~} Source: NIDDK.",
]

# ---------------------------------------------------------------------------------------------
# Hand-written hard cases (fixed values, all fake). (kind, tags, marked text)
# ---------------------------------------------------------------------------------------------
HARD_CASES = [
    # names that are also words
    ("question", ["name-is-word", "name:lower"], "<<will>> [[NAME:hope martinez]] need a repeat lactate? first was <<4.1 mmol/L>>"),
    ("question", ["name-is-word", "age-90+"], "[[NAME:Mark Young]], [[AGE:94]] yo, fell overnight — do we <<mark it>> on the <<Morse>> reassessment or wait <<24 hours>>?"),
    ("question", ["name-is-word", "date:mdy_slash"], "<<grant the auth>>? pt [[NAME:Grant Price]] dob [[DATE:06/02/1941]], <<72148>>, lbp x <<7 weeks>>"),
    ("question", ["name-is-word", "account:member"], "<<Bill 99213>> or <<99214>> for the cpap f/u? pt is [[NAME:Bill Rich]], member ID [[ACCOUNT:W884120337]]"),
    ("question", ["name-is-word"], "<<max dose>> of enoxaparin for [[NAME:Max Brown]]? <<CrCl 28>>, <<weight 142 kg>>"),
    ("question", ["name-is-word"], "<<creatinine rose from 1.2 to 1.9>> in [[NAME:Rose Black]] — still <<enoxaparin 40 mg>>?"),
    ("question", ["name-is-word", "name:lower", "date:mdy_text"], "pt [[NAME:june green]] adm [[DATE:June 3, 2024]] — braden due by when? <<8 hours>>?"),
    ("question", ["name-is-word", "employer"], "[[NAME:April Summer]] has a <<summer job>> at [[EMPLOYER:Lakeview Day Camps]] — <<insulin pump>> ok in the heat?"),
    ("question", ["name-is-word", "name:lower", "date:mdy_short"], "pt [[NAME:faith young]] [[DATE:3/4/51]] on <<warfarin>> - ok to start <<apixaban>>?"),
    ("question", ["name-is-word", "title"], "Mrs. [[NAME:Green]] (<<Braden 12>>) — is a <<green foam wedge>> enough for heel offloading?"),
    ("question", ["name-is-word", "title"], "Mr. [[NAME:Will Young]] says he <<will not wear>> the mask — <<A7030>> to nasal pillows <<A7034>> covered?"),
    ("question", ["title", "dr-patient", "age-90+"], "pt is Dr. [[NAME:Anna Cole]] (retired surgeon), [[AGE:91]] y/o — wants to refuse <<enoxaparin>>; how do we document?"),
    ("question", ["relative", "phone:intl"], "son [[NAME:Tom]] wants updates on his dad's sepsis abx (<<pip-tazo 4.5 g>>) — ok to share? son's cell [[PHONE:+44 20 7946 0958]]"),
    ("question", ["relative", "phone:us"], "wife: [[NAME:Anna Lee]], [[PHONE:+1 (415) 555-0132]] — she says pt [[NAME:Joon Lee]] missed <<2 doses>> of <<apixaban 5 mg>>"),
    ("question", ["relative", "name-is-word", "name:init", "age-90+"], "daughter ([[NAME:Hope]]) at bedside asking about <<Morse 45>> — pt [[NAME:JS]], [[AGE:92]]F"),
    ("question", ["name:init"], "[[NAME:JS]], <<67M>>, <<CrCl 24>> — lovenox <<30 mg>>?"),
    ("question", ["phone:us"], "call pt back at [[PHONE:415.555.0132]] re: the <<E0601>> denial"),
    ("question", ["phone:intl"], "german tourist, contact [[PHONE:0049 30 123456]] — sepsis abx within <<1 hour>> even before the insurance check?"),
    ("question", ["phone:intl", "account:policy"], "aus pt, home ph [[PHONE:(02) 9374 4000]], travel insurance policy [[ACCOUNT:TI-4471-88203]] — is <<72148>> prior auth needed?"),
    ("question", ["date:dmy_text", "policy-date"], "dob [[DATE:14 Mar 1952]] — is <<NCD 240.4>> <<effective 2025-03-01>> or the older version?"),
    ("question", ["name:lower", "date:dmy_dot", "facility"], "pt [[NAME:lena ortiz]] born [[DATE:14.03.1952]] (euro format on transfer papers from [[FACILITY:Klinikum Nord]]) — restart <<enoxaparin>>?"),
    ("question", ["date:mdy_dash", "mrn-label"], "[[DATE:3-14-1952]] [[NAME:carl weiss]] mrn#[[MRN:4471-22]] — <<padua 5>>, ppx?"),
    ("question", ["mrn-label"], "med rec no. [[MRN:A7731]] — <<lactate 4 mmol/L>>, need <<30 mL/kg>>?"),
    ("question", ["mrn-unlabeled"], "re [[MRN:00482913]] - HIT positive, alternative ppx per <<SBH-PROT-014>>?"),
    ("question", ["ssn:nodash"], "ssn [[SSN:512440938]] on the referral — northwind needs the member id instead for <<72148>>?"),
    ("question", ["ssn:last4"], "last 4 of ssn [[SSN:0938]] matches but the name doesn't — which pt gets the <<E0601>>?"),
    ("question", ["zip-vs-code"], "zip [[ZIP:60614]] — is <<99213>> billable for the cpap visit?"),
    ("question", ["zip-vs-code", "zip:9"], "pt zip [[ZIP:94110-2231]], DME <<E0601>> and <<A7030>> — closest in-network supplier?"),
    ("question", ["age-boundary", "age-90+"], "pt [[AGE:90]] yo F, <<Morse 50>> — bed alarm? she was <<89 at the last admit>> and <<scored 40>>"),
    ("question", ["url"], "portal link [[URL:https://mychart.stbrigid.org/patient/8841207/results]] shows <<lactate 4.4>> — why wasn't it flagged?"),
    ("question", ["email", "name-is-word"], "pt emailed from [[EMAIL:rose.black52@gmail.com]] asking if <<Eliquis>> interacts w/ <<Paxlovid>>"),
    ("question", ["ip:v6", "ip:v4"], "portal logins for the pt from [[IP:2001:db8:85a3::8a2e:370:7334]] and [[IP:203.0.113.54]] — locked out after <<5 attempts>>; can nursing reset?"),
    ("question", ["unicode", "emoji"], "pt [[NAME:José Hernández]] 🙏 family asks if <<dexrazoxane>> is given within <<6 hours>>"),
    ("question", ["unicode", "date:iso"], "[[NAME:Nguyễn Thị Lan]] dob [[DATE:1952-03-14]] — <<A1C 9.8%>>, start <<basal insulin>>?"),
    ("question", ["vehicle:plate"], "plate [[VEHICLE:7KJD221]] — unknown pt from mvc, <<GCS 12>>, on an anticoagulant?"),
    ("question", ["vehicle:vin", "name:lower", "name-is-word"], "VIN [[VEHICLE:1HGCM82633A004352]] for the crash report — pt [[NAME:peter black]] <<INR 3.4>>, reverse?"),
    ("question", ["device"], "pacemaker sn [[DEVICE:PJN412877H]] — MR conditional for <<72148>>?"),
    ("question", ["employer"], "works at [[EMPLOYER:Harbor Freight Logistics]] — needlestick, <<HBV>> titers per protocol?"),
    ("question", ["facility"], "pt transferred from [[FACILITY:Mercy General]] w/ <<stage 4>> sacral <<L89.154>> — POA?"),
    ("question", ["name:lower", "date:mdy_slash"], "pt [[NAME:mary jones]] mrn [[MRN:00482913]] dob [[DATE:3/14/1952]] — can we give enoxaparin <<40 mg>>?"),
    ("question", ["date:month-year"], "dob [[DATE:03/1952]] only on the referral — enough for the <<Northwind>> auth for <<72148>>?"),
    ("question", ["date:no-year"], "adm [[DATE:3/14]], <<POD 2>>, <<platelets 88k>> — continue <<enoxaparin>>?"),
    ("question", ["account-vs-policy-doc"], "member id [[ACCOUNT:XJH884512307]] vs policy <<NWH-POL-240>> — which one goes on the form?"),
    ("question", ["account:claim"], "claim # [[ACCOUNT:C7781203345]] denied citing <<NCD 240.4>>, <<E0601>> — appeal?"),
    ("question", ["account:mbi"], "Medicare MBI [[ACCOUNT:1EG4-TE5-MK73]] — is <<G0399>> covered?"),
    ("question", ["date-service", "name:lower"], "ct for [[NAME:dana wu]] on [[DATE:2024-11-03]] showed PE — <<enoxaparin 1 mg/kg>> <<q12h>> with <<CrCl 32>>?"),
    ("question", ["zip-vs-code", "ssn:spaces"], "ssn [[SSN:512 44 0938]], zip [[ZIP:30301]] — <<CPT 72148>> and <<72158>> need separate auths?"),
    # notes
    ("note", ["name-is-word", "age-90+", "phone:us"], "Reviewer note: a price question, not coverage. Pt [[NAME:Summer Price]] ([[AGE:96]] y/o) asked about the <<price of an E0601 rental>>. Answer withheld; daughter [[NAME:Joy Price]] will call back at [[PHONE:+1 415 555 0199]]."),
    ("note", ["title", "name-is-word", "date:iso", "date:mdy_short"], "Mr. [[NAME:Young]] was admitted [[DATE:2024-11-03]] and discharged [[DATE:11/09/24]]. <<Young adults>> are rarely high fall risk but he is <<age 34>> with <<Parkinson>> disease. Bed alarm kept."),
    ("note", ["policy-date", "date:mdy_text"], "Note: <<effective 2025-03-01>> the VTE protocol uses <<30 mL/min>>. This pt (dob [[DATE:March 14, 1952]], MRN [[MRN:00731442]]) got <<30 mg>> under the old cutoff; no harm."),
    ("note", ["name-is-word", "relative", "phone:intl"], "Draft answer to [[NAME:Faith Green]] (emergency contact: brother [[NAME:Grant Green]], [[PHONE:+44 7700 900123]]). <<Faith in the device>> aside, the <<12-week>> trial restarts only with a new sleep study."),
    ("note", ["facility", "date:dmy_text"], "Transferred from [[FACILITY:St. Luke's Regional]] on [[DATE:14 Mar 2024]]. Wound: <<stage 3>>, <<Braden 11>>. The <<St. Brigid>> protocol <<SBH-PROT-030>> applies from arrival."),
    ("note", ["name-is-word", "name:lower", "url"], "Extravasation review, pt [[NAME:mark will]] (typed in lower case). <<Doxorubicin>>; <<dexrazoxane>> within <<6 hours>>. <<Will mark complete>> once the photo at [[URL:portal.stbrigid.org/msg?pid=884120]] is reviewed."),
    ("note", ["name-is-word", "name:upper", "address:full"], "Privacy: the user pasted [[NAME:ROSE, APRIL M]] / [[SSN:512-44-0938]] / [[ADDRESS:4471 Oak Hollow Rd, Apt 2B, Springfield, IL 62704]]. Redact before logging. The question itself (<<INR 2.5>>, <<warfarin>>) is fine."),
    ("note", ["device", "address:full", "zip-vs-code"], "CPAP serial [[DEVICE:22181234567]] is registered to the patient; the supplier billed <<E0601>> for <<13 months>>. Patient lives at [[ADDRESS:82 W Maple Ave, Dayton, OH 45402]]; the zip on the claim, [[ZIP:45402]], matches."),
    ("note", ["name-is-word", "age-90+", "policy-date", "date:mdy_slash"], "Sepsis death review: [[NAME:Bill Hope]], [[AGE:99]] yo, died [[DATE:1/2/2025]]. Antibiotics at <<58 minutes>>; <<lactate 6.2 mmol/L>>. Bundle compliant under the version in force <<as of 1/1/2024>>."),
    ("note", ["employer", "northwind"], "The patient's employer, [[EMPLOYER:Northwind Traders]] (not the health plan), asked for a return-to-work note after <<C. diff>>. Refer to occupational health; the <<Northwind Health Plan>> policy does not apply."),
    ("note", ["name:init"], "Reviewer: the clinician asked about pt '[[NAME:J.S.]]', <<67M>>, and the draft repeated the initials. Removed them. <<enoxaparin 30 mg>> is correct for <<CrCl 22>>."),
    ("note", ["ip:v6", "name-is-word"], "IP [[IP:fe80::1ff:fe23:4567:890a]] appears in the audit row for the portal session of [[NAME:Will Black]], who asked for <<A1C>> results. Forwarded to IT."),
    ("note", ["name-is-word", "relative", "email", "age-90+"], "Husband [[NAME:Max Rich]] ([[EMAIL:maxrich@outlook.com]]) is the health care proxy for [[NAME:June Rich]], [[AGE:90]]. <<Max anticoagulation>> is not the question; she asks about <<apixaban 2.5 mg>> <<bid>>."),
    ("note", ["vehicle:vin", "vehicle:plate"], "Note for UM: VIN [[VEHICLE:2T1BURHE5JC034567]] and plate [[VEHICLE:ABC-1234]] are from the police report; not needed for the <<72148>> auth. Removed."),
    ("note", ["age-boundary", "age-90+"], "Two falls reviewed: one patient is <<89 yo>> (kept as is), the other is [[AGE:101]] years old. Both had <<Morse 60>> or higher; bed alarms on."),
    ("note", ["date:dmy_hyph", "mrn-label", "unicode"], "Pt [[NAME:Zoë Brennan]], med rec # [[MRN:E00419372]], admitted [[DATE:03-Feb-2025]] — <<Braden 13>>. Reposition <<every 2 hours>>; heel boots ordered."),
    # clean (look-alikes)
    ("clean", ["name-is-word"], "will the <<max dose>> of <<enoxaparin>> change if <<creatinine rose to 2.1>>?"),
    ("clean", ["name-is-word"], "<<hope to grant prior auth>> for <<72148>> today — what docs are needed after <<6 weeks>> of PT?"),
    ("clean", ["name-is-word"], "<<Bill G0283>> with <<97110>> on the same day?"),
    ("clean", ["age-boundary"], "<<89 yo>> with <<Morse 70>> — bed alarm mandatory? <<max 2 side rails>>?"),
    ("clean", ["age-boundary"], "<<89-year-old>> F, <<Braden 14>> — reposition <<q2h>>?"),
    ("clean", ["policy-date", "name-is-word"], "<<June 2024>> update to the falls protocol — did the <<Morse 45>> threshold change?"),
    ("clean", ["policy-date", "name-is-word"], "as of <<April 1, 2025>> does <<Northwind>> still require <<6 weeks>> of conservative therapy?"),
    ("clean", ["policy-date"], "policy <<effective 2025-03-01>>, v2 was <<2022-01-10>> — which CrCl cutoff applies?"),
    ("clean", ["policy-date"], "was <<NCD 240.4>> revised on <<03/14/2023>> or is that the old decision memo?"),
    ("clean", ["zip-vs-code"], "<<CPT 99213>> vs <<99214>>, plus <<HCPCS E0601>> / <<E0562>> and <<72148>> — does any need a modifier?"),
    ("clean", ["slash-numbers"], "<<BP 142/88>>, <<Apgar 8/9>>, <<2/2 blood cultures>> positive — sepsis bundle for the mom?"),
    ("clean", ["phone-lookalike"], "<<NDC 0075-0624-30>> (<<Lovenox 30 mg>>) vs <<0075-0620-40>> — which is the <<40 mg>> syringe?"),
    ("clean", ["codes"], "<<ICD-10 I10>>, <<E11.9>>, <<Z79.01>>, <<N18.4>> — does <<N18.4>> alone change ppx dosing?"),
    ("clean", ["eponym"], "<<Trendelenburg>> and <<Foley>> removal after <<48 hours>> per the CAUTI bundle?"),
    ("clean", ["eponym", "unicode"], "<<Guillain-Barré>> and <<Sjögren>>'s on the same pt — fall bundle plus <<enoxaparin 40 mg>>?"),
    ("clean", ["eponym"], "<<Glasgow 15>>, <<Wells score 2>> and <<Padua 3>> — ppx or not?"),
    ("clean", ["dr-role"], "who is the <<Dr. on call>> for extravasation overnight — oncology fellow or hospitalist?"),
    ("clean", ["northwind", "eponym"], "<<Medicare>> vs <<Northwind>> for <<E0601>>: both <<12-week>>?"),
    ("clean", ["st-brigid"], "<<St. Brigid>> protocol <<SBH-PROT-040>> says <<dexrazoxane>> within <<6 hours>> — is it only stocked on the <<Oncology Day Unit>>?"),
    ("clean", ["public-url"], "policy link <<https://www.cms.gov/medicare-coverage-database/view/ncd.aspx?ncdid=226>> — is that <<NCD 240.4>>?"),
    ("clean", ["public-url"], "the hand hygiene poster at <<https://www.cdc.gov/clean-hands/>> says <<20 seconds>> — does our protocol match?"),
    ("clean", ["cue-without-value"], "where does the MRN go on the <<72148>> auth form — top right?"),
    ("clean", ["cue-without-value"], "what dob format does <<Northwind>> want on the form — <<MM/DD/YYYY>>?"),
    ("clean", ["cue-without-value"], "SSN no longer on the <<CMS-1500>> since <<2018>> (MBI instead) — right?"),
    ("clean", ["name-is-word"], "<<Summer hours>> for the sleep lab — <<95810>> only Mon–Thu?"),
    ("clean", ["name-is-word"], "<<Price transparency>>: <<E0601>> rental <<$52.30>> a month under <<Medicare>>?"),
    ("clean", ["number-lookalike"], "<<heparin 5,000 units>> <<q8h>> vs <<q12h>> — and <<heparin 7,500 units>> for <<120 kg>>?"),
    ("clean", ["number-lookalike"], "page pharmacy at <<x4410>> for <<dexrazoxane>>, or the <<24/7>> line?"),
    ("clean", ["slash-numbers"], "give <<1/2 tab>> of <<glipizide 5 mg>> if <<BG 90-120>>?"),
    ("clean", ["age-lookalike"], "is it a <<90-day>> or <<12-week>> trial for CPAP, and is the reevaluation by the <<91st day>>?"),
    ("clean", ["name-is-word"], "Reviewer note: <<Mark as approved>>. <<Will re-check>> once v3 (<<effective 2025-07-01>>) is ingested."),
    ("clean", ["cue-without-value"], "Approved. The answer quotes <<NWH-POL-112>> verbatim: <<6 weeks>> of conservative therapy. No identifiers in the question."),
    ("clean", ["version-lookalike"], "<<SBH-PROT-001 v2>> section <<2.1.3>> vs <<NCD 210.14>> — different topics, right?"),
    ("clean", ["eponym", "unicode"], "<<Homan's sign>> isn't part of the <<Wells score>>, right? and <<Brown-Séquard>> after a fall goes to neuro, not the falls protocol"),
]

# ---------------------------------------------------------------------------------------------
# Faker-backed value makers
# ---------------------------------------------------------------------------------------------
WORD_FIRST = {"M": ["Will", "Mark", "Grant", "Bill", "Max", "Rich"],
              "F": ["Hope", "Rose", "Faith", "Summer", "Joy", "April", "June"]}
WORD_LAST = ["Young", "Black", "Brown", "Green", "Price", "Rich", "Hope", "Will", "Rose"]
NAME_LOCALES = [("en_US", 70), ("es_MX", 8), ("en_GB", 6), ("fr_FR", 5), ("de_DE", 4), ("vi_VN", 4), ("en_IN", 3)]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
DATE_FORMATS = ["mdy_slash", "mdy_slash_pad", "mdy_short", "iso", "dmy_text", "mdy_text", "mon_d_y",
                "dmy_dot", "mdy_dash", "dmy_hyph"]
AREA_CODES = ["212", "312", "415", "617", "713", "206", "303", "404", "503", "602", "614", "702", "816",
              "919", "952", "347", "508", "720", "971", "210"]
US_PHONE = ["(AAA) EEE-LLLL", "AAA-EEE-LLLL", "AAA.EEE.LLLL", "+1 (AAA) EEE-LLLL", "+1 AAA-EEE-LLLL",
            "AAAEEELLLL", "1-AAA-EEE-LLLL", "AAA EEE LLLL"]
INTL_PHONE = ["+44 20 %### ####", "+44 7%## ######", "0049 30 %#####", "+49 89 %######", "(02) %### ####",
              "+61 4%# ### ###", "+33 1 %# ## ## ##", "+52 55 %### ####", "+91 9%### #####", "+353 1 %## ####"]
SAINTS = ["Luke", "Joseph", "Mary", "Vincent", "Francis", "Anne", "Elizabeth", "Jude"]
MBI_ALPHA = "ACDEFGHJKMNPQRTUVWXY"


def strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


class Maker:
    """One per case: a Faker per locale seeded from the case seed, plus a random.Random."""

    def __init__(self, fakers: dict, seed: int):
        self.rng = random.Random(seed)
        self.fakers = fakers
        for i, (loc, f) in enumerate(sorted(fakers.items())):
            f.seed_instance(seed * 31 + i)
        self.f = fakers["en_US"]
        self.persons: dict[str, dict] = {}
        self.tags: set[str] = set()
        self.last_date: dt.date | None = None

    # people ------------------------------------------------------------------
    def person(self, key: str, gender: str | None) -> dict:
        if key in self.persons:
            return self.persons[key]
        r = self.rng
        g = gender or r.choice("MF")
        loc = r.choices([l for l, _ in NAME_LOCALES], [w for _, w in NAME_LOCALES])[0]
        f = self.fakers[loc]
        first = f.first_name_female() if g == "F" else f.first_name_male()
        last = f.last_name()
        word = False
        if r.random() < 0.12:
            first, word = r.choice(WORD_FIRST[g]), True
        if not word and r.random() < 0.08:
            last, word = r.choice(WORD_LAST), True
        if word:
            self.tags.add("name-is-word")
        if loc != "en_US":
            self.tags.add(f"name-locale:{loc}")
        if any(ord(c) > 127 for c in first + last):
            self.tags.add("unicode")
        mid = self.f.random_uppercase_letter()
        p = {"first": first, "last": last, "mid": mid, "gender": g}
        self.persons[key] = p
        return p

    def name(self, key: str, opts: list[str], gender: str | None) -> str:
        p = self.person(key, gender)
        styles = [o for o in opts if o in ("lower", "first", "last", "init", "mid", "lastfirst", "upper", "full")]
        r = self.rng
        style = styles[0] if styles else r.choices(["full", "lower", "mid", "lastfirst"], [45, 35, 10, 10])[0]
        first, last = p["first"], p["last"]
        if style == "full":
            v = f"{first} {last}"
        elif style == "lower":
            v = f"{first} {last}".lower()
        elif style == "first":
            v = first.lower() if r.random() < 0.3 else first
        elif style == "last":
            v = last
        elif style == "init":
            a, b = strip_accents(first)[0].upper(), strip_accents(last)[0].upper()
            v = r.choice([f"{a}{b}", f"{a}.{b}.", f"{a}{b}".lower()])
        elif style == "mid":
            v = f"{first} {p['mid']}. {last}"
        elif style == "lastfirst":
            v = f"{last}, {first}"
        elif style == "upper":
            v = f"{last}, {first} {p['mid']}".upper()
        self.tags.add(f"name:{style}")
        return v

    # dates -------------------------------------------------------------------
    def date(self, opts: list[str]) -> str:
        r = self.rng
        if "dob" in opts:
            d = self.f.date_between(dt.date(1925, 1, 1), dt.date(2005, 12, 31))
        elif "after" in opts and self.last_date:
            d = self.last_date + dt.timedelta(days=r.randint(2, 21))
        else:
            d = self.f.date_between(dt.date(2022, 1, 1), dt.date(2025, 10, 31))
        self.last_date = d
        fmts = [o for o in opts if o in DATE_FORMATS]
        fmt = fmts[0] if fmts else r.choice(DATE_FORMATS)
        m, dd, y = d.month, d.day, d.year
        mon = MONTHS[m - 1]
        if fmt == "mdy_slash":
            v = f"{m}/{dd}/{y}"
        elif fmt == "mdy_slash_pad":
            v = f"{m:02d}/{dd:02d}/{y}"
        elif fmt == "mdy_short":
            v = f"{m}/{dd}/{y % 100:02d}"
        elif fmt == "iso":
            v = d.isoformat()
        elif fmt == "dmy_text":
            v = f"{dd} {mon[:3]} {y}"
        elif fmt == "mdy_text":
            v = f"{mon} {dd}, {y}"
        elif fmt == "mon_d_y":
            v = f"{mon[:3]} {dd} {y}"
        elif fmt == "dmy_dot":
            v = f"{dd:02d}.{m:02d}.{y}"
        elif fmt == "mdy_dash":
            v = f"{m}-{dd}-{y}"
        elif fmt == "dmy_hyph":
            v = f"{dd:02d}-{mon[:3]}-{y}"
        if fmt in ("dmy_text", "mdy_text", "mon_d_y") and r.random() < 0.3:
            v = v.lower()
        self.tags.add(f"date:{fmt}")
        return v

    # numbers -----------------------------------------------------------------
    def phone(self, opts: list[str]) -> str:
        r, f = self.rng, self.f
        intl = "intl" in opts or ("us" not in opts and r.random() < 0.25)
        if intl:
            v = f.numerify(r.choice(INTL_PHONE))
            self.tags.add("phone:intl")
        else:
            pat = r.choice(US_PHONE)
            v = (pat.replace("AAA", r.choice(AREA_CODES))
                 .replace("EEE", str(r.randint(201, 989)))
                 .replace("LLLL", f"{r.randint(0, 9999):04d}"))
            self.tags.add("phone:us")
        return v

    def mrn(self) -> str:
        r, f = self.rng, self.f
        style = r.choice(["8d", "7d", "dash", "alpha", "e9"])
        self.tags.add(f"mrn:{style}")
        return {"8d": lambda: f"{r.randint(0, 9999999):08d}",
                "7d": lambda: f.numerify("%######"),
                "dash": lambda: f.numerify("%###-##"),
                "alpha": lambda: f.bothify("?####", letters="ABCDEFGHKMNPRSTUVWXYZ"),
                "e9": lambda: f.numerify("E00%######")}[style]()

    def account(self, opts: list[str]) -> str:
        r, f = self.rng, self.f
        sub = next((o for o in opts if o in ("member", "mbi", "claim", "acct", "policy")), "member")
        self.tags.add(f"account:{sub}")
        if sub == "member":
            return r.choice([f.bothify("?%########", letters="WXYZ"), f.bothify("???%########", letters="ABHJKMNXZ"),
                             f.numerify("NW%########")])
        if sub == "mbi":
            def a():
                return r.choice(MBI_ALPHA)

            def an():
                return r.choice(MBI_ALPHA + "0123456789")
            v = f"{r.randint(1, 9)}{a()}{an()}{r.randint(0, 9)}{a()}{an()}{r.randint(0, 9)}{a()}{a()}{r.randint(0, 9)}{r.randint(0, 9)}"
            return r.choice([v, f"{v[:4]}-{v[4:7]}-{v[7:]}"])
        if sub == "claim":
            return r.choice([f.numerify("C%#########"), f.numerify("CLM%#######"), f.numerify("%##############")])
        if sub == "acct":
            return r.choice([f.numerify("%#######"), f.numerify("%#########"), f.numerify("A-%######")])
        return r.choice([f.numerify("PN-%####-##"), f.bothify("H%########"), f.bothify("??%#######", letters="QRTUV")])

    def ssn(self) -> str:
        v = self.f.ssn()
        style = self.rng.choice(["dash", "dash", "nodash", "spaces"])
        self.tags.add(f"ssn:{style}")
        return {"dash": v, "nodash": v.replace("-", ""), "spaces": v.replace("-", " ")}[style]

    def email(self) -> str:
        r, f = self.rng, self.f
        p = self.persons.get("1")
        if p and r.random() < 0.6:
            first = re.sub(r"[^a-z]", "", strip_accents(p["first"]).lower())
            last = re.sub(r"[^a-z]", "", strip_accents(p["last"]).lower())
            user = r.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{last}{r.randint(1, 99)}",
                             f"{last}.{first[0]}{r.randint(40, 99)}"])
            return f"{user}@{f.free_email_domain()}"
        return f.free_email()

    def url(self, opts: list[str]) -> str:
        r, f = self.rng, self.f
        p = self.persons.get("1")
        portal = [
            lambda: f"https://mychart.stbrigid.org/patient/{f.numerify('%######')}/results",
            lambda: f"portal.stbrigid.org/msg?pid={f.numerify('%#####')}",
            lambda: f"https://portal.{f.domain_name()}/records/{f.numerify('%#######')}",
            lambda: f"https://{f.domain_name()}/telehealth/join/{f.hexify('^^^^^^^^')}",
        ]
        share = [lambda: f"http://share.{f.domain_name()}/u/{f.user_name()}/photos",
                 lambda: f"https://photos.app.goo.gl/{f.pystr(min_chars=17, max_chars=17)}",
                 lambda: f"https://www.dropbox.com/s/{f.pystr(min_chars=15, max_chars=15).lower()}/wound.jpg"]
        slug = "help-" + f.user_name()
        if p:
            slug = re.sub(r"[^a-z]+", "-", strip_accents(f"{p['first']} {p['last']}").lower()).strip("-")
        fund = [lambda: f"https://www.gofundme.com/f/help-{slug}", lambda: f"gofund.me/{f.hexify('^^^^^^^^')}"]
        choices = (portal if "portal" in opts else share if "share" in opts else fund if "fund" in opts
                   else portal + share)
        self.tags.add("url")
        return r.choice(choices)()

    def ip(self, opts: list[str]) -> str:
        v6 = "v6" in opts
        self.tags.add("ip:v6" if v6 else "ip:v4")
        if v6:
            return self.f.ipv6()
        return self.f.ipv4_private() if self.rng.random() < 0.2 else self.f.ipv4_public()

    def address(self, opts: list[str]) -> str:
        r, f = self.rng, self.f
        street = f.street_address()
        if "street" in opts:
            self.tags.add("address:street")
            v = street
        else:
            self.tags.add("address:full")
            v = f"{street}, {f.city()}, {f.state_abbr(include_territories=False, include_freely_associated_states=False)} {f.zipcode()}"
        if r.random() < 0.3:
            v = v.lower()
        return v

    def zip(self, opts: list[str]) -> str:
        plus4 = "plus4" in opts or self.rng.random() < 0.25
        self.tags.add("zip:9" if plus4 else "zip:5")
        return self.f.zipcode_plus4() if plus4 else self.f.zipcode()

    def device(self) -> str:
        r, f = self.rng, self.f
        self.tags.add("device")
        return r.choice([f.numerify("PJN%#####H"), f.numerify("22%#########"), f.bothify("RLX%#####"),
                         f.bothify("NWP-%####-?", letters="ABCDEFGHJKZ"), f.bothify("%?##?#####", letters="ABCDEFGHJK")])

    def vehicle(self, opts: list[str]) -> str:
        if "vin" in opts:
            self.tags.add("vehicle:vin")
            return self.f.vin()
        self.tags.add("vehicle:plate")
        while True:
            v = self.f.license_plate()
            core = re.sub(r"[^A-Z0-9]", "", v)
            if len(core) >= 5 and re.search(r"[A-Z]", core) and re.search(r"[0-9]", core):
                return v

    def employer(self) -> str:
        self.tags.add("employer")
        return self.f.company()

    def facility(self) -> str:
        r, f = self.rng, self.f
        self.tags.add("facility")
        city = f.city()
        return r.choice([f"{city} General Hospital", f"{f.last_name()} Memorial Hospital", f"Mercy {city}",
                         f"{city} Rehab Center", f"{f.last_name()} Nursing and Rehabilitation",
                         f"St. {r.choice(SAINTS)}'s Medical Center", f"{city} Regional Medical Center",
                         f"Good Samaritan {city}", f"{city} Skilled Nursing"])

    def old_age(self) -> str:
        self.tags.add("age-90+")
        return str(self.rng.choice([90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 104]))

    def young_age(self) -> int:
        r = self.rng
        if r.random() < 0.1:
            self.tags.add("age-boundary")
            return 89
        return r.randint(19, 88)


# Lead-ins and tails that vary the clean questions typed by people (not used for note-like ones).
CLEAN_LEADS = ["", "", "", "quick q: ", "q: ", "pls confirm — ", "sorry if dumb: ", "night shift here, ",
               "pharmacy asking: ", "for the unit huddle: ", "charge rn question: "]
CLEAN_TAILS = ["", "", "", " thx", " ty", "??", " asking for the whole unit", " (per policy?)"]
NOTE_START = re.compile(r"(\{~)?(Reviewer|Draft|Note|Approved|reviewer|Edited|Rejected)\b")
REL = {"F": ["daughter", "wife", "mother", "sister", "niece"], "M": ["son", "husband", "father", "brother", "nephew"]}
SLOT_RE = re.compile(r"\{([A-Za-z_0-9]+)(#\d)?((?:\.[A-Za-z0-9_]+)*)\}")
CHOICE_RE = re.compile(r"\{~(.*?)~\}")
HARD_SPAN_RE = re.compile(r"\[\[([A-Z]+):(.*?)\]\]")


def render_template(tpl: str, m: Maker) -> str:
    """Expand choices and slots into internal markup."""
    r = m.rng
    s = tpl
    while True:
        s2 = CHOICE_RE.sub(lambda mo: r.choice(mo.group(1).split("|")), s, count=1)
        if s2 == s:
            break
        s = s2
    # gender constraints per person, from NAME options and relation slots
    forced: dict[str, str] = {}
    for mo in SLOT_RE.finditer(s):
        if mo.group(1) == "NAME":
            key = (mo.group(2) or "#1")[1:]
            opts = mo.group(3).split(".")[1:]
            if "f" in opts:
                forced[key] = "F"
            elif "m" in opts:
                forced[key] = "M"
    # create people in order of first mention so the relation word matches person 2
    for mo in SLOT_RE.finditer(s):
        if mo.group(1) == "NAME":
            key = (mo.group(2) or "#1")[1:]
            m.person(key, forced.get(key))
    if re.search(r"\{(pr|Pr|pos|obj|sex|age_sex)\}", s):
        m.person("1", forced.get("1"))
    if "{rel2" in s:
        m.person("2", forced.get("2"))
        m.tags.add("relative")

    def slot(mo: re.Match) -> str:
        name, key, opts = mo.group(1), (mo.group(2) or "#1")[1:], mo.group(3).split(".")[1:]
        p1 = m.persons.get("1")
        g1 = p1["gender"] if p1 else "F"
        if name in ("pr", "Pr"):
            w = "she" if g1 == "F" else "he"
            return w.capitalize() if name == "Pr" else w
        if name == "pos":
            return "her" if g1 == "F" else "his"
        if name == "obj":
            return "her" if g1 == "F" else "him"
        if name == "sex":
            return g1
        if name in ("rel2", "rel2cap"):
            w = r.choice(REL[m.persons["2"]["gender"]])
            return w.capitalize() if name == "rel2cap" else w
        if name == "age_yo":
            return f"<<{m.young_age()} {r.choice(['yo', 'y/o', 'yo'])}>>"
        if name == "age_sex":
            return f"<<{m.young_age()}{g1}>>"
        if name in ("age_yr", "a_age_yr"):
            a = m.young_age()
            art = "" if name == "age_yr" else "an " if str(a).startswith("8") or a in (11, 18) else "a "
            return f"{art}<<{a}-year-old>>"
        if name == "age_n":
            return f"<<age {m.young_age()}>>"
        if name == "NAME":
            g = "F" if "f" in opts else "M" if "m" in opts else None
            val = m.name(key, opts, g)
        elif name == "DATE":
            val = m.date(opts)
        elif name == "PHONE":
            val = m.phone(opts)
        elif name == "MRN":
            val = m.mrn()
        elif name == "ACCOUNT":
            val = m.account(opts)
        elif name == "SSN":
            val = m.ssn()
        elif name == "EMAIL":
            val = m.email()
            m.tags.add("email")
        elif name == "URL":
            val = m.url(opts)
        elif name == "IP":
            val = m.ip(opts)
        elif name == "ADDRESS":
            val = m.address(opts)
        elif name == "ZIP":
            val = m.zip(opts)
        elif name == "DEVICE":
            val = m.device()
        elif name == "VEHICLE":
            val = m.vehicle(opts)
        elif name == "EMPLOYER":
            val = m.employer()
        elif name == "FACILITY":
            val = m.facility()
        elif name == "AGE":
            val = m.old_age()
        else:
            raise ValueError(f"unknown slot {mo.group(0)} in {tpl!r}")
        assert name in TYPES, name
        assert not (set(val) & CONTROL) and "<<" not in val and ">>" not in val and val == val.strip(), val
        return f"{S_OPEN}{name}{S_SEP}{val}{S_CLOSE}"

    s = SLOT_RE.sub(slot, s)
    assert "{" not in s and "}" not in s, s
    return s.replace("<<", K_OPEN).replace(">>", K_CLOSE)


def hard_markup(s: str) -> str:
    s = HARD_SPAN_RE.sub(lambda mo: f"{S_OPEN}{mo.group(1)}{S_SEP}{mo.group(2)}{S_CLOSE}", s)
    assert "[[" not in s and "]]" not in s, s
    return s.replace("<<", K_OPEN).replace(">>", K_CLOSE)


def parse(marked: str) -> tuple[str, list[dict], list[str]]:
    out, spans, keep = [], [], []
    n, i = 0, 0
    while i < len(marked):
        c = marked[i]
        if c == S_OPEN:
            j, k = marked.index(S_SEP, i), marked.index(S_CLOSE, i)
            typ, val = marked[i + 1:j], marked[j + 1:k]
            spans.append({"start": n, "end": n + len(val), "type": typ, "text": val})
            out.append(val)
            n += len(val)
            i = k + 1
        elif c == K_OPEN:
            k = marked.index(K_CLOSE, i)
            val = marked[i + 1:k]
            if val not in keep:
                keep.append(val)
            out.append(val)
            n += len(val)
            i = k + 1
        else:
            assert c not in CONTROL, repr(marked)
            out.append(c)
            n += 1
            i += 1
    return "".join(out), spans, keep


def redact(text: str, spans: list[dict]) -> str:
    parts, last = [], 0
    for sp in sorted(spans, key=lambda s: s["start"]):
        parts.append(text[last:sp["start"]])
        parts.append(f"[{sp['type']}]")
        last = sp["end"]
    parts.append(text[last:])
    return "".join(parts)


def occurrences(text: str, sub: str):
    i = text.find(sub)
    while i != -1:
        yield i
        i = text.find(sub, i + 1)


def case_errors(c: dict) -> list[str]:
    """Everything that must hold for one case; empty list when valid."""
    e = []
    for k in ("id", "kind", "text", "spans", "expected", "keep"):
        if k not in c:
            e.append(f"missing field {k}")
    if e:
        return e
    text, spans = c["text"], c["spans"]
    if unicodedata.normalize("NFC", text) != text:
        e.append("text is not NFC-normalised")
    if c["kind"] not in KINDS:
        e.append(f"bad kind {c['kind']}")
    if not re.fullmatch(r"[qnc]\d{4}", c["id"]) or c["id"][0] != ID_PREFIX.get(c["kind"], "?"):
        e.append(f"bad id {c['id']}")
    prev_end = 0
    for sp in spans:
        if set(sp) != {"start", "end", "type", "text"}:
            e.append(f"span fields {sorted(sp)}")
            continue
        if sp["type"] not in TYPES:
            e.append(f"bad type {sp['type']}")
        if not (0 <= sp["start"] < sp["end"] <= len(text)):
            e.append(f"span out of range {sp}")
        if sp["start"] < prev_end:
            e.append(f"spans overlap or unsorted at {sp}")
        prev_end = sp["end"]
        if text[sp["start"]:sp["end"]] != sp["text"]:
            e.append(f"span text mismatch {sp} vs {text[sp['start']:sp['end']]!r}")
        if sp["text"] != sp["text"].strip():
            e.append(f"span has outer white space {sp}")
    if c["expected"] != redact(text, spans):
        e.append("expected != text with spans replaced")
    if not c["keep"]:
        e.append("no keep strings")
    for k in c["keep"]:
        if not k or k not in text:
            e.append(f"keep {k!r} not in text")
            continue
        for i in occurrences(text, k):
            for sp in spans:
                if i < sp["end"] and sp["start"] < i + len(k):
                    e.append(f"keep {k!r} overlaps span {sp['text']!r}")
        if k not in c["expected"]:
            e.append(f"keep {k!r} lost in expected")
    n = len(spans)
    if c["kind"] == "clean" and n:
        e.append("clean case with spans")
    if c["kind"] == "question" and not 1 <= n <= 4:
        e.append(f"question with {n} spans")
    if c["kind"] == "note" and n < 1:
        e.append("note without spans")
    return e


def make_case(kind: str, marked: str, hard: bool, source: str, tags: list[str]) -> dict:
    text, spans, keep = parse(marked)
    return {"id": "", "kind": kind, "text": text, "spans": spans, "expected": redact(text, spans),
            "keep": keep, "hard": hard, "source": source, "tags": sorted(set(tags))}


def build() -> list[dict]:
    import faker as faker_pkg
    from faker import Faker

    if faker_pkg.VERSION != FAKER_VERSION:
        sys.exit(f"Faker {faker_pkg.VERSION} installed; this corpus is pinned to {FAKER_VERSION}: "
                 f"pip install --quiet Faker=={FAKER_VERSION}")
    fakers = {loc: Faker(loc) for loc, _ in NAME_LOCALES}
    master = random.Random(SEED)
    seen_text: set[str] = set()
    by_kind: dict[str, list[dict]] = {k: [] for k in KINDS}
    for kind, templates, prefix in (("question", QUESTION_TEMPLATES, "tq"), ("note", NOTE_TEMPLATES, "tn"),
                                    ("clean", CLEAN_TEMPLATES, "tc")):
        order = list(range(len(templates)))
        master.shuffle(order)
        for i in range(N_GENERATED[kind]):
            t = order[i % len(order)]
            for attempt in range(50):
                m = Maker(fakers, master.randrange(2**31))
                tpl = templates[t]
                if kind == "clean" and not NOTE_START.match(tpl):
                    tpl = m.rng.choice(CLEAN_LEADS) + tpl + m.rng.choice(CLEAN_TAILS)
                c = make_case(kind, render_template(tpl, m), False, f"{prefix}{t + 1:02d}", sorted(m.tags))
                c["id"] = ID_PREFIX[kind] + "0000"
                if not case_errors(c) and c["text"] not in seen_text:
                    break
            else:
                raise SystemExit(f"template {prefix}{t + 1} keeps failing: {case_errors(c)} {c['text']}")
            seen_text.add(c["text"])
            by_kind[kind].append(c)
    for j, (kind, tags, marked) in enumerate(HARD_CASES):
        c = make_case(kind, hard_markup(marked), True, f"hand{j + 1:02d}", tags)
        c["id"] = ID_PREFIX[kind] + "0000"
        errs = case_errors(c)
        assert not errs and c["text"] not in seen_text, (marked, errs)
        seen_text.add(c["text"])
        by_kind[kind].append(c)
    cases = []
    for kind in KINDS:
        for n, c in enumerate(by_kind[kind], 1):
            c["id"] = f"{ID_PREFIX[kind]}{n:04d}"
            cases.append(c)
    for c in cases:
        errs = case_errors(c)
        assert not errs, (c, errs)
    return cases


def split(cases: list[dict]) -> tuple[list[dict], list[dict]]:
    """Stratified by kind. All cases of one template go to the same half (so the check half's phrasings
    are unseen in tune); hand-written cases are placed one by one. Within each kind, units (template
    groups largest first, then hand-written cases, each in a seeded shuffled order) go greedily to the
    half that keeps the kind's case counts and the per-type span counts closest."""
    rng = random.Random(SEED + 1)
    tune_ids: set[str] = set()
    spans = {h: collections.Counter() for h in ("tune", "check")}
    total = collections.Counter(s["type"] for c in cases for s in c["spans"])
    for kind in KINDS:
        groups: dict[str, list[dict]] = {}
        hand: list[list[dict]] = []
        for c in cases:
            if c["kind"] != kind:
                continue
            if c["hard"]:
                hand.append([c])
            else:
                groups.setdefault(c["source"], []).append(c)
        units = [groups[k] for k in sorted(groups)]
        rng.shuffle(units)
        units.sort(key=lambda u: -len(u))
        rng.shuffle(hand)
        n = {"tune": 0, "check": 0}
        for unit in units + hand:
            vec = collections.Counter(s["type"] for c in unit for s in c["spans"])

            def cost(half: str) -> float:
                other = "check" if half == "tune" else "tune"
                d_cases = n[half] + len(unit) - n[other]
                d_types = sum((spans[half][t] + vec[t] - spans[other][t]) ** 2 * 100 / total[t] for t in TYPES)
                return 4 * d_cases ** 2 + d_types

            half = "tune" if cost("tune") <= cost("check") else "check"
            n[half] += len(unit)
            spans[half].update(vec)
            if half == "tune":
                tune_ids.update(c["id"] for c in unit)
    tune = [c for c in cases if c["id"] in tune_ids]
    check = [c for c in cases if c["id"] not in tune_ids]
    return tune, check


def dump(cases: list[dict]) -> str:
    return "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases)


def counts_markdown(tune: list[dict], check: list[dict]) -> str:
    halves = {"tune": tune, "check": check}
    lines = ["| kind | tune | check | total | of which hand-written hard cases (tune / check) |",
             "|---|---|---|---|---|"]
    for kind in KINDS:
        t = [c for c in tune if c["kind"] == kind]
        k = [c for c in check if c["kind"] == kind]
        lines.append(f"| {kind} | {len(t)} | {len(k)} | {len(t) + len(k)} | "
                     f"{sum(c['hard'] for c in t)} / {sum(c['hard'] for c in k)} |")
    lines.append(f"| **all** | {len(tune)} | {len(check)} | {len(tune) + len(check)} | "
                 f"{sum(c['hard'] for c in tune)} / {sum(c['hard'] for c in check)} |")
    lines += ["", "| type | spans tune | spans check | spans total | cases with it (tune / check) |",
              "|---|---|---|---|---|"]
    for ty in TYPES:
        row = []
        for h in halves.values():
            row.append(sum(1 for c in h for s in c["spans"] if s["type"] == ty))
        cases_with = [sum(1 for c in h if any(s["type"] == ty for s in c["spans"])) for h in halves.values()]
        lines.append(f"| {ty} | {row[0]} | {row[1]} | {sum(row)} | {cases_with[0]} / {cases_with[1]} |")
    tot = [sum(len(c["spans"]) for c in h) for h in halves.values()]
    lines.append(f"| **all** | {tot[0]} | {tot[1]} | {sum(tot)} | |")
    keeps = [sum(len(c["keep"]) for c in h) for h in halves.values()]
    lines += ["", f"`keep` strings: {keeps[0]} in tune, {keeps[1]} in check. "
              f"Distinct templates: {len({c['source'] for c in tune + check if c['source'].startswith('tq')})} question, "
              f"{len({c['source'] for c in tune + check if c['source'].startswith('tn')})} note, "
              f"{len({c['source'] for c in tune + check if c['source'].startswith('tc')})} clean."]
    tags = collections.Counter(t for c in tune + check for t in c["tags"] if t.startswith("date:"))
    lines += ["", "Date formats (cases with at least one DATE span of that format): " +
              ", ".join(f"`{k[5:]}` {v}" for k, v in sorted(tags.items())) + "."]
    return "\n".join(lines)


def update_readme(block: str) -> None:
    if not README.exists():
        return
    s = README.read_text(encoding="utf-8")
    if COUNTS_BEGIN in s and COUNTS_END in s:
        head, rest = s.split(COUNTS_BEGIN, 1)
        _, tail = rest.split(COUNTS_END, 1)
        README.write_text(f"{head}{COUNTS_BEGIN}\n{block}\n{COUNTS_END}{tail}", encoding="utf-8")


def load(path: Path) -> list[dict]:
    out = []
    for ln, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as ex:
            sys.exit(f"{path.name}:{ln}: bad JSON: {ex}")
    return out


def check() -> int:
    problems = []
    tune, chk = load(OUT_TUNE), load(OUT_CHECK)
    ids = collections.Counter(c.get("id") for c in tune + chk)
    problems += [f"duplicate id {i}" for i, n in ids.items() if n > 1]
    texts = collections.Counter(c.get("text") for c in tune + chk)
    problems += [f"duplicate text {t!r}" for t, n in texts.items() if n > 1]
    for name, half in (("tune", tune), ("check", chk)):
        for c in half:
            problems += [f"{name} {c.get('id')}: {e}" for e in case_errors(c)]
    allc = tune + chk
    kc = collections.Counter(c["kind"] for c in allc)
    if len(allc) < MINIMUMS["total"]:
        problems.append(f"only {len(allc)} cases")
    for kind in KINDS:
        if kc[kind] < MINIMUMS[kind]:
            problems.append(f"only {kc[kind]} {kind} cases (need {MINIMUMS[kind]})")
        t = sum(c["kind"] == kind for c in tune)
        if abs(2 * t - kc[kind]) > max(4, kc[kind] // 20):
            problems.append(f"{kind}: split {t}/{kc[kind] - t} is not ~50/50")
    if sum(c.get("hard", False) for c in allc) < MINIMUMS["hard"]:
        problems.append("fewer than 60 hard cases")
    hard_kinds = {c["kind"] for c in allc if c.get("hard")}
    if hard_kinds != set(KINDS):
        problems.append(f"hard cases only in {hard_kinds}")
    nq = len({c["source"] for c in allc if c["source"].startswith("tq")})
    if nq < MINIMUMS["question_templates"]:
        problems.append(f"only {nq} question templates used")
    src_half = collections.defaultdict(set)
    for name, half in (("tune", tune), ("check", chk)):
        for c in half:
            if not c.get("hard"):
                src_half[c["source"]].add(name)
    problems += [f"template {s} in both halves" for s, h in src_half.items() if len(h) > 1]
    for ty in TYPES:
        for name, half in (("tune", tune), ("check", chk)):
            if not any(s["type"] == ty for c in half for s in c["spans"]):
                problems.append(f"no {ty} span in {name}")
    block = counts_markdown(tune, chk)
    print(block)
    if README.exists():
        s = README.read_text(encoding="utf-8")
        if f"{COUNTS_BEGIN}\n{block}\n{COUNTS_END}" not in s:
            problems.append("README counts block is stale (run generate.py)")
    try:
        import faker as faker_pkg
        have = faker_pkg.VERSION
    except ImportError:
        have = None
    if have == FAKER_VERSION:
        t2, c2 = split(build())
        same = dump(t2) == OUT_TUNE.read_text(encoding="utf-8") and dump(c2) == OUT_CHECK.read_text(encoding="utf-8")
        print(f"\nreproducible with Faker {FAKER_VERSION} and seed {SEED}: {'yes' if same else 'NO'}")
        if not same:
            problems.append("regenerating gives different files")
    else:
        print(f"\n(Faker {FAKER_VERSION} not installed ({have}); skipped the regeneration comparison)")
    if problems:
        print(f"\nFAILED: {len(problems)} problem(s)")
        for p in problems[:50]:
            print("  " + p)
        return 1
    print(f"\nOK: {len(allc)} cases ({len(tune)} tune, {len(chk)} check), "
          f"{sum(len(c['spans']) for c in allc)} spans, {sum(len(c['keep']) for c in allc)} keep strings")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="validate the checked-in files and print counts")
    args = ap.parse_args()
    if args.check:
        return check()
    tune, chk = split(build())
    OUT_TUNE.write_text(dump(tune), encoding="utf-8")
    OUT_CHECK.write_text(dump(chk), encoding="utf-8")
    update_readme(counts_markdown(tune, chk))
    print(f"wrote {OUT_TUNE.name} ({len(tune)}) and {OUT_CHECK.name} ({len(chk)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
