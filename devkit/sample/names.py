"""Indonesian name pools, vectorised name assignment and rendering, and the name variants
the planted situations need.

A person's name is up to three tokens from one shared token pool (``int16`` indices per
person, ``-1`` for none), so 2.6 million names cost a few bytes each until a chunk is
rendered to text with :func:`render`. Patterns follow the groups living in Bekasi:
Javanese and Minang often single-word names, Sundanese doubled forms, Betawi and
Arabic-derived Muslim names, Batak given name plus *marga* (shared by the family, the
spouse keeps her own), Chinese-Indonesian given name plus a family name.

The similarity check here (:func:`similarity`) is deliberately independent of the domain
code under test: a small normaliser (upper case, ASCII fold, punctuation and the few
titles this generator itself writes removed, spaces collapsed) and rapidfuzz's
Jaro-Winkler. Planted variants keep a margin from the rule book's thresholds (0.90 and
0.85) so that any reasonable normalisation lands on the same side.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz.distance import JaroWinkler

#: ethnic groups and their share of households
ETHNIC_GROUPS: tuple[tuple[str, float], ...] = (
    ("JAWA", 0.33),
    ("SUNDA", 0.24),
    ("BETAWI", 0.14),
    ("ARAB", 0.12),
    ("BATAK", 0.07),
    ("MINANG", 0.05),
    ("TIONGHOA", 0.05),
)


@dataclass(frozen=True)
class NamePattern:
    male_first: tuple[str, ...]
    male_second: tuple[str, ...]
    female_first: tuple[str, ...]
    female_second: tuple[str, ...]
    #: share of single-word names
    single: float
    #: share of three-token names (first + second + another second)
    triple: float = 0.0
    #: family name shared by the household head and children (Batak marga, Chinese family name)
    family_names: tuple[str, ...] = ()


PATTERNS: dict[str, NamePattern] = {
    "JAWA": NamePattern(
        male_first=("AGUS", "BAMBANG", "BUDI", "DWI", "EKO", "HADI", "JOKO", "PRIYO", "SLAMET", "SUGENG",
                    "SUPARMAN", "SUTRISNO", "TRI", "WAHYU", "YUDI", "ARIF", "DIDIK", "HERU", "IMAM",
                    "PURNOMO", "SUKARDI", "SUBAGYO", "WIDODO", "SETYO", "KUKUH", "GATOT", "DANANG",
                    "BAYU", "RUDI", "ADI", "SUGIYANTO", "PAIMAN", "SUYATNO", "TEGUH", "WAGIMAN"),
        male_second=("SANTOSO", "SUSILO", "PRASETYO", "WIBOWO", "SETIAWAN", "NUGROHO", "HARYANTO",
                     "PURNOMO", "SUSANTO", "KURNIAWAN", "SAPUTRO", "HIDAYAT", "WIDODO", "UTOMO",
                     "RAHARJO", "SETIADI", "SUPRIYADI", "MULYONO", "HARTONO", "SUDARSO"),
        female_first=("SRI", "SITI", "DWI", "ENDANG", "RINI", "SUMARNI", "TUTIK", "WAHYUNI", "LESTARI",
                      "NINGSIH", "PUJI", "YULI", "RATNA", "TRI", "EKA", "DEWI", "ANI", "SUPARTI",
                      "SUTINAH", "WATINI", "PARTINAH", "SUMIYATI", "KASMINI"),
        female_second=("WAHYUNI", "LESTARI", "RAHAYU", "HANDAYANI", "SUSANTI", "PURWANTI", "NINGSIH",
                       "ASTUTI", "WULANDARI", "KURNIASIH", "MULYANI", "SETYOWATI", "PRATIWI",
                       "YULIANTI", "SUPRIHATIN"),
        single=0.35,
    ),
    "SUNDA": NamePattern(
        male_first=("ASEP", "DEDE", "CECEP", "UJANG", "DADANG", "ENDANG", "JAJANG", "AEP", "ADE", "DENI",
                    "DODI", "YAYAT", "UCU", "OMAN", "ENDAN", "HENDRA", "IWAN", "AGUS", "ROHMAT", "ENJANG"),
        male_second=("SAEPUDIN", "SUPRIATNA", "HIDAYAT", "SOPIAN", "KUSNADI", "RUSTANDI", "SUHENDAR",
                     "SUPARMAN", "GUNAWAN", "FIRMANSYAH", "RAHMAT", "SETIAWAN", "MULYANA", "SOLIHIN",
                     "NURJAMAN"),
        female_first=("EUIS", "NENG", "IIS", "YAYAH", "ENOK", "TITIN", "CUCU", "EPON", "IMAS", "NINING",
                      "DEDEH", "ELIS", "LILIS", "ENTIN", "NUNUNG"),
        female_second=("KOMALASARI", "SUMIATI", "RUKMINI", "NURHAYATI", "SETIAWATI", "MARLINA",
                       "ROHAYATI", "KURNIASIH", "JUBAEDAH", "MULYATI", "HAYATI", "NURLELA", "SUNARSIH"),
        single=0.2,
    ),
    "BETAWI": NamePattern(
        male_first=("MUHAMAD", "ROJALI", "SABENI", "MAMAT", "UDIN", "JAELANI", "ABDULLAH", "ENTONG",
                    "MAMAN", "RIDWAN", "SAMSUDIN", "ZAENAL", "HASAN", "SYAFEI", "NAWI"),
        male_second=("SAPUTRA", "HASANUDIN", "SAIFULLAH", "ROHIMAN", "SAMSUDIN", "MANSUR", "SYARIF",
                     "SALEH", "ASMAT", "RAHMAN"),
        female_first=("ENCUM", "MUNAROH", "SAIDAH", "ROHAYA", "FATIMAH", "MAEMUNAH", "NURHAYATI",
                      "ROSIDAH", "JUMIATI", "SARIPAH", "ENAH", "AMINAH", "ZUBAEDAH", "HINDUN"),
        female_second=("ZAHRA", "ROHMAH", "AZIZAH", "MARYAM", "HASANAH", "SAIDAH", "KHODIJAH"),
        single=0.3,
    ),
    "ARAB": NamePattern(
        male_first=("MUHAMMAD", "AHMAD", "ABDUL", "MOHAMAD", "MUHAMAD", "ALI", "HASAN", "HUSEIN", "UMAR",
                    "USMAN", "YUSUF", "IBRAHIM", "ISMAIL", "RIZKI", "FAJAR", "FAUZI", "HIDAYAT",
                    "RAHMAT", "IRFAN", "SYAIFUL", "ARIF", "ILHAM", "FIRMAN", "LUTFI", "AKBAR"),
        male_second=("RIZKI", "FAUZI", "HIDAYAT", "RAMADHAN", "FIRDAUS", "SYAHPUTRA", "ALFARIZI",
                     "MAULANA", "HAKIM", "ROHMAN", "RAHMAN", "AZIZ", "FADILLAH", "KURNIAWAN", "SAPUTRA",
                     "NURDIN", "SYAFII", "ANSHORI", "MUSTOFA", "HAMZAH"),
        female_first=("SITI", "NUR", "NURUL", "FATIMAH", "AISYAH", "KHADIJAH", "ZAHRA", "AMINAH",
                      "ANISA", "NABILA", "SALSABILA", "FITRIA", "RAHMA", "HALIMAH", "ZAINAB", "MARYAM",
                      "NAILA", "AZIZAH", "SALMA", "HANIFAH"),
        female_second=("AMINAH", "HASANAH", "RAHMAWATI", "NURHALIZA", "AZZAHRA", "FADILAH",
                       "KHOIRUNNISA", "AULIA", "RAMADHANI", "SAFITRI", "HIDAYAH", "MAULIDA", "FAUZIAH",
                       "NURJANAH", "ZAKIAH", "MARDIYAH", "ROHMAH", "SYAFITRI"),
        single=0.05,
        triple=0.2,
    ),
    "BATAK": NamePattern(
        male_first=("RONALD", "JOHANNES", "MARTIN", "ROBERT", "DANIEL", "HENDRIK", "SAHAT", "TUMPAL",
                    "PARLINDUNGAN", "BONAR", "FRANS", "MARULI", "TIGOR", "POLTAK", "HOTMAN", "ANDREAS",
                    "YOHANES", "DAVID", "JEFRI", "RICARDO"),
        male_second=("PARULIAN", "HASIHOLAN", "MANGIRING", "TUA", "BINSAR"),
        female_first=("MARIA", "RIA", "ROSMAWATI", "LINDA", "DELIMA", "FRIDA", "MAGDALENA", "SORTA",
                      "NURMAIDA", "ELISABETH", "RUTH", "HOTNIDA", "YOSEPHINE", "MONIKA", "NATALIA"),
        female_second=("ROMAULI", "TIOMINAR", "HOTMAIDA", "MINTARIA"),
        single=0.0,
        triple=0.15,
        family_names=("SIMANJUNTAK", "SIREGAR", "NASUTION", "HARAHAP", "SITUMORANG", "HUTAPEA",
                      "PANJAITAN", "SINAGA", "LUBIS", "TAMPUBOLON", "SIHOMBING", "SIMATUPANG",
                      "PARDEDE", "SIAHAAN", "MANURUNG", "NAPITUPULU", "SITORUS", "HUTAGALUNG",
                      "MARPAUNG", "PASARIBU"),
    ),
    "MINANG": NamePattern(
        male_first=("AFRIZAL", "RIZAL", "ZULKIFLI", "ANDRI", "FERRY", "YUSRIZAL", "HENDRI", "ERWIN",
                    "SYAFRIL", "DEDI", "ASRUL", "NOFRIANDI", "ZULHENDRI", "FIRDAUS", "ARMEN", "JONI",
                    "YONDRI", "EFENDI", "HARIS"),
        male_second=("EFENDI", "SYAHPUTRA", "CANIAGO", "KOTO", "CHANIAGO", "PILIANG", "TANJUNG",
                     "SIKUMBANG", "HAMDANI", "SAPUTRA"),
        female_first=("YULIA", "FITRI", "DESI", "YENI", "SUSI", "ELVI", "NOVIA", "RAHMI", "YUSNIDAR",
                      "ERNI", "LENI", "WIDIA", "MAIDA", "ROSNIDAR", "YUSMANIDAR"),
        female_second=("FITRIANI", "YANTI", "SARI", "WATI", "ASNI", "HAYATI", "MARNI", "NOVITA"),
        single=0.35,
    ),
    "TIONGHOA": NamePattern(
        male_first=("HENDRA", "WILLIAM", "JOHAN", "KEVIN", "SUGIANTO", "HARTONO", "BUDIMAN", "SUHENDRA",
                    "JIMMY", "STEVEN", "ANTONIUS", "GUNAWAN", "LIONG", "ALBERT", "FELIX"),
        male_second=(),
        female_first=("MELIANA", "LINDA", "SUSANTI", "JESSICA", "LILY", "MEILINA", "VERONIKA",
                      "FELICIA", "CYNTHIA", "LANNY", "YULIANA", "WENNY", "MARIANA", "SHERLY", "JULIANA"),
        female_second=(),
        single=0.15,
        family_names=("WIJAYA", "GUNAWAN", "SANTOSO", "HALIM", "TANOTO", "SALIM", "KUSUMA",
                      "TANUWIJAYA", "LIEM", "TAN", "SETIAWAN", "HARTANTO", "SUGIARTO", "LIMANTO",
                      "KURNIAWAN", "TJANDRA", "SUTANTO", "WONGSO", "HENDRAWAN", "LIM"),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class TokenPool:
    """Every name token once; patterns refer to tokens by index."""

    tokens: tuple[str, ...]
    arrow: pa.Array
    index: dict[str, int]

    def ids(self, words: tuple[str, ...]) -> np.ndarray:
        return np.array([self.index[w] for w in words], dtype=np.int16)


@cache
def token_pool() -> TokenPool:
    words: dict[str, None] = {}
    for pattern in PATTERNS.values():
        for group in (
            pattern.male_first, pattern.male_second, pattern.female_first,
            pattern.female_second, pattern.family_names,
        ):  # fmt: skip
            for w in group:
                words.setdefault(w, None)
    tokens = tuple(words)
    return TokenPool(
        tokens, pa.array(tokens, type=pa.string()), {w: i for i, w in enumerate(tokens)}
    )


def assign_names(
    rng: np.random.Generator,
    ethnic: np.ndarray,
    sex: np.ndarray,
    family: np.ndarray,
    inherits_family_name: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Name tokens for people (vectorised per ethnic group and sex, never per person).

    ``ethnic`` indexes :data:`ETHNIC_GROUPS`; ``sex`` is 1/2; ``family`` is the household
    index; ``inherits_family_name`` marks heads and children (who carry the household's
    marga / family name). Returns three ``int16`` token arrays (``-1`` = no token).
    """
    n = len(sex)
    pool = token_pool()
    tok = np.full((3, n), -1, dtype=np.int16)
    n_fam = int(family.max()) + 1 if n else 0
    for g, (group, _) in enumerate(ETHNIC_GROUPS):
        pattern = PATTERNS[group]
        fam_names = pool.ids(pattern.family_names) if pattern.family_names else None
        household_name = (
            fam_names[rng.integers(0, len(fam_names), n_fam)] if fam_names is not None else None
        )
        for s, (firsts, seconds) in (
            (1, (pattern.male_first, pattern.male_second)),
            (2, (pattern.female_first, pattern.female_second)),
        ):
            who = np.flatnonzero((ethnic == g) & (sex == s))
            if len(who) == 0:
                continue
            f_ids = pool.ids(firsts)
            s_ids = pool.ids(seconds) if seconds else None
            tok[0, who] = f_ids[rng.integers(0, len(f_ids), len(who))]
            u = rng.random(len(who))
            if fam_names is None:
                # given names only: one, two or three tokens
                two = u >= pattern.single
                tok[1, who[two]] = s_ids[rng.integers(0, len(s_ids), int(two.sum()))]
                three = u >= 1.0 - pattern.triple
                tok[2, who[three]] = s_ids[rng.integers(0, len(s_ids), int(three.sum()))]
            else:
                # given name, an occasional middle name, then the family name (marga)
                if s_ids is not None:
                    mid = rng.random(len(who)) < pattern.triple
                    tok[1, who[mid]] = s_ids[rng.integers(0, len(s_ids), int(mid.sum()))]
                with_family = u >= pattern.single
                own_name = fam_names[rng.integers(0, len(fam_names), len(who))]
                surname = np.where(
                    inherits_family_name[who], household_name[family[who]], own_name
                ).astype(np.int16)
                slot = np.where(tok[1, who] == -1, 1, 2)
                tok[slot[with_family], who[with_family]] = surname[with_family]
            # no doubled token (``RIZKI RIZKI``)
            same = tok[2, who] == tok[1, who]
            tok[2, who[same]] = -1
            same = tok[1, who] == tok[0, who]
            tok[1, who[same]] = tok[2, who[same]]
            tok[2, who[same]] = -1
    return tok[0], tok[1], tok[2]


