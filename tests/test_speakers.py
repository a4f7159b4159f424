"""Speaker-label detection, aliasing, roles, preamble/trailer handling."""

from __future__ import annotations

import pytest

from cop_analysis.speakers import (link_speakers, match_label, parse_timestamp, resolve_speakers,
                                   split_paragraphs, trailer_start)
from ingest_fixtures import TXT_ABBREV, TXT_ROLES, TXT_TIMESTAMPS


@pytest.mark.parametrize("line, label", [
    ("Dana: hi", "Dana"),
    ("Dana Whitfield (DW): hi", "Dana Whitfield"),
    ("Interviewer 1: ok", "Interviewer 1"),
    ("Participant 3: yes", "Participant 3"),
    ("[00:01:23] Dana Whitfield: hi", "Dana Whitfield"),
    ("Dana [1:23]: hi", "Dana"),
    ("**Dana:** hi", "Dana"),
    ("Mary-Jo O'Neil: hi", "Mary-Jo O'Neil"),
    ("Luz Hernández (LH): hola", "Luz Hernández"),
    ("KWAME: Welcome", "KWAME"),
    ("Dana:", "Dana"),
])
def test_labels(line: str, label: str) -> None:
    match = match_label(line)
    assert match is not None and match.label == label
    assert line[match.content_start:].strip() == line.split(":", 1)[1].lstrip("* ").strip() or "[" in line


@pytest.mark.parametrize("line", [
    "https://example.org/cop: the link",
    "See https://example.org for details.",
    "10:30: we start",
    "10:30 is when we meet: sharp",
    "[the consultant]: said so",
    "[inaudible] and then: nothing",
    "Note: names are changed.",
    "Editor's Note: this is a note",
    "Date: March 14, 2023",
    "Here's the thing: we were tired.",
    "the plan: was written",
    "Dana:no space after colon",
    # not speaker headers ('Name  hh:mm' lines of Otter/Meet exports)
    "Meeting ended after 00:45:12 👋",
    "Tue, Mar 12, 2024 3:03PM • 45:12",
    "Break 10:30",  # one space: an agenda line, not a speaker header
    "Note  10:30",
    "Maria Reyes  10:30 and then we left",
    "we met at [10:30] sharp",
    "00:05:00",
])
def test_not_labels(line: str) -> None:
    assert match_label(line) is None


def test_label_details() -> None:
    m = match_label("[01:02:03] Dana Whitfield (DW): hi")
    assert m is not None and m.timestamp == 3723 and m.abbrev == "DW"
    assert match_label("Dana Whitfield (Facilitator): hi").role_hint == "facilitator"  # type: ignore[union-attr]
    assert match_label("Dana (00:01:05): hi").timestamp == 65  # type: ignore[union-attr]
    assert parse_timestamp("00:00:01,500") == 1.5 and parse_timestamp("2:03") == 123


@pytest.mark.parametrize("line, label, stamp, rest", [
    ("[Maria Reyes] 10:01:02", "Maria Reyes", 36062, ""),  # Zoom saved captions
    ("Maria Reyes  00:00:01", "Maria Reyes", 1, ""),  # Zoom transcript, Otter: two spaces
    ("Speaker 2\t0:09", "Speaker 2", 9, ""),
    ("Jerome Baptiste (Guest)   0:10", "Jerome Baptiste", 10, ""),  # Teams .docx
    ("Wen Li [00:01:02] Same for me.", "Wen Li", 62, "Same for me."),  # Trint-style
    ("Wen Li (1:02)", "Wen Li", 62, ""),
])
def test_header_labels(line: str, label: str, stamp: float, rest: str) -> None:
    match = match_label(line)
    assert match is not None and (match.label, match.timestamp, line[match.content_start:]) == (label, stamp, rest)


