"""De-identification for the shareable report: pseudonyms for speakers, redaction of names.

``Deidentifier`` replaces speakers and survey respondents with stable pseudonyms
(``Participant 3 (community member)``, ``Respondent 12``) and redacts person names (the
project's ``redact.people`` list, every speaker name found by ingestion, spaCy ``PERSON``
entities; full names, first or last names alone and possessives), e-mail addresses, phone
numbers, URLs, the configured organisation names and place names (``redact.places`` and,
per ``redact.ner_places``, the spaCy ``GPE``/``LOC``/``FAC`` entities) from any text. The
pseudonym key is kept in ``data/processed/pseudonym_key.json`` (never under ``reports/``) so
numbers stay the same from one run to the next.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from .atomic import write_text
from .embeddings import text_key
from .models import has_ner
from .speakers import fold_name, split_paragraphs

KEY_NAME = "pseudonym_key.json"
NER_CACHE = "ner_persons.json"  # person names and places spaCy found, per text hash
NER_VERSION = 2  # {"version": 2, "texts": {key: {"persons": [...], "places": [...]}}}; 1: {key: [persons]}
NAME_MARK, ORG_MARK, PLACE_MARK = "[name]", "[organization]", "[place]"
MARKS = (NAME_MARK, ORG_MARK, PLACE_MARK, "[email]", "[phone]", "[link]", "[handle]")
PLACE_LABELS = {"GPE", "LOC", "FAC"}
# Lower-case words a place name may contain ('Port of Spain', 'Casa de la Comunidad').
_CONNECTORS = {"of", "de", "del", "la", "las", "los", "el", "le", "les", "du", "des", "da", "di", "do", "dos",
               "y", "and", "on", "upon", "the", "van", "von"}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)
HANDLE = re.compile(r"(?<![\w@])@{1,2}\w+(?:[.-]\w+)*")  # social-media user names: @maya_smith, YouTube's @@name9965
PHONE = re.compile(r"(?<![\w])(?:\+?\d{1,3}[\s.-]?)?(?:\(\d{2,5}\)[\s.-]?|\d{2,5}[\s.-])\d{3,4}[\s.-]?\d{3,4}(?![\w])"
                   r"|(?<![\w$.,-])[2-9]\d{2}[.-]\d{4}(?![\w.,-]?\d)")  # or a local number: 555-0142
# Speaker labels that are roles or placeholders, not names.
GENERIC_SPEAKERS = re.compile(
    r"^(?:facilitator|moderator|interviewer|interviewee|participant|respondent|speaker|host|"
    r"note ?taker|unknown|audience|group|all|everyone|several|multiple|p|s|q|a)\s*\d*$", re.IGNORECASE)
_NOT_NAMES = {"the", "and", "mr", "mrs", "ms", "dr", "miss", "prof", "sir", "madam", "doña", "señor", "señora", "sra",
              "srta"}  # not 'Don' or 'Dona': first names too
# Two-letter initials ('DW') are matched in capitals only, so the alias 'TO' never hides the word 'to'.
INITIALS = re.compile(r"^[A-Z]{2}$")


def is_personal_name(label: str) -> bool:
    """True if a speaker label looks like a person's name (not 'Facilitator' or 'Speaker 2')."""
    label = label.strip()
    return bool(label) and not GENERIC_SPEAKERS.match(label)


def unread_labels(units: pd.DataFrame) -> list[str]:
    """Personal names among the speaker labels in the text of transcript turns without a speaker
    (files with ``speakers: none`` keep ``Dana:`` in their text): the labels, and abbreviations,
    that the speaker rules accept in each source's speaker-less turns."""
    if not {"kind", "unit", "text", "source_id"} <= set(units.columns):
        return []
    rows = units[(units["kind"] == "transcript") & (units["unit"] == "turn") & units["speaker"].isna()]
    names: set[str] = set()
    for _, texts in rows.groupby("source_id")["text"]:
        for p in split_paragraphs("\n\n".join(texts.astype(str))):
            if p.label is not None:
                names.update(n for n in (p.label.label, p.label.abbrev) if n and is_personal_name(n))
    return sorted(names)


def name_variants(name: str) -> set[str]:
    """A name and each of its parts ('Dana Whitfield' -> itself, 'Dana', 'Whitfield')."""
    name = " ".join(name.split())
    parts = [p.strip(".,") for p in re.split(r"[\s]+", name)]
    out = {name}
    out.update(p for p in parts if len(p) >= 2 and p.lower() not in _NOT_NAMES)
    return {v for v in out if v}


