"""De-identification for the shareable report: pseudonyms for speakers, redaction of names.

``Deidentifier`` replaces speakers and survey respondents with stable pseudonyms
(``Participant 3 (community member)``, ``Respondent 12``) and redacts person names (the
project's ``redact.people`` list, every speaker name found by ingestion, spaCy ``PERSON``
entities; full names, first or last names alone and possessives), e-mail addresses, phone
numbers, URLs and the configured organisation names from any text. The pseudonym key is
kept in ``data/processed/pseudonym_key.json`` (never under ``reports/``) so numbers stay
the same from one run to the next.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from .atomic import write_text

KEY_NAME = "pseudonym_key.json"
NAME_MARK, ORG_MARK = "[name]", "[organization]"
MARKS = (NAME_MARK, ORG_MARK, "[email]", "[phone]", "[link]")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)
PHONE = re.compile(r"(?<![\w])(?:\+?\d{1,3}[\s.-]?)?(?:\(\d{2,5}\)[\s.-]?|\d{2,5}[\s.-])\d{3,4}[\s.-]?\d{3,4}(?![\w])")
# Speaker labels that are roles or placeholders, not names.
GENERIC_SPEAKERS = re.compile(
    r"^(?:facilitator|moderator|interviewer|interviewee|participant|respondent|speaker|host|"
    r"note ?taker|unknown|audience|group|all|everyone|several|multiple|p|s|q|a)\s*\d*$", re.IGNORECASE)
_NOT_NAMES = {"the", "and", "mr", "mrs", "ms", "dr", "miss", "prof", "sir", "madam"}


def is_personal_name(label: str) -> bool:
    """True if a speaker label looks like a person's name (not 'Facilitator' or 'Speaker 2')."""
    label = label.strip()
    return bool(label) and not GENERIC_SPEAKERS.match(label)


def name_variants(name: str) -> set[str]:
    """A name and each of its parts ('Dana Whitfield' -> itself, 'Dana', 'Whitfield')."""
    name = " ".join(name.split())
    parts = [p.strip(".,") for p in re.split(r"[\s]+", name)]
    out = {name}
    out.update(p for p in parts if len(p) >= 2 and p.lower() not in _NOT_NAMES)
    return {v for v in out if v}


def _alternation(terms: Iterable[str]) -> re.Pattern[str] | None:
    terms = sorted({t for t in terms if t}, key=len, reverse=True)
    if not terms:
        return None
    body = "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in terms)
    # boundaries: anything but a letter or digit ('0_trust_dana' hides 'dana' too)
    return re.compile(rf"(?<![^\W_])(?:{body})(?![^\W_])", re.IGNORECASE)