def test_bare_times_and_tool_closing_lines() -> None:
    text = ("Transcript\n00:00:00\n\nMaria Reyes: Hello.\nJerome Baptiste: Hi.\n00:05:00\n\nWen Li: Hey.\n"
            "Meeting ended after 00:45:12 👋\n")
    paragraphs = split_paragraphs(text)
    assert [(p.label.label if p.label else None, p.timestamp, text[p.start:p.end]) for p in paragraphs] == [
        (None, None, "Transcript"), ("Maria Reyes", 0.0, "Hello."), ("Jerome Baptiste", None, "Hi."),
        ("Wen Li", 300.0, "Hey."), (None, None, "Meeting ended after 00:45:12 👋")]
    assert trailer_start(paragraphs[4:], text) == 0
    otter = "Maria Reyes  0:03\nHello.\n\nWen Li  0:09\nHi.\n\nTranscribed by https://otter.ai\n"
    paragraphs = split_paragraphs(otter)
    assert [(p.label.label if p.label else None, p.timestamp) for p in paragraphs] == [
        ("Maria Reyes", 3), ("Wen Li", 9), (None, None)]
    assert trailer_start(paragraphs[2:], otter) == 0


def _turns(text: str, roles: dict[str, str] | None = None) -> list[tuple[str | None, str]]:
    paragraphs = split_paragraphs(text, roles or {})
    resolved = resolve_speakers([p.label for p in paragraphs if p.label], roles)
    return [(resolved[p.label.label.casefold()].name if p.label else None, text[p.start:p.end]) for p in paragraphs]


def test_abbreviation_maps_to_full_name_and_continuations() -> None:
    paragraphs = _turns(TXT_ABBREV)
    speakers = [s for s, _ in paragraphs]
    # preamble (with 'Note:', a URL, a time and a one-off 'Facilitator:' line) is one unlabelled paragraph
    assert speakers[0] is None and paragraphs[0][1].startswith("HARBOR COUNTY") and "Facilitator:" in paragraphs[0][1]
    assert speakers[1:] == ["Maria Reyes", "Luz Hernández", None, "Maria Reyes", "Luz Hernández", "Maria Reyes",
                            None, None]
    assert paragraphs[3][1].startswith("It felt like")  # continuation paragraph (speaker assigned by the turn)
    # a label alone on its line: the turn text starts on the next line; 'Honestly:' is not a speaker
    assert paragraphs[5][1] == ("The county owned the plan and we were decoration. [inaudible] That is harm.\n"
                                "Honestly: it still stings.")
    assert "[the consultant]" in paragraphs[2][1]


def test_roles_multiword_labels_and_timestamps() -> None:
    paragraphs = split_paragraphs(TXT_ROLES)
    labels = [p.label.label for p in paragraphs if p.label]
    assert labels == ["Interviewer 1", "Participant 3", "Participant 5", "Interviewer 1", "Participant 3"]
    roles = {k: s.role for k, s in resolve_speakers([p.label for p in paragraphs if p.label]).items()}
    assert roles == {"interviewer 1": "interviewer", "participant 3": "participant", "participant 5": "participant"}

    stamped = split_paragraphs(TXT_TIMESTAMPS)
    assert [(p.label.label if p.label else None, p.timestamp) for p in stamped] == [
        (None, None), ("Maria Reyes", 4209), ("Nate Kowalski", 4230), ("Bao Tran", 4261), ("Nate Kowalski", 4263),
        (None, 4320)]
    assert TXT_TIMESTAMPS[stamped[-1].start:stamped[-1].end] == "[recording stopped]"


def test_aliases_initials_first_names_and_case() -> None:
    text = "Dana Whitfield: one\nDW: two\nDana: three\nDANA WHITFIELD: four\nMarcus Bell: five\nMarcus: six\n"
    paragraphs = split_paragraphs(text)
    resolved = resolve_speakers([p.label for p in paragraphs if p.label])
    assert {k: v.name for k, v in resolved.items()} == {
        "dana whitfield": "Dana Whitfield", "dw": "Dana Whitfield", "dana": "Dana Whitfield",
        "marcus bell": "Marcus Bell", "marcus": "Marcus Bell"}
    caps = split_paragraphs("LUZ: hi\nTOM: yo\nLUZ: ok\nTOM: fine\nJB: I'm here\nJB: still\n")
    assert sorted({s.name for s in resolve_speakers([p.label for p in caps if p.label]).values()}) == [
        "JB", "Luz", "Tom"]


