"""Text similarity for dedup: normalisation, signatures, comparison and verdicts.

Pure functions of texts and parameters: no SQLite here, so the maths can be tested,
benchmarked and reused (``store.dedup`` indexes signatures in the store,
``store.revisions`` summarises what changed between two versions).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import cached_property, lru_cache
from itertools import chain
from typing import Any

import numpy as np

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_text(text: str) -> str:
    """Text reduced to what identifies it: NFKC, case-folded, words separated by one space."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return _NON_WORD.sub(" ", text).strip()


def content_hash(text: str) -> str:
    """Stable hash of the normalised text (quotes, spacing and case do not matter)."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


@dataclass
class Match:
    """An incoming record matched a stored article.

    ``kind`` is ``"duplicate"`` (recorded as a sighting) or ``"revision"`` (same
    address, changed text or title: recorded in ``article_revisions``).
    """

    article_id: int
    method: str
    similarity: float = 1.0
    details: dict[str, Any] = field(default_factory=dict)
    kind: str = "duplicate"


# --------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class Params:
    """Everything stored signatures depend on (changing one needs :func:`rebuild`)."""

    #: tokens per shingle (words; characters for scripts written without spaces)
    shingle: int = 3
    #: MinHash permutations = bands * rows
    bands: int = 20
    rows: int = 3
    seed: int = 20261101
    # Decision thresholds (no rebuild needed, but kept here so they are reported together).
    window_days: int = 30
    title_window_days: int = 7
    #: fewer distinct shingles than this: too little content for a near-duplicate decision
    min_shingles: int = 25
    near_jaccard: float = 0.5
    near_containment: float = 0.8
    #: for a containment match the shorter text keeps at least this share of the longer
    near_ratio: float = 0.5
    #: above this share of words in paragraphs the other text lacks: not the same article
    novel_limit: float = 0.25
    title_containment: float = 0.5
    #: MinHash estimate below which a candidate is not worth verifying
    prefilter: float = 0.25
    max_verify: int = 5

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows

    def fingerprint(self) -> str:
        return (
            f"minhash-v3 k={self.shingle} b={self.bands} r={self.rows} seed={self.seed} "
            f"chrome={CHROME_TOKENS}"
        )


DEFAULT_PARAMS = Params()

# --------------------------------------------------------------------------- text signatures
# Scripts written without spaces between words: one token per character.
_NOSPACE = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
)
#: One character of those scripts, a number, or a run of letters of other scripts (a
#: negated class rather than a look-ahead per letter: a third of the time).
_TOKEN_RE = re.compile(rf"[{_NOSPACE}]|\d+(?:[.,:/]\d+)*|[^\W\d_{_NOSPACE}]+")
_SENTENCE_END = set(".!?…:;\n\r\t\"'“”«»()[]—–-")
_MASK32 = np.uint64(0xFFFFFFFF)
_MIX = np.uint64(0x100000001B3)
_MIX64 = np.uint64(0xBF58476D1CE4E5B9)
_FINAL = np.uint64(0x9E3779B97F4A7C15)
_SHIFT32 = np.uint64(32)


def _fold(token: str) -> str:
    # casefold turns Azerbaijani/Turkish İ into i + U+0307; the dot carries no meaning here.
    return token.casefold().replace("\u0307", "")


#: token -> 32-bit hash; the vocabulary of news repeats, so most tokens are hashed once.
_TOKEN_HASHES: dict[str, int] = {}


def _hash_tokens(tokens: list[str]) -> np.ndarray:
    cache = _TOKEN_HASHES
    if len(cache) > 200_000:  # about 20 MB
        cache.clear()
    for t in set(tokens).difference(cache):
        cache[t] = zlib.crc32(t.encode("utf-8"))
    return np.fromiter(map(cache.__getitem__, tokens), dtype=np.uint64, count=len(tokens))


class TextSig:
    """Tokens, shingles and MinHash of one text, computed when first needed."""

    def __init__(self, text: str, params: Params = DEFAULT_PARAMS) -> None:
        self.text = unicodedata.normalize("NFKC", text or "")
        self.params = params

    @cached_property
    def _matches(self) -> list[re.Match[str]]:
        return list(_TOKEN_RE.finditer(self.text))

    @cached_property
    def _tokens_and_lines(self) -> tuple[list[str], np.ndarray]:
        # Tokens never span a line break: tokenising line by line is the same as the whole.
        lines = [_TOKEN_RE.findall(line) for line in _fold(self.text).split("\n")]
        counts = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
        return list(chain.from_iterable(lines)), counts

    @cached_property
    def tokens(self) -> list[str]:
        return self._tokens_and_lines[0]

    @cached_property
    def _token_hashes(self) -> np.ndarray:
        return _hash_tokens(self.tokens)

    @cached_property
    def shingles(self) -> np.ndarray:
        """Sorted unique 32-bit hashes of token k-grams (a stable hash: they are stored)."""
        return _kgrams(self._token_hashes, self.params.shingle)

    @cached_property
    def _lines(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every line with tokens: its token count, its shingle count, and all their
        shingles end to end (each line's unique and sorted)."""
        counts = self._tokens_and_lines[1]
        ntok = counts[counts > 0]
        return (ntok, *_line_kgrams(self._token_hashes, ntok, self.params.shingle))

    @property
    def paragraphs(self) -> list[tuple[int, np.ndarray]]:
        """(tokens, shingles) of each line: to tell added paragraphs from added chrome."""
        ntok, sizes, flat = self._lines
        parts = np.split(flat, np.cumsum(sizes)[:-1]) if sizes.size else []
        return list(zip(ntok.tolist(), parts, strict=True))

    @property
    def size(self) -> int:
        return int(self.shingles.size)

    @cached_property
    def index_shingles(self) -> np.ndarray:
        """The shingles the LSH index sees: those of lines long enough to be running text.

        Another outlet's header, footer and promo lines are short lines; leaving short
        lines out of the signature keeps a copy with added chrome close to its original
        in the index (the verification still compares every shingle).
        """
        ntok, sizes, flat = self._lines
        long = ntok >= CHROME_TOKENS
        kept = np.unique(flat[np.repeat(long, sizes)]) if long.any() else self.shingles[:0]
        # A text of short lines only (a list, a table) is indexed whole.
        return kept if kept.size >= 10 else self.shingles

    @cached_property
    def minhash(self) -> np.ndarray:
        """num_perm minima of multiply-add-shift hashes (64-bit arithmetic, high 32 bits)."""
        a, b = _perms(self.params)
        x = self.index_shingles
        if x.size == 0:
            return np.full(self.params.num_perm, 0xFFFFFFFF, dtype=np.uint32)
        out = np.full(self.params.num_perm, np.iinfo(np.uint64).max, dtype=np.uint64)
        step = 4096  # a very long text does not allocate num_perm x n at once
        for i in range(0, x.size, step):
            xs = x[i : i + step]
            v = (a[:, None] * xs[None, :] + b[:, None]) >> _SHIFT32
            np.minimum(out, v.min(axis=1), out=out)
        return out.astype(np.uint32)

    @cached_property
    def _band_keys(self) -> list[int]:
        r = self.params.rows
        rows = self.minhash.astype(np.uint64).reshape(self.params.bands, r)
        h = (np.arange(self.params.bands, dtype=np.uint64) + np.uint64(1)) * _FINAL
        for j in range(r):
            h = (h ^ rows[:, j]) * _MIX64
            h ^= h >> np.uint64(31)
        return h.view(np.int64).tolist()

    def band_keys(self) -> list[int]:
        """One signed 64-bit key per band: equal keys = identical MinHash rows in that band."""
        return self._band_keys

    @cached_property
    def marks(self) -> dict[tuple[str, str, str], frozenset[str]]:
        """Numbers and mid-sentence capitalised words, keyed by their neighbours.

        Two wire items built on one template share almost every shingle and differ
        in a date, a rate or a name in the same place: same (previous, next) words,
        different value. That is what :func:`compare` calls a conflict.
        """
        ms, text = self._matches, self.text
        toks = [_fold(m.group()) for m in ms]
        out: dict[tuple[str, str, str], set[str]] = {}
        for i, m in enumerate(ms):
            raw = m.group()
            if raw[0].isdigit():
                kind = "n"
            elif raw[0].isupper() and not _sentence_initial(text, m.start()):
                kind = "e"
            else:
                continue
            # Neighbours on the same line only: a moved paragraph keeps its contexts.
            prev = toks[i - 1] if i and "\n" not in text[ms[i - 1].end() : m.start()] else ""
            nxt = (
                toks[i + 1]
                if i + 1 < len(ms) and "\n" not in text[m.end() : ms[i + 1].start()]
                else ""
            )
            out.setdefault((kind, prev, nxt), set()).add(toks[i])
            if kind == "n":
                # "for April 1 is" vs "for March 30 is": the month differs too, so numbers
                # are also keyed by one neighbour (a weaker sign, see _conflicting).
                out.setdefault(("n<", prev, ""), set()).add(toks[i])
                out.setdefault(("n>", "", nxt), set()).add(toks[i])
        return {k: frozenset(v) for k, v in out.items()}


