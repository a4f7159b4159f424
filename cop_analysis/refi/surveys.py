"""Survey sources in REFI-QDA: the layout description we export and how import rebuilds the survey.

A survey source is exported as its ingested text (one ``[respondent] question`` header line and
the answer per response, blocks separated by a blank line; :func:`cop_analysis.ingest.survey_text`)
plus a ``Description`` whose first line starts with :data:`SURVEY_MARKER` and whose rest is JSON::

    {"questions": [[question_id, question_text], ...],          # in column order
     "respondents": [[respondent_id, wave, {attribute: value}], ...],
     "answers": [[respondent_index, question_index, length], ...]}  # in text order

``length`` counts the answer's code points in the normalised text (LF line ends). On import the
answers are cut out of the (possibly re-exported) text by those lengths, every header checked, and
written as a survey CSV that ingests back into exactly the same text, so selections keep their offsets.
"""

from __future__ import annotations

import csv
import heapq
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

SURVEY_MARKER = "cop-analysis survey v1"
_INTRO = (f"{SURVEY_MARKER}: open-ended answers, one block per respondent x question. The JSON below lets "
          "cop-analysis rebuild respondents, questions, waves and attributes on import; keep it unchanged.")


@dataclass
class SurveyLayout:
    """Questions (column order), respondents (row order) and which answers the text holds, in order."""

    questions: list[tuple[str, str]]
    respondents: list[tuple[str, str | None, dict[str, str]]]
    answers: list[tuple[int, int, int]]  # respondent index, question index, answer length


def _column_order(sequences: list[list[str]]) -> list[str]:
    """Question ids in an order consistent with every respondent's answer order (first seen first)."""
    first: dict[str, int] = {}
    after: dict[str, set[str]] = {}
    for seq in sequences:
        for i, qid in enumerate(seq):
            first.setdefault(qid, len(first))
            after.setdefault(qid, set())
            if i:
                after[seq[i - 1]].add(qid)
    indegree = {qid: 0 for qid in first}
    for nexts in after.values():
        for qid in nexts:
            indegree[qid] += 1
    ready = [(first[q], q) for q, n in indegree.items() if n == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, qid = heapq.heappop(ready)
        order.append(qid)
        for nxt in after[qid]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                heapq.heappush(ready, (first[nxt], nxt))
    return order + sorted(set(first) - set(order), key=first.__getitem__)  # a cycle: import then falls back


def survey_description(responses: pd.DataFrame) -> str:
    """The ``Description`` of an exported survey source from its response segments."""
    responses = responses.sort_values("start")
    texts: dict[str, str] = {}
    respondents: dict[str, tuple[str | None, dict[str, str]]] = {}
    sequences: dict[str, list[str]] = {}
    for r in responses.itertuples(index=False):
        texts.setdefault(r.question_id, r.question)
        attrs = json.loads(r.attributes) if isinstance(r.attributes, str) and r.attributes else {}
        respondents.setdefault(r.respondent_id, (r.wave if isinstance(r.wave, str) else None, attrs))
        sequences.setdefault(r.respondent_id, []).append(r.question_id)
    order = _column_order(list(sequences.values()))
    q_index = {qid: i for i, qid in enumerate(order)}
    r_index = {rid: i for i, rid in enumerate(respondents)}
    layout = {"questions": [[qid, texts[qid]] for qid in order],
              "respondents": [[rid, wave, attrs] for rid, (wave, attrs) in respondents.items()],
              "answers": [[r_index[r.respondent_id], q_index[r.question_id], r.end - r.start]
                          for r in responses.itertuples(index=False)]}
    return _INTRO + "\n" + json.dumps(layout, ensure_ascii=False, separators=(",", ":"))


def parse_survey_description(description: str) -> SurveyLayout | None:
    """The layout in a source ``Description`` we wrote; None without the marker.

    Raises ValueError when the marker is there but the JSON is not a valid layout.
    """
    head, _, body = description.strip().partition("\n")
    if not head.startswith(SURVEY_MARKER):
        return None
    try:
        data = json.loads(body)
        questions = [(str(qid), str(text)) for qid, text in data["questions"]]
        respondents = [(str(rid), None if wave is None else str(wave), {str(k): str(v) for k, v in attrs.items()})
                       for rid, wave, attrs in data["respondents"]]
        answers = [(int(r), int(q), int(n)) for r, q, n in data["answers"]]
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"survey layout in the source description is not valid "
                         f"({type(exc).__name__}: {exc})") from None
    if not answers or any(not (0 <= r < len(respondents) and 0 <= q < len(questions) and n > 0) for r, q, n in answers):
        raise ValueError("survey layout in the source description refers to unknown respondents or questions")
    return SurveyLayout(questions, respondents, answers)


