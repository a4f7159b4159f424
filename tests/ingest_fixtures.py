"""Small hand-written inputs in every supported format, and a helper to build a project from them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

TXT_ABBREV = """\
HARBOR COUNTY OFFICE OF EQUITY
Reflection Circle #2, notes start at 10:30.
Note: names are kept in this internal copy only.
Facilitator: Maria Reyes
See https://example.org/cop for the agenda.

Maria Reyes (MR): Welcome back. We start at 10:30 sharp, I promise.
Luz Hernández (LH): Thanks. When [the consultant] ran the session, nobody asked us anything.

It felt like the plan was written before we came in. I stopped trusting the process.
MR: Say more about that?
LH:
The county owned the plan and we were decoration. [inaudible] That is harm.
Honestly: it still stings.
MR: Thank you for naming it.

END OF TRANSCRIPT

Transcriber's note: about 8 seconds [inaudible] at 00:41:10.
"""

TXT_ROLES = """\
Mid-point paired interview (de-identified labels)

Interviewer 1: Thanks for doing this together. Are you comfortable?

Participant 3: I asked for it, so yes. We went through the budget fight together.

Participant 5: Same. The story only makes sense with both halves.

Interviewer 1: Then let's start with the budget.

Participant 3: They cut the stipends without asking. That broke something.

[recording ends]
"""

TXT_TIMESTAMPS = """\
Dashboard working group, reflection segment.

[01:10:09] Maria Reyes: Okay, we're recording. How has the working group been going?
[01:10:30] Nate Kowalski: I thought it was a technical project. It was not.
[01:11:01] Bao Tran: I was polite!
[01:11:03] Nate Kowalski: You asked who the dashboard is for. That changed everything.
[01:12:00] [recording stopped]
"""

VTT = """\
WEBVTT

NOTE
Reflection call, recorded on Zoom.

1
00:00:01.000 --> 00:00:03.308
<v Maria Reyes>Hi everyone, thanks for jumping on.</v>

2
00:00:03.708 --> 00:00:11.400
<v Maria Reyes>This is a <i>short</i> reflection call &amp; no decisions.</v>

3
00:00:11.800 --> 00:00:16.031
<v.loud Jerome Baptiste>I'm tired, Maria.</v>
<v Wen Li>Me too.</v>

4
00:01:02.000 --> 00:01:05.000
<v Maria Reyes>Thank you, all of you.</v>
"""

SRT = """\
1
00:00:01,000 --> 00:00:03,857
KWAME: Welcome to the last circle of the year.

2
00:00:04,157 --> 00:00:10,586
And for some of us, the last circle, full stop.

3
00:00:10,886 --> 00:00:12,000
LUZ: Can I go first?

4
00:00:12,300 --> 00:00:15,000
<i>I went first at the very first circle.</i>