class Deidentifier:
    """Pseudonymise speakers and redact identifying details from text.

    >>> deid = Deidentifier(people=["Dana Whitfield"], organizations=["Harbor County"])
    >>> deid.redact("Dana's team at Harbor County (dana@example.org)")
    "[name]'s team at [organization] ([email])"
    """

    def __init__(self, people: Iterable[str] = (), organizations: Iterable[str] = (),
                 key: dict[str, dict[str, str]] | None = None, nlp: Any = None) -> None:
        self.names: set[str] = set()
        for person in people:
            if person and is_personal_name(str(person)):
                self.names |= name_variants(str(person))
        self.organizations = {o.strip() for o in organizations if o and o.strip()}
        self.key: dict[str, dict[str, str]] = {"speakers": {}, "respondents": {}, "sources": {}}
        for kind, mapping in (key or {}).items():
            self.key.setdefault(kind, {}).update(mapping)
        self.nlp = nlp
        self._compiled: tuple[re.Pattern[str] | None, re.Pattern[str] | None] | None = None

    # -- pseudonyms ----------------------------------------------------------------------------
    def _assign(self, kind: str, value: str, prefix: str) -> str:
        mapping = self.key[kind]
        if value not in mapping:
            taken = sum(1 for v in mapping.values() if v.startswith(f"{prefix} "))
            mapping[value] = f"{prefix} {taken + 1}"
        return mapping[value]

    def speaker(self, name: str | None, role: str | None = None) -> str | None:
        """'Participant N (role)' for a speaker, consistent across calls and runs."""
        if name is None or (isinstance(name, float) and pd.isna(name)) or not str(name).strip():
            return None
        pseudonym = self._assign("speakers", str(name), "Participant")
        if role and isinstance(role, str) and role.strip():
            return f"{pseudonym} ({role.replace('_', ' ').strip()})"
        return pseudonym

    def respondent(self, respondent_id: str | None) -> str | None:
        if respondent_id is None or (isinstance(respondent_id, float) and pd.isna(respondent_id)):
            return None
        return self._assign("respondents", str(respondent_id), "Respondent")

    def source(self, source_id: str, kind: str) -> str:
        return self._assign("sources", source_id, "Interview" if kind == "transcript" else "Survey")

    # -- names -----------------------------------------------------------------------------------
    def learn_names(self, texts: Iterable[str]) -> None:
        """Add person names spaCy's NER finds in ``texts`` (if the model has NER)."""
        from .models import has_ner

        if self.nlp is None or not has_ner(self.nlp):
            return
        stop = self.nlp.Defaults.stop_words
        needed = [p for p in ("tok2vec", "ner") if p in self.nlp.pipe_names]
        with self.nlp.select_pipes(enable=needed):
            docs = list(self.nlp.pipe([t for t in dict.fromkeys(texts) if t], batch_size=64))
        for doc in docs:
            for ent in doc.ents:
                if ent.label_ == "PERSON":
                    clean = re.sub(r"(?:'s|’s)$", "", ent.text.strip())
                    variants = {v for v in name_variants(clean) if v.lower() not in stop and v[:1].isupper()}
                    if variants:
                        self.names |= variants
                        self._compiled = None

    def _patterns(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        if self._compiled is None:
            self._compiled = (_alternation(self.names), _alternation(self.organizations))
        return self._compiled

    def redact(self, text: Any) -> Any:
        """Redact e-mails, URLs, phone numbers, organisations and person names from a string."""
        if not isinstance(text, str) or not text:
            return text
        names, orgs = self._patterns()
        text = EMAIL.sub("[email]", text)
        text = URL.sub("[link]", text)
        text = PHONE.sub("[phone]", text)
        if orgs is not None:
            text = orgs.sub(ORG_MARK, text)
        if names is not None:
            text = names.sub(NAME_MARK, text)
        return text

    def redact_terms(self, terms: Any, sep: str = ", ") -> Any:
        """Redact a keyword list or a 'N_word_word' label, dropping terms that were wholly redacted."""
        if not isinstance(terms, str):
            return terms
        kept = [t for t in self.redact(terms).split(sep) if t.strip() not in MARKS]
        return sep.join(kept)

    # -- persistence -----------------------------------------------------------------------------
    @classmethod
    def for_project(cls, cfg: Any, speakers: pd.DataFrame | None = None, nlp: Any = None) -> "Deidentifier":
        """Build from ``cfg.redact_*`` plus every speaker name, reusing the saved pseudonym key."""
        path = Path(cfg.processed) / KEY_NAME
        key = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
        people = list(cfg.redact_people)
        if speakers is not None and "speaker" in speakers:
            people += [str(s) for s in speakers["speaker"].dropna().unique()]
        return cls(people=people, organizations=cfg.redact_organizations, key=key, nlp=nlp)

    def save_key(self, processed_dir: str | Path) -> Path:
        """Write the pseudonym key (real value -> pseudonym) to the processed dir."""
        path = Path(processed_dir) / KEY_NAME
        write_text(path, json.dumps(self.key, indent=2, ensure_ascii=False, sort_keys=True))
        return path