def _header(rid: str, qid: str, question: str) -> str:
    """The header line :func:`cop_analysis.ingest.survey_text` writes for one answer."""
    from cop_analysis.ingest import survey_text
    from cop_analysis.readers.surveys import Response

    text, [(start, _)] = survey_text([Response(0, rid, qid, question, "", None, {})])
    return text[:start - 1]


def split_answers(layout: SurveyLayout, text: str) -> list[str]:
    """Each answer of ``layout.answers`` cut out of ``text`` (normalised) by its length, headers checked."""
    answers, pos = [], 0
    for r, q, length in layout.answers:
        head = _header(layout.respondents[r][0], *layout.questions[q])
        if not text.startswith(head + "\n", pos):
            raise ValueError(f"header {head[:60]!r} not found at position {pos} of the text")
        start = pos + len(head) + 1
        answers.append(text[start:start + length])
        pos = start + length + 2
    if pos - 2 != len(text.rstrip()):
        raise ValueError(f"the answers end at position {pos - 2}, the text at {len(text.rstrip())}")
    return answers


def _unique(name: str, taken: set[str]) -> str:
    while name in taken or not name:
        name += "_"
    taken.add(name)
    return name


def survey_csv(layout: SurveyLayout, answers: list[str], source_wave: str | None) -> tuple[str, dict[str, Any]]:
    """A Qualtrics-layout CSV (column ids, question texts, ImportId row) and its project.yml entry fields.

    That layout is the one keeping both question ids and texts; respondent id, wave (when a
    respondent's differs from ``source_wave``) and attribute columns come first.
    """
    taken = {s for pair in layout.questions for s in pair}
    id_col = _unique("respondent_id", taken)
    waves = [wave for _, wave, _ in layout.respondents]
    wave_col = _unique("wave", taken) if any(w is not None and w != source_wave for w in waves) else None
    attr_names = list(dict.fromkeys(k for _, _, attrs in layout.respondents for k in attrs))
    attr_cols = {name: _unique(name, taken) for name in attr_names}
    meta = [id_col] + ([wave_col] if wave_col else []) + list(attr_cols.values())
    cells: dict[int, dict[int, str]] = {}
    for (r, q, _), answer in zip(layout.answers, answers):
        cells.setdefault(r, {})[q] = answer
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(meta + [qid for qid, _ in layout.questions])
    writer.writerow(meta + [text for _, text in layout.questions])
    writer.writerow([json.dumps({"ImportId": c}) for c in meta + [qid for qid, _ in layout.questions]])
    for r, (rid, wave, attrs) in enumerate(layout.respondents):
        row = [rid] + ([wave or ""] if wave_col else []) + [attrs.get(name, "") for name in attr_names]
        writer.writerow(row + [cells.get(r, {}).get(q, "") for q in range(len(layout.questions))])
    spec: dict[str, Any] = {"layout": "qualtrics", "respondent_id": id_col,
                            "open_ended": [qid for qid, _ in layout.questions], "attributes": attr_cols}
    if wave_col:
        spec["wave_column"] = wave_col
    return buffer.getvalue(), spec


def check_survey_file(path: Path, spec: dict[str, Any], text: str) -> str | None:
    """None if ingesting ``path`` with ``spec`` gives ``text``; else what differs (one line)."""
    from cop_analysis.config import SurveySpec
    from cop_analysis.ingest import survey_text
    from cop_analysis.readers import ReadError
    from cop_analysis.readers.surveys import read_survey, responses

    survey = SurveySpec(path=path.name, **spec)
    try:
        got, _ = survey_text(responses(read_survey(path, survey.layout), survey)[0])
    except ReadError as exc:
        return f"line {exc.line}: {exc.message}" if exc.line else exc.message
    if got == text.rstrip():
        return None
    at = next((i for i, (a, b) in enumerate(zip(got, text)) if a != b), min(len(got), len(text)))
    return f"the rebuilt survey text differs from the source text at position {at}"