def render(tok1: np.ndarray, tok2: np.ndarray, tok3: np.ndarray) -> pa.Array:
    """Names as an Arrow string array (tokens joined by single spaces)."""
    pool = token_pool().arrow
    parts = [pool.take(pa.array(t.astype(np.int32), mask=t < 0)) for t in (tok1, tok2, tok3)]
    return pc.binary_join_element_wise(*parts, " ", null_handling="skip")


def render_one(tok1: int, tok2: int, tok3: int) -> str:
    tokens = token_pool().tokens
    return " ".join(tokens[t] for t in (tok1, tok2, tok3) if t >= 0)


# ----------------------------------------------------------------------------------------
# similarity for checks (independent of domain.names)

#: the only titles this generator writes into names (all listed in PROGRAM.md or common)
TITLE_PREFIXES = ("H.", "HJ.", "DRS.")
TITLE_SUFFIXES = ("S.KOM", "S.PD", "S.E.")
_TITLE_RE = re.compile(r"(?<![A-Z])(?:HJ\.|H\.|DRS\.|S\.KOM\.?|S\.PD\.?|S\.E\.)(?![A-Z])")


def normalise(name: str) -> str:
    """Upper case, ASCII fold, titles this generator writes removed, punctuation to
    spaces, spaces collapsed."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").upper()
    text = _TITLE_RE.sub(" ", text.replace(",", " "))
    text = re.sub(r"['`]", "", text)
    text = re.sub(r"[^A-Z]+", " ", text)
    return text.strip()


def similarity(a: str, b: str) -> float:
    """Jaro-Winkler of the normalised names (0 when either is empty)."""
    na, nb = normalise(a), normalise(b)
    if not na or not nb:
        return 0.0
    return float(JaroWinkler.normalized_similarity(na, nb))


# ----------------------------------------------------------------------------------------
# variants for planted situations

_VOWEL_SWAPS = (("I", "Y"), ("Y", "I"), ("U", "O"), ("O", "U"), ("E", "I"), ("A", "E"))


def _candidate_variants(name: str, rng: np.random.Generator) -> list[str]:
    """Spelling variants a clerk might type: a doubled letter dropped or added, one vowel
    swapped, a final ``H`` dropped or added (``FATIMAH``/``FATIMA``), the old spelling
    ``OE`` for ``U`` (``SUKARNO``/``SOEKARNO``), ``IE`` for a final ``I``."""
    out: list[str] = []
    for i in range(1, len(name)):
        if name[i] == name[i - 1] and name[i].isalpha():
            out.append(name[:i] + name[i + 1 :])
    for i, ch in enumerate(name):
        if ch in "BDGHKLMNPRST" and 0 < i < len(name) - 1 and name[i - 1] in "AEIOU":
            out.append(name[: i + 1] + ch + name[i + 1 :])
        if ch == "U" and i > 0:
            out.append(name[:i] + "OE" + name[i + 1 :])
        for a, b in _VOWEL_SWAPS:
            if ch == a and i > 0:
                out.append(name[:i] + b + name[i + 1 :])
    words = name.split(" ")
    for j, w in enumerate(words):
        if len(w) < 3:
            continue
        if w.endswith("H") and w[-2] in "AEIOU":
            out.append(" ".join(words[:j] + [w[:-1]] + words[j + 1 :]))
        if w[-1] in "AEOU":
            out.append(" ".join(words[:j] + [w + "H"] + words[j + 1 :]))
        if w[-1] == "I":
            out.append(" ".join(words[:j] + [w + "E"] + words[j + 1 :]))
    out = [v for v in dict.fromkeys(out) if v != name]
    rng.shuffle(out)
    return out


def respelling(name: str, rng: np.random.Generator, minimum: float = 0.93) -> str | None:
    """A different spelling of ``name`` (not only case or spacing) with similarity at least
    ``minimum``; ``None`` when the name has none."""
    for v in _candidate_variants(name, rng):
        if normalise(v) != normalise(name) and similarity(name, v) >= minimum:
            return v
    return None


def tiny_variation(name: str, rng: np.random.Generator, minimum: float = 0.93) -> str:
    """A spelling variant of ``name`` with similarity at least ``minimum`` (well above the
    0.90 typo threshold); the name itself in title case when no variant qualifies (equal
    after normalisation)."""
    return respelling(name, rng, minimum) or name.title()


def near_miss_variation(
    name: str, rng: np.random.Generator, low: float = 0.855, high: float = 0.885
) -> str | None:
    """A variant with similarity in ``[low, high]``: just under the 0.90 typo threshold and
    above the 0.85 mismatch threshold. ``None`` when the name does not allow one."""
    letters = "ABDEGHIKLMNRSTUY"
    for _ in range(400):
        chars = list(name)
        for _ in range(int(rng.integers(1, 4))):
            positions = [i for i, c in enumerate(chars) if c.isalpha()]
            i = positions[int(rng.integers(0, len(positions)))]
            op = rng.integers(0, 3)
            if op == 0:
                chars[i] = letters[int(rng.integers(0, len(letters)))]
            elif op == 1 and len(positions) > 4:
                chars.pop(i)
            else:
                chars.insert(i, letters[int(rng.integers(0, len(letters)))])
        v = "".join(chars)
        if low <= similarity(name, v) <= high:
            return v
    return None


def different_name(name: str, sex: int, rng: np.random.Generator, maximum: float = 0.75) -> str:
    """Somebody else's name (similarity at most ``maximum``, far below 0.85)."""
    pool = token_pool().tokens
    for _ in range(1000):
        group = ETHNIC_GROUPS[int(rng.integers(0, len(ETHNIC_GROUPS)))][0]
        p = PATTERNS[group]
        firsts = p.male_first if sex == 1 else p.female_first
        seconds = (p.male_second if sex == 1 else p.female_second) or p.family_names or firsts
        cand = f"{firsts[int(rng.integers(0, len(firsts)))]} {seconds[int(rng.integers(0, len(seconds)))]}"
        if similarity(name, cand) <= maximum:
            return cand
    raise RuntimeError(f"no different name found among {len(pool)} tokens")  # pragma: no cover


def with_titles(name: str, sex: int, rng: np.random.Generator) -> str:
    """``AHMAD FAUZI`` -> ``H. Ahmad Fauzi, S.Kom``: honorific, title case, punctuation and
    an academic title; equal to ``name`` after normalisation."""
    prefix = ("H." if sex == 1 else "Hj.") if rng.random() < 0.7 else "Drs."
    suffix = ("S.Kom", "S.Pd", "S.E.")[int(rng.integers(0, 3))]
    titled = f"{prefix} {name.title()}, {suffix}"
    if normalise(titled) != normalise(name):  # pragma: no cover - construction guard
        raise RuntimeError("titled name does not normalise back to the name")
    return titled