def place_term(entity: str, ner_places: str = "multi-word") -> str | None:
    """The place to redact for a spaCy place entity, or None: leading 'the' and a possessive dropped,
    every word capitalised (connectors such as 'of' aside) and, unless ``ner_places`` is 'all', at
    least two words ('Port Ellis', 'Alder Street'; not 'Heights', 'Sheriff' or 'la')."""
    text = re.sub(r"(?:'s|’s)$", "", " ".join(entity.split()))
    words = re.sub(r"^the\s+", "", text, flags=re.IGNORECASE).split()
    named = [w for w in words if re.search(r"[^\W\d_]", w) and w.lower() not in _CONNECTORS]
    if ner_places == "none" or not named or any(not w[:1].isupper() for w in named):
        return None
    if len(words) < 2 and ner_places != "all":
        return None
    return " ".join(words)


def _alternation(terms: Iterable[str], ignore_case: bool = True) -> re.Pattern[str] | None:
    terms = sorted({unicodedata.normalize("NFC", t) for t in terms if t}, key=len, reverse=True)
    if not terms:
        return None
    body = "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in terms)
    # boundaries: anything but a letter or digit ('0_trust_dana' hides 'dana' too)
    return re.compile(rf"(?<![^\W_])(?:{body})(?![^\W_])", re.IGNORECASE if ignore_case else 0)


_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"\u201c\u2018'(\[*\u2022\u2013\u2014-]|\n)\s*$")


def _only_sentence_initial(word: str, texts: list[str]) -> bool:
    """True when every capitalised use of ``word`` in ``texts`` starts a sentence (or a line)."""
    pattern = re.compile(rf"(?<![^\W\d_]){re.escape(word)}(?![^\W\d_])")
    for text in texts:
        for match in pattern.finditer(text):
            if not _SENTENCE_START.search(text[max(0, match.start() - 40):match.start()]):
                return False
    return True


def _completed(name: str, text: str) -> str:
    """A find that ends in a particle, as spaCy cuts some ('Ursula von der'), with the capitalised word
    that follows it in ``text`` ('Ursula von der Leyen')."""
    if " " not in name or not name.split()[-1][:1].islower():
        return name
    m = re.search(re.escape(name) + r"\s+([^\W\d_][\w'’-]*)", text)
    return f"{name} {m.group(1)}" if m and m.group(1)[0].isupper() else name