def test_configured_roles_by_any_alias_and_heuristics() -> None:
    paragraphs = split_paragraphs(TXT_ABBREV)
    labels = [p.label for p in paragraphs if p.label]
    for key in ("MR", "Maria Reyes", "maria reyes"):
        resolved = resolve_speakers(labels, {key: "facilitator"})
        assert resolved["mr"].role == resolved["maria reyes"].role == "facilitator"
        assert resolved["lh"].role == "member"  # a group with a facilitator
    assert {s.role for s in resolve_speakers(labels).values()} == {"participant"}  # two people, no roles known
    group = split_paragraphs("Facilitator: welcome\nAmy: a\nBen: b\nAmy: c\nBen: d\nFacilitator: bye\n")
    roles = {k: s.role for k, s in resolve_speakers([p.label for p in group if p.label]).items()}
    assert roles == {"facilitator": "facilitator", "amy": "member", "ben": "member"}
    hinted = split_paragraphs("Dana Whitfield (Moderator): a\nAmy: b\nAmy: c\nDana Whitfield: d\n")
    assert resolve_speakers([p.label for p in hinted if p.label])["dana whitfield"].role == "moderator"


def test_real_speakers_recur_singletons_need_evidence() -> None:
    text = "Location: Room 2B\nAmy: a\nBen: b\nAmy: c\nWhatever: this line is not a turn\nBen: d\nGuest Speaker: once\n"
    labels = [p.label.label for p in split_paragraphs(text) if p.label]
    assert labels == ["Amy", "Ben", "Amy", "Ben", "Guest Speaker"]
    # a configured one-off speaker is accepted
    labels = [p.label.label for p in split_paragraphs(text, ["Whatever"]) if p.label]
    assert "Whatever" in labels


def test_no_labels_and_trailer() -> None:
    text = "Just a written reflection.\n\nSecond paragraph: with a colon.\n"
    assert all(p.label is None for p in split_paragraphs(text))
    tail_text = "Amy: a\nAmy: b\n\ncontinued\n\n[Meeting adjourned]\n\n(end)\n"
    paragraphs = split_paragraphs(tail_text)
    tail = paragraphs[2:]
    assert [tail_text[p.start:p.end] for p in tail][trailer_start(tail, tail_text):] == ["[Meeting adjourned]", "(end)"]
    text = "Amy: a\nBen: b\nAmy: c\nBen: d\n\nmore from Ben\n\n---\nprepared by the evaluators\n"
    paragraphs = split_paragraphs(text)
    tail = paragraphs[4:]
    assert trailer_start(tail, text) == 1


def test_capitalised_header_lines_are_not_speakers() -> None:
    text = "PARTICIPANTS: Amy, Ben\nCONFIDENTIAL: internal copy\nDATE: today\n\nAMY: hello\nBEN: hi\n"
    assert [p.label.label for p in split_paragraphs(text) if p.label] == ["AMY", "BEN"]


def test_link_speakers_first_names_initials_and_spellings() -> None:
    links = link_speakers({
        "a.txt": ["Kwame Asante", "Maria Reyes", "Interviewer 1", "Participant 3"],
        "b.txt": ["Kwame", "MR", "Dana whitfield", "Hannah"],
        "c.txt": ["Dana Whitfield", "KA", "Maria"],
    })
    assert links.names == {"kwame": "Kwame Asante", "mr": "Maria Reyes", "ka": "Kwame Asante",
                           "maria": "Maria Reyes", "dana whitfield": "Dana Whitfield"}
    assert links.ambiguous == ()
    # initials only when written in capitals; last names never
    assert link_speakers({"a": ["Kwame Asante"], "b": ["Ka", "Asante"]}).names == {}


def test_link_speakers_never_links_roles_groups_or_numbers() -> None:
    links = link_speakers({"a.txt": ["Participant 3", "Interviewer 1", "Speaker 2", "Facilitator Team", "All Hands"],
                           "b.txt": ["Participant", "Interviewer", "Speaker", "Facilitator", "All", "P3", "I1"]})
    assert links.names == {} and links.ambiguous == ()


def test_link_speakers_ambiguity_and_explicit_aliases() -> None:
    names = {"a.txt": ["Kwame Asante"], "b.txt": ["Kwame Mensah"], "c.txt": ["Kwame"], "d.txt": ["Kwame", "Luz"]}
    links = link_speakers(names)
    assert links.names == {}
    (amb,) = links.ambiguous
    assert amb.name == "Kwame" and amb.sources == ("c.txt", "d.txt")
    assert amb.candidates == (("Kwame Asante", ("a.txt",)), ("Kwame Mensah", ("b.txt",)))
    assert amb.message() == ("speaker 'Kwame' (also in d.txt) could be Kwame Asante (a.txt) or Kwame Mensah (b.txt): "
                             "left unlinked; name the person under speaker_aliases in project.yml to link it")
    # an explicit alias pins the name (no warning); its target is a link target even if no file uses it
    pinned = link_speakers(names, {"Kwame": "Kwame Asante", "Luz": "Luz Hernández"})
    assert pinned.names == {} and pinned.ambiguous == ()
    assert link_speakers({"a.txt": ["Luz"]}, {"LH": "Luz Hernández"}).names == {"luz": "Luz Hernández"}


