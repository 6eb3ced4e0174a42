r"""Match API patterns against values whose parts may not be known until deploy time.

AddPermission parameters are checked at synth time against the regular expressions in
botocore's Lambda service model and in the CloudFormation schema. A value built from CDK
tokens, such as ``arn:aws:s3:::${Token}/*``, is only partly known at synth time, and refusing
it merely because a part is unknown would reject valid apps. The question asked here is
therefore whether *some* choice of strings for the unknown parts makes the whole value match.
``re`` cannot answer that, but a Thompson NFA built from the very parse tree ``re`` compiles
can: a known character moves the automaton along matching edges, and an unknown part may move
it along any path at all.

A part may also be unknown but of a known shape (a pseudo-parameter is a partition, a region or
12 digits): it is given as a ``Pattern`` of its own, and may move the automaton only along the
paths that some string of that shape spells (the product of the two automata).

The patterns are AWS's, and AWS applies them as Java's ``java.util.regex`` does, not as
Python's ``re``: ``\d``, ``\w``, ``\s`` and case folding are ASCII-only (so a fullwidth or an
Arabic-Indic digit is no digit), and ``.`` matches no line terminator (``\n``, ``\r``,
U+0085, U+2028, U+2029) unless DOTALL is set. Patterns compile with exactly those semantics.
"""

from __future__ import annotations

import importlib
import re
import sys
from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

__all__ = ["LINE_TERMINATORS", "Part", "Pattern", "aws_regex"]


def _load_private(name: str, legacy: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:  # Python < 3.11 exposed the same modules under their old names.
        return importlib.import_module(legacy)


# typeshed has no stubs for re._parser / re._constants (private since 3.11), so they are typed
# as Any. They are used anyway because reusing re's own parser guarantees the NFA is built from
# exactly the syntax tree that re.fullmatch would run, with the same quirks and errors.
_sre_parse: Final[Any] = _load_private("re._parser", "sre_parse")
_sre: Final[Any] = _load_private("re._constants", "sre_constants")

# Copying bounded repeats multiplies NFA size; a cap keeps a hostile pattern such as
# ``((a{100}){100}){100}`` from exhausting memory at construction.
_MAX_STATES: Final = 100_000
# The on-the-fly DFA caches grow with distinct inputs; long-running processes see many values.
_MAX_CACHE: Final = 100_000
_MAX_CODEPOINT: Final = 0x10FFFF
# Characters likely to fall outside a negated class: tried before scanning all of Unicode.
_SAMPLE_CHARS: Final = "aA0 _-.:/*$\n\x00\u00e9\u0661\u3000\U0010ffff"
# Only these flags change which characters a single-character regex accepts; ASCII is always on.
_CHAR_FLAGS: Final = re.IGNORECASE | re.ASCII

LINE_TERMINATORS: Final = frozenset("\n\r\u0085\u2028\u2029")
"""What Java's ``.`` does not match (without DOTALL), and therefore AWS's patterns' ``.``."""
_LINE_TERMINATOR_RANGES: Final = frozenset((ord(c), ord(c)) for c in LINE_TERMINATORS)


def aws_regex(source: str) -> re.Pattern[str]:
    r"""``source`` compiled for concrete values with the semantics AWS gives its patterns.

    ASCII classes and case folding (``re.ASCII``). A bare ``.`` would match ``\r`` and U+2028
    in Python, unlike Java, so it is refused: write ``[^\n]`` or a narrower class, or use
    :class:`Pattern`, which models ``.`` exactly.
    """
    tree = _sre_parse.parse(source, re.ASCII)
    if _uses_any(tree):
        raise ValueError(f"a bare '.' in {source!r} would match \\r and U+2028 under Python")
    return re.compile(source, re.ASCII)


def _uses_any(items: Iterable[tuple[Any, Any]]) -> bool:
    for op, av in items:
        if op is _sre.ANY:
            return True
        if op is _sre.BRANCH and any(_uses_any(alternative) for alternative in av[1]):
            return True
        if op is _sre.SUBPATTERN and _uses_any(av[3]):
            return True
        if (op is _sre.MAX_REPEAT or op is _sre.MIN_REPEAT) and _uses_any(av[2]):
            return True
    return False


_CATEGORY_ESCAPES: Final[dict[str, str]] = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}