class Deidentifier:
    """Pseudonymise speakers and redact identifying details from text.

    >>> deid = Deidentifier(people=["Dana Whitfield"], organizations=["Harbor County"], places=["Port Ellis"])
    >>> deid.redact("Dana's team at Harbor County in Port Ellis (dana@example.org)")
    "[name]'s team at [organization] in [place] ([email])"

    ``ner_places``: which places spaCy finds are redacted ('multi-word', 'all', 'none'; see
    :func:`place_term`); ``keep``: words never redacted when NER finds them ('Zoom', 'the County').
    """

    def __init__(self, people: Iterable[str] = (), organizations: Iterable[str] = (),
                 key: dict[str, dict[str, str]] | None = None, nlp: Any = None,
                 load_nlp: Callable[[], Any] | None = None, ner_cache: str | Path | None = None,
                 places: Iterable[str] = (), keep: Iterable[str] = (), ner_places: str = "multi-word") -> None:
        self.names: set[str] = set()
        self.cased: set[str] = set()  # one-word terms redacted only as written (see ``learn_names``)
        for person in people:
            if person and is_personal_name(str(person)):
                self.names |= name_variants(str(person))
        self.organizations = {o.strip() for o in organizations if o and o.strip()}
        self.places = {" ".join(p.split()) for p in places if p and p.strip()}
        self.keep = {fold_name(k) for k in keep if k and k.strip()}
        self.groups: set[str] = set()  # see keep_groups
        self.ner_places = ner_places
        self.key: dict[str, dict[str, str]] = {"speakers": {}, "respondents": {}, "sources": {}}
        for kind, mapping in (key or {}).items():
            self.key.setdefault(kind, {}).update(mapping)
        self._next: dict[str, int] = {}  # next pseudonym number per prefix
        self.nlp, self._load_nlp = nlp, load_nlp
        self.ner_cache = Path(ner_cache) if ner_cache else None
        self._compiled: list[tuple[re.Pattern[str], str]] | None = None

    # -- pseudonyms ----------------------------------------------------------------------------
    def _assign(self, kind: str, value: str, prefix: str) -> str:
        mapping = self.key[kind]
        if value not in mapping:
            if prefix not in self._next:
                numbers = [int(v.rsplit(" ", 1)[1]) for v in mapping.values()
                           if v.startswith(f"{prefix} ") and v.rsplit(" ", 1)[1].isdigit()]
                self._next[prefix] = max(numbers, default=0) + 1
            mapping[value] = f"{prefix} {self._next[prefix]}"
            self._next[prefix] += 1
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
        """'Interview N', 'Document N' (a transcript without speakers: ``kind`` 'document') or 'Survey N'."""
        prefix = {"transcript": "Interview", "document": "Document"}.get(kind, "Survey")
        return self._assign("sources", source_id, prefix)

    # -- names -----------------------------------------------------------------------------------
    def _entities(self, texts: list[str]) -> list[dict[str, list[str]]]:
        """Per text, the person names (and their parts) and the place entities (as written) spaCy's
        NER finds; empty lists without an NER model."""
        if self.nlp is None and self._load_nlp is not None:
            self.nlp = self._load_nlp()
        if self.nlp is None or not has_ner(self.nlp):
            return [{"persons": [], "places": []} for _ in texts]
        stop = self.nlp.Defaults.stop_words
        needed = [p for p in ("tok2vec", "ner") if p in self.nlp.pipe_names]
        out = []
        with self.nlp.select_pipes(enable=needed):
            for doc in self.nlp.pipe(texts, batch_size=64):
                names: set[str] = set()
                places: set[str] = set()
                for ent in doc.ents:
                    if ent.label_ == "PERSON":
                        clean = re.sub(r"(?:'s|’s)$", "", ent.text.strip())
                        names |= {v for v in name_variants(clean) if v.lower() not in stop and v[:1].isupper()}
                    elif ent.label_ in PLACE_LABELS:
                        places.add(" ".join(ent.text.split()))
                out.append({"persons": sorted(names), "places": sorted(places)})
        return out

    def _read_cache(self) -> dict[str, dict[str, list[str]]]:
        """The NER cache; a version-1 file (person names only) is read as persons without places."""
        if self.ner_cache is None or not self.ner_cache.exists():
            return {}
        data = json.loads(self.ner_cache.read_text(encoding="utf-8"))
        if data.get("version") == NER_VERSION:
            return data["texts"]
        return {key: {"persons": names} for key, names in data.items()}

    def learn_names(self, texts: Iterable[str], context: Iterable[str] = ()) -> None:
        """Add the person names and place names spaCy's NER finds in ``texts`` (places as
        :func:`place_term` says, minus ``keep``); results are cached per text in ``ner_cache`` (if
        given), so unchanged texts never load the model again. A one-word name, place or
        configured organisation/place that ``texts`` or ``context`` (more texts, not run through NER)
        also use in lower case ('Budget', 'Casa' next to Spanish 'en casa') is an ordinary word: it is
        redacted only where capitalised. A one-word name found by NER that is also used in lower case
        and is capitalised only where a sentence starts ('Dashboard story panels.') is no name at all.
        Anything else NER calls a person is kept, when in doubt: the parts of 'Rose Price' or 'Grant Hall'
        are ordinary words too, so they are redacted where capitalised; a word such as 'Budget' that NER
        once took for a name ('Involve Budget earlier.') goes into ``redact.keep``."""
        texts = [t for t in dict.fromkeys(texts) if isinstance(t, str) and t]
        cache = self._read_cache()
        kinds = ("persons",) if self.ner_places == "none" else ("persons", "places")
        todo = [t for t in texts if not all(k in cache.get(text_key(t), {}) for k in kinds)]
        if todo:
            cache.update(zip(map(text_key, todo), self._entities(todo)))
            if self.ner_cache is not None and self.nlp is not None and has_ner(self.nlp):
                write_text(self.ner_cache, json.dumps({"version": NER_VERSION, "texts": cache},
                                                      ensure_ascii=False, sort_keys=True))
        entries = [cache.get(text_key(t), {}) for t in texts]
        persons = {_completed(n, t) for t, e in zip(texts, entries) for n in self._names_in(e.get("persons", []))}
        places = {p for e in entries for raw in e.get("places", []) if raw.casefold() not in self.keep
                  for p in [place_term(raw, self.ner_places)] if p and p.casefold() not in self.keep}
        configured = self.names | self.organizations | self.places  # before this call's finds
        candidates = ((persons | places) - configured) | ((self.organizations | self.places) - self.names)
        every = [t for t in [*texts, *context] if isinstance(t, str)]
        lower = {w for t in every for w in re.findall(r"[^\W\d_]+", t) if w.islower()}
        learned = {n for n in persons - configured if " " not in n and n.lower() in lower}
        ordinary = {n for n in learned if _only_sentence_initial(n, every)}
        persons -= ordinary
        candidates -= ordinary
        self.cased |= {n for n in candidates if " " not in n and n.lower() in lower}
        self.names |= persons
        self.places |= places
        self._compiled = None

    def _names_in(self, found: list[str]) -> list[str]:
        """The PERSON finds of one text that may be names. A find that is a ``keep`` entry, or one word that
        is a group name (``keep_groups``), is none; kept words at either end of a several-word find are
        dropped from it ('Involve Budget' with ``keep: [Budget]`` -> 'Involve', which the one-word rules
        then judge). When in doubt a find stays a name ('Rosa Parks' beside a Parks department)."""
        out = []
        for name in found:
            words = name.split()
            if not words or name.casefold() in self.keep or (len(words) == 1 and name.casefold() in self.groups):
                continue
            while len(words) > 1 and words[-1].casefold() in self.keep:
                words.pop()
            while len(words) > 1 and words[0].casefold() in self.keep:
                words.pop(0)
            if " ".join(words).casefold() not in self.keep:
                out.append(" ".join(words))
        return out

    def keep_groups(self, names: Iterable[str]) -> None:
        """Group names (the survey's departments) that spaCy sometimes takes for a person ('the Parks
        board'): never a name when NER finds one of them alone (a configured person always is)."""
        self.groups |= {fold_name(n) for n in names if isinstance(n, str) and n.strip()}

    def _patterns(self) -> list[tuple[re.Pattern[str], str]]:
        """(pattern, mark) pairs in the order they apply: organisations, places, then person names;
        a place that is also a person name or organisation is left to those."""
        if self._compiled is None:
            taken = {t.casefold() for t in self.names | self.organizations}
            places = {p for p in self.places if p.casefold() not in taken}
            exact = {n for n in self.names if INITIALS.match(n)} | self.cased
            groups = ((self.organizations, ORG_MARK), (places, PLACE_MARK), (self.names, NAME_MARK))
            pairs = [(_alternation(terms - exact), mark) for terms, mark in groups]
            pairs += [(_alternation(terms & exact, ignore_case=False), mark) for terms, mark in groups]
            self._compiled = [(pattern, mark) for pattern, mark in pairs if pattern is not None]
        return self._compiled

    def redact(self, text: Any) -> Any:
        """Redact e-mails, URLs, @handles, phone numbers, organisations, places, person names and initials
        from a string (NFC-normalised first, so a decomposed 'Hernández' is found too)."""
        if not isinstance(text, str) or not text:
            return text
        text = unicodedata.normalize("NFC", text)
        text = EMAIL.sub("[email]", text)
        text = URL.sub("[link]", text)
        text = HANDLE.sub("[handle]", text)
        text = PHONE.sub("[phone]", text)
        for pattern, mark in self._patterns():
            text = pattern.sub(mark, text)
        return text

    def redact_terms(self, terms: Any, sep: str = ", ") -> Any:
        """Redact a keyword list or a 'N_word_word' label, dropping terms that were wholly redacted."""
        if not isinstance(terms, str):
            return terms
        kept = [t for t in self.redact(terms).split(sep) if t.strip() not in MARKS]
        return sep.join(kept)

    # -- persistence -----------------------------------------------------------------------------
    @classmethod
    def for_project(cls, cfg: Any, speakers: pd.DataFrame | None = None,
                    load_nlp: Callable[[], Any] | None = None) -> "Deidentifier":
        """Build from ``cfg.redact_*`` (people, organizations, places, keep, ner_places), every speaker
        name, every configured speaker label (``speaker_roles``: aliases such as 'DW' too) and
        ``speaker_aliases`` and every speaker label written in the turns of ``speakers: none`` files
        (:func:`unread_labels`), reusing the saved pseudonym key; NER results are cached in
        ``data/processed/ner_persons.json``."""
        path = Path(cfg.processed) / KEY_NAME
        key = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
        people = list(cfg.redact_people)
        people += [str(label) for spec in getattr(cfg, "transcripts", []) for label in spec.speaker_roles]
        people += [str(name) for pair in getattr(cfg, "speaker_aliases", {}).items() for name in pair]
        if speakers is not None and "speaker" in speakers:
            people += [str(s) for s in speakers["speaker"].dropna().unique()]
            people += unread_labels(speakers)
        return cls(people=people, organizations=cfg.redact_organizations, key=key, load_nlp=load_nlp,
                   ner_cache=Path(cfg.processed) / NER_CACHE, places=getattr(cfg, "redact_places", []),
                   keep=getattr(cfg, "redact_keep", []), ner_places=getattr(cfg, "redact_ner_places", "multi-word"))

    def save_key(self, processed_dir: str | Path) -> Path:
        """Write the pseudonym key (real value -> pseudonym) to the processed dir."""
        path = Path(processed_dir) / KEY_NAME
        write_text(path, json.dumps(self.key, indent=2, ensure_ascii=False, sort_keys=True))
        return path
