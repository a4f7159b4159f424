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


# Transcript exports as the tools write them (fictional people; layouts follow each tool's exports).
ZOOM_CLOUD_VTT = """\
WEBVTT

1
00:00:01.250 --> 00:00:04.510
Maria Reyes: Okay, I think we're recording now.

2
00:00:04.510 --> 00:00:09.020
Maria Reyes: Thanks everyone for joining the reflection circle &amp; for your patience.

3
00:00:09.830 --> 00:00:12.100
Jerome Baptiste: Happy to be here. It's been a long week.

4
00:00:12.400 --> 00:00:15.900
Jerome Baptiste: The budget hearing ran late.

5
00:01:02.000 --> 00:01:06.250
Wen Li: Same for me, honestly.
"""

ZOOM_LOCAL_TXT = """\
[Maria Reyes] 10:01:02
Okay, I think we're recording now.

[Maria Reyes] 10:01:09
Thanks everyone for joining the reflection circle.

[Jerome Baptiste] 10:01:15
Happy to be here. It's been a long week.

[Wen Li] 10:02:03
Same for me, honestly.
"""

ZOOM_TRANSCRIPT_TXT = """\
Maria Reyes  00:00:01
Okay, I think we're recording now.
Thanks everyone for joining the reflection circle.

Jerome Baptiste  00:00:09
Happy to be here. It's been a long week.

Jerome Baptiste  00:00:12
The budget hearing ran late.

Wen Li  00:01:02
Same for me, honestly.
"""

TEAMS_VTT = """\
WEBVTT

5c1f2a9e-7d3b-4e8a-b6c4-2f0e9d1a3b7c/12-0
00:00:03.120 --> 00:00:07.450
<v Maria Reyes>Okay, I think we're good to start.
Thanks everyone for joining.</v>

5c1f2a9e-7d3b-4e8a-b6c4-2f0e9d1a3b7c/12-1
00:00:07.450 --> 00:00:10.000
<v Maria Reyes>Let's go round the room.</v>

5c1f2a9e-7d3b-4e8a-b6c4-2f0e9d1a3b7c/20-0
00:00:10.800 --> 00:00:14.220
<v Jerome Baptiste (Guest)>I'll start. The <c.yellow>budget</c> hearing &amp; the vote were hard.</v>

5c1f2a9e-7d3b-4e8a-b6c4-2f0e9d1a3b7c/31-0
00:00:15.000 --> 00:00:18.300
<v Wen Li>Same for me, honestly.</v>
"""

TEAMS_DOCX = [
    "Reflection circle-20240312_150312-Meeting Recording",
    "March 12, 2024, 3:03PM",
    "45m 12s",
    "Maria Reyes started transcription",
    "Maria Reyes   0:03",
    "Okay, I think we're good to start. Thanks everyone for joining.",
    "Maria Reyes   0:07",
    "Let's go round the room.",
    "Jerome Baptiste   0:10",
    "I'll start. The budget hearing and the vote were hard.",
    "Wen Li   1:02",
    "Same for me, honestly.",
    "Maria Reyes stopped transcription",
]

OTTER_TXT = """\
Maria Reyes  0:03
Okay, I think we're recording now. Thanks everyone for joining the reflection circle.

Speaker 2  0:09
Happy to be here. It's been a long week.

Wen Li  1:02
Same for me, honestly.

Maria Reyes  1:10
Thank you, Wen.



Transcribed by https://otter.ai
"""

OTTER_DOCX = [
    "Reflection circle March",
    "Tue, Mar 12, 2024 3:03PM • 45:12",
    "SUMMARY KEYWORDS",
    "budget, hearing, circle, week",
    "SPEAKERS",
    "Maria Reyes, Wen Li, Speaker 2",
    "Maria Reyes  00:03",
    "Okay, I think we're recording now. Thanks everyone for joining the reflection circle.",
    "Speaker 2  00:09",
    "Happy to be here. It's been a long week.",
    "Wen Li  01:02",
    "Same for me, honestly.",
    "Transcribed by https://otter.ai",
]

OTTER_SRT = """\
1
00:00:03,000 --> 00:00:06,500
Maria Reyes: Okay, I think we're recording now.

2
00:00:06,500 --> 00:00:08,900
Thanks everyone for joining the reflection circle.

3
00:00:09,000 --> 00:00:12,000
Speaker 2: Happy to be here. It's been a long week.

4
00:01:02,000 --> 00:01:04,000
Wen Li: Same for me, honestly.
"""

REV_TXT = """\
Maria Reyes (00:03):
Okay, I think we're recording now. Thanks everyone for joining the reflection circle.

Jerome Baptiste (00:09):
Happy to be here. It's been a long week.

Jerome Baptiste (00:12):
The budget hearing ran late.

Wen Li (01:02:03):
Same for me, honestly.
"""