# (ranges of code points, category escapes, negate, flags): equal keys share one edge predicate.
_CharKey = tuple[frozenset[tuple[int, int]], frozenset[str], bool, int]


def _all_chars() -> str:
    # Built only for pathological negated classes, and not kept: it is 4 MB. UTF-32 decoding is
    # several times faster than joining a million chr() results.
    codepoints = array("I", range(_MAX_CODEPOINT + 1))
    return codepoints.tobytes().decode(f"utf-32-{sys.byteorder[0]}e", "surrogatepass")


class _CharSet:
    r"""The characters one NFA edge accepts, decided by ``re`` itself so semantics cannot drift.

    Compiled with ``re.ASCII``: ``\d``, ``\s``, ``\w`` and IGNORECASE then mean what they mean
    in Java (ASCII only). A compiled one-character regex reproduces that exactly, and a
    per-character cache keeps it cheap.
    """

    __slots__ = ("_cache", "_regex")

    def __init__(self, key: _CharKey) -> None:
        ranges, categories, negate, flags = key
        if negate and not ranges and not categories:
            source = "(?s:.)"
        else:
            body = "".join(
                _escape(lo) if lo == hi else f"{_escape(lo)}-{_escape(hi)}"
                for lo, hi in sorted(ranges)
            )
            body += "".join(sorted(categories))
            source = f"[{'^' if negate else ''}{body}]"
        self._regex = re.compile(source, flags | re.ASCII)
        self._cache: dict[str, bool] = {}

    def matches(self, ch: str) -> bool:
        hit = self._cache.get(ch)
        if hit is None:
            hit = self._regex.match(ch) is not None
            if len(self._cache) < _MAX_CACHE:
                self._cache[ch] = hit
        return hit

    def is_empty(self, key: _CharKey) -> bool:
        # An unknown part may cross any edge only if the edge accepts at least one character,
        # so classes such as [^\d\D] must be recognised and dropped.
        candidates = set(_SAMPLE_CHARS)
        for lo, hi in key[0]:
            for code in (lo - 1, lo, hi, hi + 1):
                if 0 <= code <= _MAX_CODEPOINT:
                    candidates.add(chr(code))
        if any(self.matches(ch) for ch in candidates):
            return False
        return self._regex.search(_all_chars()) is None


def _escape(code: int) -> str:
    return f"\\U{code:08x}"