def _gram_hashes(th: np.ndarray, pos: np.ndarray, k: int) -> np.ndarray:
    """32-bit hashes of the k-grams of token hashes ``th`` starting at ``pos`` (stored in
    the index: the one place this formula lives)."""
    h = np.zeros(pos.size, dtype=np.uint64)
    for j in range(k):
        h = h * _MIX + th[pos + j] + np.uint64(j + 1)
    h ^= h >> np.uint64(29)
    h *= _FINAL
    h ^= h >> np.uint64(32)
    return h & _MASK32


def _line_kgrams(th: np.ndarray, ntok: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """What :func:`_kgrams` gives for each line alone (``ntok`` tokens each, ``th`` end to
    end), computed for all lines at once: a text has hundreds of lines, and numpy calls
    per line cost more than the hashing. Returns (shingles per line, shingles)."""
    if not ntok.size:
        return ntok, np.zeros(0, dtype=np.uint64)
    starts = np.cumsum(ntok) - ntok
    keyed = []
    for kk in range(1, k + 1):
        # Lines of at least k tokens: every window inside the line. Shorter lines (kk
        # tokens): one gram of all of them, as _kgrams takes k = min(k, tokens).
        lines = np.flatnonzero(ntok >= k) if kk == k else np.flatnonzero(ntok == kk)
        if not lines.size:
            continue
        per = ntok[lines] - kk + 1
        pos = np.repeat(starts[lines] - np.cumsum(per) + per, per) + np.arange(per.sum())
        owner = np.repeat(lines, per).astype(np.uint64)
        keyed.append((owner << _SHIFT32) | _gram_hashes(th, pos, kk))
    unique = np.unique(np.concatenate(keyed))  # by line, then value; no repeat in a line
    sizes = np.bincount((unique >> _SHIFT32).astype(np.int64), minlength=ntok.size)
    return sizes, unique & _MASK32


def _kgrams(th: np.ndarray, k: int) -> np.ndarray:
    if th.size == 0:
        return np.zeros(0, dtype=np.uint64)
    k = min(k, th.size)
    return np.unique(_gram_hashes(th, np.arange(th.size - k + 1), k))


#: A line shorter than this with (almost) nothing in common with the other text is
#: page chrome ("Follow us on Telegram", "Home | News", "© 2025 ..."): left out of the core.
CHROME_TOKENS = 12
#: A paragraph at least this long that the other text lacks is content, not chrome.
NOVEL_TOKENS = 10
_UNSHARED = 0.2


def _split_lines(a: TextSig, b: TextSig) -> tuple[np.ndarray, float]:
    """a's core shingles (its lines minus chrome) and its share of words in novel paragraphs."""
    ntok, sizes, flat = a._lines
    keep, total, novel = [], 0, 0
    for n, overlap in zip(ntok.tolist(), _overlaps(a, b.shingles), strict=True):
        total += n
        unshared = overlap < _UNSHARED
        chrome = unshared and n < CHROME_TOKENS
        if unshared and not chrome and n >= NOVEL_TOKENS:
            novel += n
        keep.append(not chrome)
    core = np.unique(flat[np.repeat(np.array(keep, dtype=bool), sizes)])
    return core, (novel / total if total else 0.0)


def _overlaps(a: TextSig, other: np.ndarray) -> list[float]:
    """Share of each of a's paragraph shingles found in ``other`` (sorted, unique).

    One search over all paragraphs at once: a verification compares a few dozen
    paragraphs, and a call per paragraph cost more than the search itself.
    """
    _, sizes, every = a._lines
    if not sizes.size:
        return []
    if not other.size:
        return [0.0] * sizes.size
    at = np.minimum(np.searchsorted(other, every), other.size - 1)
    found = np.concatenate(([0], np.cumsum(other[at] == every, dtype=np.int64)))
    ends = np.cumsum(sizes)
    hits = found[ends] - found[ends - sizes]
    return [float(h) / s if s else 0.0 for h, s in zip(hits.tolist(), sizes.tolist(), strict=True)]


def stored_sig(text: str, params: Params = DEFAULT_PARAMS) -> TextSig:
    """The signature of a stored text, kept for the next comparisons with it.

    One stored article is verified against many incoming ones (every copy of a story
    and every near miss of a busy day): tokenising it once instead of each time saves a
    good part of what an append costs next to a dense day. Keyed by the text itself, so a
    changed text is never served an old signature.
    """
    return _stored_sig(text or "", params)


@lru_cache(maxsize=256)
def _stored_sig(text: str, params: Params) -> TextSig:
    return TextSig(text, params)


def _sentence_initial(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in " \u00a0":
        i -= 1
    return i < 0 or text[i] in _SENTENCE_END


_PERMS: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def _perms(params: Params) -> tuple[np.ndarray, np.ndarray]:
    key = (params.num_perm, params.seed)
    if key not in _PERMS:
        # Legacy RandomState: its stream is fixed across numpy versions (signatures are stored).
        rng = np.random.RandomState(params.seed)
        hi = rng.randint(0, 1 << 32, size=(2, params.num_perm), dtype=np.uint64)
        lo = rng.randint(0, 1 << 32, size=(2, params.num_perm), dtype=np.uint64)
        a = (hi[0] << _SHIFT32) | lo[0] | np.uint64(1)  # odd multipliers
        b = (hi[1] << _SHIFT32) | lo[1]
        _PERMS[key] = (a, b)
    return _PERMS[key]


def estimate_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / max(1, a.size)


@dataclass
class Comparison:
    """The evidence a fuzzy decision rests on.

    ``jaccard``/``containment`` compare all shingles; the ``core_*`` figures leave out
    short lines the other text does not have (another outlet's header, footer and
    promo lines) and shingles spanning two lines (a moved paragraph), which is what
    a reader discounts when judging whether two pages carry the same story.
    """

    shared: int
    a_shingles: int
    b_shingles: int
    jaccard: float
    containment: float
    ratio: float
    core_shared: int = 0
    core_jaccard: float = 0.0
    core_containment: float = 0.0
    core_ratio: float = 0.0
    #: share of each text's words in whole paragraphs the other text lacks
    a_novel: float = 0.0
    b_novel: float = 0.0
    #: [values only in a, values only in b, context]: a number replaced by another between
    #: the same two words (decisive)...
    number_conflicts: list[list[str]] = field(default_factory=list)
    #: ...after the same word or before it, or a name replaced (weighed against length)
    weak_conflicts: list[list[str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in (
            "jaccard",
            "containment",
            "ratio",
            "core_jaccard",
            "core_containment",
            "core_ratio",
            "a_novel",
            "b_novel",
        ):
            d[k] = round(d[k], 4)
        d["number_conflicts"] = d["number_conflicts"][:5]
        d["weak_conflicts"] = d["weak_conflicts"][:5]
        return d


def compare(a: TextSig, b: TextSig) -> Comparison:
    """Exact shingle overlap of two texts, and values that differ in the same context."""
    sa, sb = a.shingles, b.shingles
    shared = int(np.intersect1d(sa, sb, assume_unique=True).size)
    na, nb = int(sa.size), int(sb.size)
    union = na + nb - shared
    small, large = min(na, nb), max(na, nb)
    cmp = Comparison(
        shared=shared,
        a_shingles=na,
        b_shingles=nb,
        jaccard=shared / union if union else 0.0,
        containment=shared / small if small else 0.0,
        ratio=small / large if large else 0.0,
    )
    if shared:
        ca, cmp.a_novel = _split_lines(a, b)
        cb, cmp.b_novel = _split_lines(b, a)
        core = int(np.intersect1d(ca, cb, assume_unique=True).size)
        small, large = min(ca.size, cb.size), max(ca.size, cb.size)
        cmp.core_shared = core
        cmp.core_jaccard = core / (ca.size + cb.size - core) if core else 0.0
        cmp.core_containment = core / small if small else 0.0
        cmp.core_ratio = small / large if large else 0.0
    ma, mb = a.marks, b.marks
    for key in ma.keys() & mb.keys():
        va, vb = ma[key], mb[key]
        # A copy may lose values (truncation) or gain some (chrome); only a value replaced
        # by another in the same place is a conflict.
        only_a, only_b = va - vb, vb - va
        if only_a and only_b:
            pair = [" ".join(sorted(only_a)), " ".join(sorted(only_b)), f"{key[1]} _ {key[2]}"]
            (cmp.number_conflicts if key[0] == "n" else cmp.weak_conflicts).append(pair)
    return cmp


def _conflicting(cmp: Comparison) -> str | None:
    if cmp.number_conflicts:
        a, b, ctx = cmp.number_conflicts[0]
        return f"numbers differ in the same place ({a} vs {b} in '{ctx}')"
    # A long text tolerates a name spelled two ways or an edit next to a number; a short
    # template, where such a difference is the whole news, does not.
    weak = cmp.weak_conflicts
    if weak and len(weak) * WEAK_CONFLICT_SHINGLES > max(cmp.core_shared, cmp.shared):
        a, b, ctx = weak[0]
        return (
            f"{len(weak)} value(s) differ in the same place ({a} vs {b} in '{ctx}') "
            f"for {max(cmp.core_shared, cmp.shared)} shingles in common"
        )
    return None


#: One weak conflict is tolerated per this many shared shingles.
WEAK_CONFLICT_SHINGLES = 50


def near_verdict(cmp: Comparison, params: Params = DEFAULT_PARAMS) -> tuple[bool, str]:
    """Is a candidate found by the LSH index the same story? (and why)"""
    small = min(cmp.a_shingles, cmp.b_shingles)
    if small < params.min_shingles or cmp.core_shared < params.min_shingles:
        return False, (
            f"too little shared content to judge ({cmp.core_shared} shingles in common, "
            f"{params.min_shingles} needed)"
        )
    conflict = _conflicting(cmp)
    if conflict:
        return False, conflict
    novel = max(cmp.a_novel, cmp.b_novel)
    if novel > params.novel_limit:
        return False, (
            f"{novel:.0%} of one text is paragraphs the other lacks: another article "
            "that quotes or contains it"
        )
    if cmp.core_jaccard >= params.near_jaccard:
        return True, f"core Jaccard {cmp.core_jaccard:.2f} >= {params.near_jaccard}"
    if cmp.core_containment >= params.near_containment and cmp.core_ratio >= params.near_ratio:
        return True, (
            f"core containment {cmp.core_containment:.2f} >= {params.near_containment} "
            f"(length ratio {cmp.core_ratio:.2f})"
        )
    return False, (
        f"core Jaccard {cmp.core_jaccard:.2f}, containment {cmp.core_containment:.2f}: "
        "too different"
    )


def title_verdict(
    cmp: Comparison, params: Params = DEFAULT_PARAMS, *, same_day: bool = True
) -> tuple[bool, str]:
    """Same source and title: do the texts agree enough to be one story?"""
    conflict = _conflicting(cmp)
    if conflict:
        return False, conflict
    small, large = sorted((cmp.a_shingles, cmp.b_shingles))
    if large < params.min_shingles and not same_day:
        # Two short items with one title on different days: a recurring item (a rate, a
        # forecast), not a teaser of a longer story.
        return False, "short recurring item on another day"
    need = params.title_containment if small >= params.min_shingles else 0.8
    if small and cmp.containment >= need:
        return True, f"same title, shorter text {cmp.containment:.0%} contained in the other"
    return False, f"same title but different text (containment {cmp.containment:.2f})"


def diff_summary(
    old_title: str | None,
    old_text: str,
    new_title: str | None,
    new_text: str,
    params: Params = DEFAULT_PARAMS,
) -> dict[str, Any]:
    """What changed between two versions, in terms a reader checks first."""
    a, b = TextSig(old_text or "", params), TextSig(new_text or "", params)
    old_words, new_words = Counter(a.tokens), Counter(b.tokens)
    added, removed = new_words - old_words, old_words - new_words
    cmp = compare(a, b)
    title_changed = normalise_text(old_title or "") != normalise_text(new_title or "")
    out: dict[str, Any] = {
        "title_changed": title_changed,
        "text_changed": old_words != new_words
        or normalise_text(old_text) != normalise_text(new_text),
        "words_added": sum(added.values()),
        "words_removed": sum(removed.values()),
        "similarity": round(cmp.jaccard, 4),
        "containment": round(cmp.containment, 4),
        "sample_added": [w for w, _ in added.most_common(8)],
        "sample_removed": [w for w, _ in removed.most_common(8)],
    }
    if title_changed:
        out["old_title"] = old_title
        out["new_title"] = new_title
    return out