DESCRIPT_TXT = """\
[00:00:03] Maria Reyes: Okay, I think we're recording now.
[00:00:09] Jerome Baptiste: Happy to be here. It's been a long week.
[00:01:02] Wen Li: Same for me, honestly.
"""

TRINT_TXT = """\
Reflection circle (March)

Maria Reyes [00:00:03] Okay, I think we're recording now.

Jerome Baptiste [00:00:09] Happy to be here. It's been a long week.

Wen Li [00:01:02] Same for me, honestly.
"""

GOOGLE_MEET_TXT = """\
Reflection circle (2024-03-12 15:03 GMT-4) - Transcript
Attendees
Jerome Baptiste, Maria Reyes, Wen Li
Transcript
00:00:00

Maria Reyes: Okay, I think we're recording now.
Maria Reyes: Thanks everyone for joining the reflection circle.
Jerome Baptiste: Happy to be here. It's been a long week.
00:05:00

Wen Li: Same for me, honestly.
Meeting ended after 00:45:12 👋
"""

NOTES_QA_TXT = """\
Interview notes, site visit 3 (paraphrased, not verbatim)

Q: How did the first circle go for you?
A: Awkward. Nobody knew whether we were allowed to disagree.
Q: And later?
A: Better. The talking stone helped.
Q: Anything else?
A: No.
"""

NOTES_ROLES_TXT = """\
Interviewer: How did the first circle go for you?

Respondent: Awkward. Nobody knew whether we were allowed to disagree.

Interviewer: And later?

Respondent: Better. The talking stone helped.
It still is not easy.
"""

GOOGLE_MEET_DOCX = [line for line in GOOGLE_MEET_TXT.splitlines() if line]

# file name -> (content: text, or paragraphs for a .docx; expected turns as (speaker, timestamp))
EXPORTS: dict[str, tuple[str | list[str], list[tuple[str, float | None]]]] = {
    "zoom_cloud.vtt": (ZOOM_CLOUD_VTT, [("Maria Reyes", 1.25), ("Jerome Baptiste", 9.83), ("Wen Li", 62.0)]),
    "zoom_captions.txt": (ZOOM_LOCAL_TXT, [("Maria Reyes", 36062.0), ("Jerome Baptiste", 36075.0),
                                           ("Wen Li", 36123.0)]),
    "zoom_transcript.txt": (ZOOM_TRANSCRIPT_TXT, [("Maria Reyes", 1.0), ("Jerome Baptiste", 9.0), ("Wen Li", 62.0)]),
    "teams.vtt": (TEAMS_VTT, [("Maria Reyes", 3.12), ("Jerome Baptiste", 10.8), ("Wen Li", 15.0)]),
    "teams.docx": (TEAMS_DOCX, [("Maria Reyes", 3.0), ("Jerome Baptiste", 10.0), ("Wen Li", 62.0)]),
    "otter.txt": (OTTER_TXT, [("Maria Reyes", 3.0), ("Speaker 2", 9.0), ("Wen Li", 62.0), ("Maria Reyes", 70.0)]),
    "otter.docx": (OTTER_DOCX, [("Maria Reyes", 3.0), ("Speaker 2", 9.0), ("Wen Li", 62.0)]),
    "otter.srt": (OTTER_SRT, [("Maria Reyes", 3.0), ("Speaker 2", 9.0), ("Wen Li", 62.0)]),
    "rev.txt": (REV_TXT, [("Maria Reyes", 3.0), ("Jerome Baptiste", 9.0), ("Wen Li", 3723.0)]),
    "descript.txt": (DESCRIPT_TXT, [("Maria Reyes", 3.0), ("Jerome Baptiste", 9.0), ("Wen Li", 62.0)]),
    "trint.txt": (TRINT_TXT, [("Maria Reyes", 3.0), ("Jerome Baptiste", 9.0), ("Wen Li", 62.0)]),
    "meet.txt": (GOOGLE_MEET_TXT, [("Maria Reyes", 0.0), ("Jerome Baptiste", None), ("Wen Li", 300.0)]),
    "meet.docx": (GOOGLE_MEET_DOCX, [("Maria Reyes", 0.0), ("Jerome Baptiste", None), ("Wen Li", 300.0)]),
    "notes_qa.txt": (NOTES_QA_TXT, [("Q", None), ("A", None)] * 3),
    "notes_roles.txt": (NOTES_ROLES_TXT, [("Interviewer", None), ("Respondent", None)] * 2),
}


def exports_project(root: Path) -> Path:
    """A project with one file per transcript export in :data:`EXPORTS` (under ``data/raw/t/``)."""
    make_project(root, {f"t/{name}": content for name, (content, _) in EXPORTS.items() if isinstance(content, str)},
                 {"transcripts": [{"path": "t/*"}]})
    for name, (content, _) in EXPORTS.items():
        if isinstance(content, list):
            write_docx(root / "data/raw/t" / name, content)
    return root