class _Nfa:
    """Thompson NFA under construction: epsilon edges and character edges per state."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.eps: list[list[int]] = []
        self.edges: list[list[tuple[_CharSet, int]]] = []
        self._charsets: dict[_CharKey, _CharSet | None] = {}

    def new_state(self) -> int:
        if len(self.eps) >= _MAX_STATES:
            raise ValueError(f"regex too large to check: {self.source!r}")
        self.eps.append([])
        self.edges.append([])
        return len(self.eps) - 1

    def unsupported(self, what: str) -> ValueError:
        return ValueError(f"unsupported regex construct {what} in {self.source!r}")

    # Invariant: building from `start` only adds edges out of `start` and into new states, and
    # every arrival at the returned state means the construct is complete. That lets sequences,
    # branches and repeats share states without the language leaking between them.

    def sequence(
        self, items: Sequence[tuple[Any, Any]], start: int, flags: int, at_start: bool, at_end: bool
    ) -> int:
        zero_width = [_is_zero_width(op, av) for op, av in items]
        cur = start
        for i, (op, av) in enumerate(items):
            item_at_start = at_start and all(zero_width[:i])
            item_at_end = at_end and all(zero_width[i + 1 :])
            cur = self.item(op, av, cur, flags, item_at_start, item_at_end)
        return cur

    def item(self, op: Any, av: Any, start: int, flags: int, at_start: bool, at_end: bool) -> int:
        char_flags = flags & _CHAR_FLAGS
        if op is _sre.LITERAL:
            return self._char((frozenset({(av, av)}), frozenset(), False, char_flags), start)
        if op is _sre.NOT_LITERAL:
            return self._char((frozenset({(av, av)}), frozenset(), True, char_flags), start)
        if op is _sre.ANY:
            # Java's '.': every character but a line terminator, unless DOTALL.
            excluded = frozenset() if flags & re.DOTALL else _LINE_TERMINATOR_RANGES
            return self._char((excluded, frozenset(), True, char_flags), start)
        if op is _sre.IN:
            return self._char(self._class_key(av, char_flags), start)
        if op is _sre.BRANCH:
            end = self.new_state()
            for alternative in av[1]:
                self.eps[self.sequence(alternative, start, flags, at_start, at_end)].append(end)
            return end
        if op is _sre.SUBPATTERN:
            _group, add_flags, del_flags, body = av
            return self.sequence(body, start, (flags | add_flags) & ~del_flags, at_start, at_end)
        if op is _sre.MAX_REPEAT or op is _sre.MIN_REPEAT:
            # Laziness changes which match re picks, never whether one exists.
            low, high, body = av
            return self._repeat(body, low, high, start, flags, at_start, at_end)
        if op is _sre.AT:
            return self._anchor(av, start, at_start, at_end)
        raise self.unsupported(str(op))

    def _char(self, key: _CharKey, start: int) -> int:
        if key not in self._charsets:
            charset = _CharSet(key)
            self._charsets[key] = None if charset.is_empty(key) else charset
        end = self.new_state()
        charset_or_none = self._charsets[key]
        if charset_or_none is not None:
            self.edges[start].append((charset_or_none, end))
        return end

    def _class_key(self, items: Iterable[tuple[Any, Any]], flags: int) -> _CharKey:
        ranges: set[tuple[int, int]] = set()
        categories: set[str] = set()
        negate = False
        for op, av in items:
            if op is _sre.NEGATE:
                negate = True
            elif op is _sre.LITERAL:
                ranges.add((av, av))
            elif op is _sre.RANGE:
                ranges.add((av[0], av[1]))
            elif op is _sre.CATEGORY and av.name in _CATEGORY_ESCAPES:
                categories.add(_CATEGORY_ESCAPES[av.name])
            else:
                raise self.unsupported(f"{op} {av} in a character class")
        return frozenset(ranges), frozenset(categories), negate, flags

    def _repeat(
        self,
        body: Sequence[tuple[Any, Any]],
        low: int,
        high: int,
        start: int,
        flags: int,
        at_start: bool,
        at_end: bool,
    ) -> int:
        # An anchor inside a body that can run twice is not at an end on every iteration.
        once = high <= 1
        cur = start
        for _ in range(low):
            cur = self.sequence(body, cur, flags, at_start and once, at_end and once)
        if high == _sre.MAXREPEAT:
            loop = self.new_state()
            self.eps[cur].append(loop)
            self.eps[self.sequence(body, loop, flags, False, False)].append(loop)
            # A fresh exit, not the loop itself: an edge into the returned state (an enclosing
            # '?' skipping the whole construct) must not be able to continue the loop.
            done = self.new_state()
            self.eps[loop].append(done)
            return done
        optional_starts = []
        for _ in range(high - low):
            optional_starts.append(cur)
            cur = self.sequence(body, cur, flags, at_start and once, at_end and once)
        for state in optional_starts:
            self.eps[state].append(cur)
        return cur

    def _anchor(self, code: Any, start: int, at_start: bool, at_end: bool) -> int:
        # Matching is always full-match, so ^, \A, $ and \Z hold trivially at the pattern's ends.
        # ($ at the very end cannot exploit its "before a final newline" leeway: nothing would
        # consume that newline.) Anchors elsewhere would need position tracking; the API
        # patterns never use them.
        if at_start and (code is _sre.AT_BEGINNING or code is _sre.AT_BEGINNING_STRING):
            return start
        if at_end and (code is _sre.AT_END or code is _sre.AT_END_STRING):
            return start
        raise self.unsupported(f"{code} (anchors are supported only at the ends)")


def _expanded_size(items: Iterable[tuple[Any, Any]]) -> int:
    # Checked before building, so an oversized pattern is refused without allocating it first.
    size = 0
    for op, av in items:
        if op is _sre.BRANCH:
            size += 1 + sum(_expanded_size(alternative) for alternative in av[1])
        elif op is _sre.SUBPATTERN:
            size += _expanded_size(av[3])
        elif op is _sre.MAX_REPEAT or op is _sre.MIN_REPEAT:
            low, high, body = av
            copies = low + 1 if high == _sre.MAXREPEAT else high
            size += 1 + copies * _expanded_size(body)
        else:
            size += 1
    return size


def _is_zero_width(op: Any, av: Any) -> bool:
    if op is _sre.AT:
        return True
    if op is _sre.SUBPATTERN:
        return all(_is_zero_width(o, a) for o, a in av[3])
    if op is _sre.BRANCH:
        return all(_is_zero_width(o, a) for alt in av[1] for o, a in alt)
    return False


class Pattern:
    """An API pattern, matched against values that may have unknown parts.

    The pattern is a regular expression from botocore's model or the CloudFormation schema.
    """

    __slots__ = (
        "_accept",
        "_accepting",
        "_after_shape",
        "_after_unknown",
        "_ascii",
        "_edges",
        "_eps",
        "_ids",
        "_initial",
        "_live",
        "_overlap",
        "_sets",
        "_source",
        "_start",
        "_trans",
    )

    def __init__(self, regex: str) -> None:
        """Compile ``regex``; it must match a whole value, so ^ and $ at its ends add nothing.

        Raises ValueError for an invalid regex and for constructs the check cannot decide
        (lookarounds, backreferences, conditionals, atomic groups, possessive repeats, word
        boundaries, anchors away from the ends).
        """
        self._source = regex
        try:
            tree = _sre_parse.parse(regex, 0)
        except re.error as error:
            raise ValueError(f"invalid regex {regex!r}: {error}") from error
        if _expanded_size(tree) > _MAX_STATES:
            raise ValueError(f"regex too large to check: {regex!r}")
        nfa = _Nfa(regex)
        self._start = nfa.new_state()
        self._accept = nfa.sequence(list(tree), self._start, int(tree.state.flags), True, True)
        self._eps = nfa.eps
        self._edges = nfa.edges
        self._live = self._co_reachable()
        # The NFA is simulated as a lazily built DFA: each distinct set of NFA states gets an id,
        # and transitions between ids are cached, so repeated values cost dict lookups only.
        self._sets: list[frozenset[int]] = []
        self._accepting: list[bool] = []
        self._ids: dict[frozenset[int], int] = {}
        self._trans: dict[tuple[int, str], int] = {}
        self._after_unknown: dict[int, int] = {}
        self._after_shape: dict[tuple[int, Pattern], int] = {}
        # For a pattern used as a shape: the ASCII characters each of its edges accepts.
        self._ascii: dict[_CharSet, str] | None = None
        # Whether an edge of this pattern and an edge of a shape accept a common character.
        self._overlap: dict[tuple[_CharSet, _CharSet], bool] = {}
        self._initial = self._reset_caches()

    @property
    def source(self) -> str:
        """The regex as given."""
        return self._source

    def could_match(self, parts: Sequence[Part]) -> bool:
        """Whether some strings for the unknown parts make the joined parts fully match.

        ``None`` stands for an unknown part: any string, possibly empty. A ``Pattern`` stands
        for an unknown part of that shape: any string it fully matches. Without unknowns this
        is whether the pattern matches the text as AWS matches it (``re.fullmatch`` with
        ``re.ASCII``, and no line terminator for ``.``).
        """
        if len(self._trans) > _MAX_CACHE or len(self._sets) > _MAX_CACHE:
            self._initial = self._reset_caches()
        cur = self._initial
        for part in parts:
            if part is None:
                cur = self._unknown(cur)
                continue
            if isinstance(part, Pattern):
                cur = self._shaped(cur, part)
                if cur == 0:
                    return False
                continue
            for ch in part:
                nxt = self._trans.get((cur, ch))
                if nxt is None:
                    nxt = self._step(cur, ch)
                cur = nxt
                if cur == 0:  # No state left that can still reach acceptance.
                    return False
        return self._accepting[cur]

    def __repr__(self) -> str:
        return f"Pattern({self._source!r})"

    def _reset_caches(self) -> int:
        self._sets.clear()
        self._accepting.clear()
        self._ids.clear()
        self._trans.clear()
        self._after_unknown.clear()
        self._after_shape.clear()
        dead = self._intern(frozenset())
        assert dead == 0
        return self._intern(self._closure([self._start]))

    def _co_reachable(self) -> frozenset[int]:
        # Pruning states that can never reach acceptance lets a hopeless prefix stop early.
        incoming: list[list[int]] = [[] for _ in self._eps]
        for state, targets in enumerate(self._eps):
            for target in targets:
                incoming[target].append(state)
        for state, edges in enumerate(self._edges):
            for _charset, target in edges:
                incoming[target].append(state)
        return frozenset(_reach([self._accept], lambda s: incoming[s]))

    def _closure(self, states: Iterable[int]) -> frozenset[int]:
        return frozenset(_reach(states, lambda s: self._eps[s])) & self._live

    def _intern(self, states: frozenset[int]) -> int:
        ident = self._ids.get(states)
        if ident is None:
            ident = len(self._sets)
            self._ids[states] = ident
            self._sets.append(states)
            self._accepting.append(self._accept in states)
        return ident

    def _step(self, ident: int, ch: str) -> int:
        targets = [
            target
            for state in self._sets[ident]
            for charset, target in self._edges[state]
            if charset.matches(ch)
        ]
        nxt = self._intern(self._closure(targets))
        self._trans[(ident, ch)] = nxt
        return nxt

    def _unknown(self, ident: int) -> int:
        # Every remaining edge accepts some character (empty classes were dropped), so an
        # unknown string can drive the automaton along any path: take everything reachable.
        nxt = self._after_unknown.get(ident)
        if nxt is None:
            edges = self._edges
            eps = self._eps
            reached = _reach(
                self._sets[ident], lambda s: [*eps[s], *(target for _c, target in edges[s])]
            )
            nxt = self._intern(frozenset(reached) & self._live)
            self._after_unknown[ident] = nxt
        return nxt

    def _shaped(self, ident: int, shape: Pattern) -> int:
        # The product of the two automata: this one's states after reading any string that the
        # shape fully matches, starting from the states in ``ident``.
        key = (ident, shape)
        nxt = self._after_shape.get(key)
        if nxt is not None:
            return nxt
        chars = shape._ascii_chars()
        start = [(p, s) for p in self._sets[ident] for s in shape._sets[shape._initial]]
        seen = set(start)
        stack = list(start)
        ends: set[int] = set()
        live = self._live
        while stack:
            p, s = stack.pop()
            if s == shape._accept:
                ends.add(p)
            successors = [(p2, s) for p2 in self._eps[p]]
            successors += [(p, s2) for s2 in shape._eps[s]]
            for shape_set, s2 in shape._edges[s]:
                for charset, p2 in self._edges[p]:
                    if p2 in live and self._overlaps(charset, shape_set, chars[shape_set]):
                        successors.append((p2, s2))
            for pair in successors:
                if pair not in seen:
                    seen.add(pair)
                    stack.append(pair)
        nxt = self._intern(self._closure(ends))
        self._after_shape[key] = nxt
        return nxt

    def _overlaps(self, charset: _CharSet, shape_set: _CharSet, chars: str) -> bool:
        key = (charset, shape_set)
        hit = self._overlap.get(key)
        if hit is None:
            hit = self._overlap[key] = any(charset.matches(ch) for ch in chars)
        return hit

    def _ascii_chars(self) -> dict[_CharSet, str]:
        """The characters each edge accepts, for a pattern used as a shape (ASCII only)."""
        if self._ascii is None:
            found: dict[_CharSet, str] = {}
            for edges in self._edges:
                for charset, _target in edges:
                    if charset not in found:
                        found[charset] = "".join(
                            chr(code) for code in range(128) if charset.matches(chr(code))
                        )
                        if any(charset.matches(ch) for ch in _SAMPLE_CHARS if ord(ch) > 127):
                            raise ValueError(f"a shape must be ASCII: {self._source!r}")
            self._ascii = found
        return self._ascii


Part = str | Pattern | None
"""A piece of a value: known text, ``None`` for any unknown string, or a ``Pattern`` for an
unknown string of that shape."""


def _reach(starts: Iterable[int], successors: Callable[[int], Iterable[int]]) -> set[int]:
    seen = set(starts)
    stack = list(seen)
    while stack:
        for nxt in successors(stack.pop()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen
