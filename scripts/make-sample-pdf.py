#!/usr/bin/env python3
"""Writes corpus/protocols/pressure-injury-prevention.pdf: a two-page text PDF of the fictional hospital's
pressure-injury protocol. Standard library only; run again after editing PAGES."""
import sys

PAGES = [
    [
        "Pressure Injury Prevention",
        "St. Brigid Community Hospital - Nursing Practice Council",
        "",
        "Risk assessment",
        "Assess every adult inpatient with the Braden Scale within 8 hours of admission",
        "and once per shift. A Braden score of 18 or lower means the patient is at risk.",
        "",
        "Skin inspection",
        "Inspect the sacrum, heels, hips and occiput at least once per shift and document",
        "any non-blanchable redness as a stage 1 pressure injury.",
    ],
    [
        "Repositioning",
        "Reposition patients at risk at least every 2 hours in bed and every hour when",
        "seated. Use a pressure-redistributing mattress for a Braden score of 12 or lower.",
        "",
        "Nutrition",
        "Refer patients at risk with poor oral intake to the dietitian within 24 hours.",
        "Offer protein supplements of 1.25 to 1.5 g/kg per day unless contraindicated.",
    ],
]


def escape(text):
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def build():
    objects = []
    page_ids = []
    font_id = 3
    next_id = 4
    bodies = {}
    for lines in PAGES:
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 740 Td"]
        for line in lines:
            ops.append(f"({escape(line)}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        content_id, page_id = next_id, next_id + 1
        next_id += 2
        bodies[content_id] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
        bodies[page_id] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
            % (font_id, content_id)
        )
        page_ids.append(page_id)
    bodies[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    kids = " ".join(f"{p} 0 R" for p in page_ids).encode()
    bodies[2] = b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % len(page_ids)
    bodies[font_id] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for oid in sorted(bodies):
        offsets[oid] = len(out)
        out += b"%d 0 obj\n" % oid + bodies[oid] + b"\nendobj\n"
    xref = len(out)
    count = max(bodies) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % count
    for oid in range(1, count):
        out += b"%010d 00000 n \n" % offsets[oid]
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (count, xref)
    return bytes(out)


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "corpus/protocols/pressure-injury-prevention.pdf"
    with open(target, "wb") as f:
        f.write(build())