def test_resolve_speakers_with_aliases_links_and_roles() -> None:
    text = "Kwame Mensah: a\nKwame: b\nK. Asante: c\nKwame Mensah: d\nK. Asante: e\n"
    labels = [p.label for p in split_paragraphs(text) if p.label]
    # without aliases 'Kwame' is Kwame Mensah (the only 'Kwame ...' in the file)
    assert resolve_speakers(labels)["kwame"].name == "Kwame Mensah"
    aliases = {"kwame": "Kwame Asante", "K. ASANTE": "Kwame Asante"}  # explicit wins over the in-file guess
    resolved = resolve_speakers(labels, {"Kwame Asante": "facilitator"}, aliases)
    assert {k: (s.name, s.role) for k, s in resolved.items()} == {
        "kwame mensah": ("Kwame Mensah", "member"), "kwame": ("Kwame Asante", "facilitator"),
        "k. asante": ("Kwame Asante", "facilitator")}
    assert resolved["kwame"].aliases == ("K. Asante", "Kwame")
    # project links rename the file's canonical names; speaker_roles keyed by any variant apply
    one = [p.label for p in split_paragraphs("KWAME: hi\nLuz: yes\nKWAME: ok\nLuz: fine\n") if p.label]
    links = {"kwame": "Kwame Asante", "luz": "Luz Hernández"}
    for roles in ({"Kwame Asante": "facilitator"}, {"kwame": "facilitator"}, {"KA": "facilitator"}):
        resolved = resolve_speakers(one, roles, {"KA": "Kwame Asante"}, links)
        assert (resolved["kwame"].name, resolved["kwame"].role) == ("Kwame Asante", "facilitator"), roles
        assert (resolved["luz"].name, resolved["luz"].role) == ("Luz Hernández", "member")


def test_a_label_whose_time_cannot_be_read_still_opens_its_speakers_turn(tmp_path) -> None:
    """'[1:2:x] Maria:', '[00:02:10 Kwame:' (no closing bracket) and '00:61:99' were read as text of the
    turn before, giving one speaker's words to another; now each opens its speaker's turn without a
    time, and the reader warns with the line. '[12] Dana:' and '[the consultant]:' are still not labels."""
    from cop_analysis.readers.transcripts import read_transcript

    path = tmp_path / "t.txt"
    path.write_text("[00:00:05] Maria Reyes: We started late.\n\n"
                    "[00:61:99] Kwame Asante: The budget matters.\n\n"
                    "[1:2:x] Maria Reyes: Maria again.\n\n"
                    "[00:02:10 Kwame Asante: Kwame again.\n\n"
                    "[12] Dana: a footnote.\n\n"
                    "[00:03:00] Maria Reyes: Fine.\n", encoding="utf-8")
    doc = read_transcript(path)
    turns = [(p.label.label if p.label else None, p.timestamp, doc.text[p.start:p.end]) for p in doc.paragraphs]
    assert turns == [("Maria Reyes", 5.0, "We started late."), ("Kwame Asante", None, "The budget matters."),
                     ("Maria Reyes", None, "Maria again."), ("Kwame Asante", None, "Kwame again."),
                     (None, None, "[12] Dana: a footnote."), ("Maria Reyes", 180.0, "Fine.")]
    assert doc.warnings == [
        "line 3: the time '00:61:99' of speaker label 'Kwame Asante' cannot be read; the turn is kept without a time",
        "line 5: the time '[1:2:x]' of speaker label 'Maria Reyes' cannot be read; the turn is kept without a time",
        "line 7: the time '[00:02:10' of speaker label 'Kwame Asante' cannot be read; the turn is kept without a time"]
    assert match_label("[the consultant] said: x") is None and match_label("[10:30 am] Dana: hi").bad_time == "[10:30 am]"