5
00:00:15,300 --> 00:00:18,000
KWAME: Go ahead, Luz.
"""

QUALTRICS_ROWS = [
    ["StartDate", "EndDate", "Finished", "ResponseId", "Q1", "Q2", "Q5", "Q6"],
    ["Start Date", "End Date", "Finished", "Response ID", "What is your role?", "Department",
     "What has changed in how you work with community members?", "What should the CoP stop doing?"],
    ['{"ImportId":"startDate"}', '{"ImportId":"endDate"}', '{"ImportId":"finished"}', '{"ImportId":"_recordId"}',
     '{"ImportId":"QID1"}', '{"ImportId":"QID2"}', '{"ImportId":"QID5_TEXT"}', '{"ImportId":"QID6_TEXT"}'],
    ["2024-04-01", "2024-04-01", "True", "R_1abc", "member", "Public Works",
     "We finally ask residents before we draw the map. Trust is slow, but it is growing.",
     "Stop rushing the agenda, it pushes\nthe community voices out."],
    ["2024-04-02", "2024-04-02", "True", "R_2def", "staff", "Budget Office",
     "Honestly, not much, the deadlines still win.", ""],
    ["2024-04-03", "2024-04-03", "False", "R_3ghi", "member", "Health",
     "I feel safer saying \"ouch\" when something lands wrong, even with deputies in the room.",
     "Stop treating stipends as optional."],
]

GOOGLE_ROWS = [
    ["Timestamp", "Email Address", "Your role", "What did the reflection circles change for you?"],
    ["2024/05/01 10:00:00", "a@example.org", "member", "I learned to hold my anger and still stay at the table."],
    ["2024/05/01 11:00:00", "b@example.org", "staff", "They gave me words for what my department does to people."],
]

SURVEYMONKEY_ROWS = [
    ["Respondent ID", "Collector ID", "Start Date", "What is your role?", "", "What would you keep?"],
    ["", "", "", "Member", "Staff", "Open-Ended Response"],
    ["1001", "55", "2024-06-01", "Member", "", "The circles. The talking stone. Being asked first."],
    ["1002", "55", "2024-06-02", "", "Staff", "Co-chairs from the community; they changed who owns the agenda."],
]


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def write_docx(path: Path, paragraphs: list[str], table: list[list[str]] | None = None) -> Path:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.save(str(path))
    return path


def write_xlsx(path: Path, rows: list[list[str]], sheet: str = "Sheet1") -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = sheet
    for row in rows:
        ws.append([int(v) if v.isdigit() else (v or None) for v in row])
    workbook.save(path)
    return path


DOCX_PARAGRAPHS = [
    "Reflection Interview: Department Lead Perspective",
    "Interview date: July 12, 2023",
    "Hannah: Thanks for making time, Greg.",
    "Greg: Glad to do it. I manage capital planning.",
    "In practice my role has been translator.",
    "Hannah: Can you say more?",
    "Greg: The scoring model rewarded traffic volume, so the Heights always won.",
    "END OF INTERVIEW",
]


def make_project(root: Path, files: dict[str, str | bytes] | None = None, config: dict | None = None) -> Path:
    """A project at ``root``: ``files`` (paths relative to data/raw) and ``project.yml`` from ``config``."""
    raw = root / "data" / "raw"
    for rel, content in (files or {}).items():
        path = raw / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    raw.mkdir(parents=True, exist_ok=True)
    (root / "project.yml").write_text(yaml.safe_dump(config or {}), encoding="utf-8")
    return root


def full_project(root: Path) -> Path:
    """One file of every supported format with a config that names them."""
    make_project(root, {
        "transcripts/circle.txt": TXT_ABBREV,
        "transcripts/paired.md": TXT_ROLES,
        "transcripts/dashboard.txt": TXT_TIMESTAMPS,
        "transcripts/call.vtt": VTT,
        "transcripts/closing.srt": SRT,
        "surveys/wave1.csv": "\ufeff" + csv_text(QUALTRICS_ROWS),
        "surveys/forms.csv": csv_text(GOOGLE_ROWS),
    }, {
        "transcripts": [
            {"path": "transcripts/*.txt", "wave": "2023", "speaker_roles": {"MR": "facilitator"}},
            {"path": "transcripts/*.md", "wave": "2023"},
            {"path": "transcripts/*.vtt", "wave": "2024"},
            {"path": "transcripts/*.srt", "wave": "2024"},
            {"path": "transcripts/*.docx", "wave": "2023", "speaker_roles": {"Hannah": "interviewer"}},
        ],
        "surveys": [
            {"path": "surveys/wave1.csv", "wave": "1", "open_ended": ["Q5", "Q6"],
             "attributes": {"role": "Q1", "department": "Department"}},
            {"path": "surveys/forms.csv", "wave": "2", "layout": "google_forms",
             "open_ended": ["What did the reflection circles change for you?"], "attributes": {"role": "Your role"}},
            {"path": "surveys/*.xlsx", "wave": "3", "open_ended": ["What would you keep?"],
             "attributes": {"role": "What is your role? - Member"}},
        ],
    })
    write_docx(root / "data/raw/transcripts/interview.docx", DOCX_PARAGRAPHS)
    write_xlsx(root / "data/raw/surveys/monkey.xlsx", SURVEYMONKEY_ROWS)
    return root
