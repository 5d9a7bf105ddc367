"""Event figures: how many were killed, injured, arrested, detained, kidnapped; how many security
operations and attacks. Rules over tokens of `body_search`; triggers, counted nouns and number
words are data (transforms/data/figures.ar.yaml, numbers.ar.yaml).

Precision first: a digit count needs a counted noun after it (so dates, ages, durations and ids
are never figures). A sentence may hold several figures of one kind when each has its own explicit
count ("قتل خمسة في حلب وقتل ثلاثة في إدلب"); a one read from a bare singular noun is taken only
as the first of its kind (a second is nearly always a part: "على عنصرين ... في الأولى على شخص").

More shapes: an indefinite singular noun in the accusative right after the trigger is one
("اعتقلت شاباً"); counted nouns joined by و add up ("إصابة امرأة وطفلين" = 3); a plural verb
listed under `subject_first` takes the count of the counted noun before it when none follows
("14 مسلحاً على الأقل من عناصر التنظيم قتلوا"); a count with its counted noun may stand several
words after the trigger ("قتل في الغارات على السوق صباح اليوم 12 مدنياً"); a toll names its kind
and may give the number alone ("ارتفعت حصيلة القتلى إلى 27"). A breakdown after بينهم/منهم
("مقتل 18 مدنياً بينهم 7 أطفال") is a figure of its own linked to its total (`of_figure`).

Scope: `held` figures (people held in prisons or camps) are a stock; a figure whose sentence dates
it from a start ("منذ اندلاع النزاع") or over a year is cumulative; the rest are events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from core import datafile
from transforms.numbers_ar import Quantity, apply_qualifier, qualifier_after, quantity_at
from transforms.records import Figure
from transforms.sentences import Span, Token, bases, sf, tokenize, trigger_flags

Phrase = tuple[str, ...]
MAX_GAP = 3  # words allowed between an "after" trigger and a count
FAR_GAP = 9  # words allowed between an "after" trigger and a count followed by its counted noun
BACK_GAP = 12  # words a "subject_first" verb looks back for its counted subject
BREAKDOWN_GAP = 30  # words between a count and the بينهم of its breakdown
TOLL_BACK = 20  # words a toll looks back for "ارتفع إلى N" when a breakdown stands between


@dataclass(frozen=True, slots=True)
class FigureRules:
    after: dict[str, tuple[Phrase, ...]]
    before: dict[str, tuple[Phrase, ...]]
    subject_first: dict[str, frozenset[Phrase]]  # "after" verbs whose count may stand before them
    self_singular: dict[str, tuple[Phrase, ...]]
    self_dual: dict[str, tuple[Phrase, ...]]
    fillers: frozenset[str]
    singular: frozenset[str]
    singular_acc: frozenset[str]  # the singular with accusative tanween ("شاباً"): one when alone
    dual: frozenset[str]
    plural: frozenset[str]
    others: frozenset[str]
    not_counts: frozenset[str]
    negations: frozenset[str]
    confirm: dict[str, tuple[str, ...]]  # trigger word -> prefixes one of which the sentence must have
    toll: dict[str, tuple[Phrase, ...]]  # "حصيلة القتلى": the number may follow alone
    breakdown: frozenset[str]  # بينهم، منهم: a part of the count before
    cumulative: tuple[Phrase, ...]  # "منذ اندلاع": a total since a start, not an event
    stock_kinds: frozenset[str]  # kinds that are standing populations (held)
    stock_markers: tuple[Phrase, ...]  # "الاحتجاز المستمر": a detention that is a standing population
    people_groups: frozenset[str]  # "قوات", "صفوف": a partitive "N من قوات النظام" counts people
    joiners: tuple[Phrase, ...]  # "بالإضافة إلى", "فضلا عن": another count of the same kind follows
    part_markers: tuple[str, ...]  # "من القتلى", "منهم": a count in a later sentence that is a part of a total
    time_words: frozenset[str]  # "يوم أول أمس": words of a time between a trigger and its count
    agents: frozenset[str]  # "ثلاثة مقنعين": nouns of the doers, never of the victims
    auxiliaries: frozenset[str]  # "كانوا قد": words between a counted subject and its verb
    asides: frozenset[str]  # "بحسب": first words of an aside between commas after a trigger
    estimators: frozenset[str]  # "يقدرون": a number after one needs no counted noun
    first_words: frozenset[str]  # first words of every trigger: a quick filter per token
    index: dict[str, tuple[tuple[str, str, Phrase], ...]]  # first word -> (kind, mode, phrase)


@dataclass(frozen=True, slots=True)
class SelfCounting:
    singular: tuple[str, ...] = ()
    dual: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KindSpec:
    after: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    self_: tuple[SelfCounting, ...] = field(default=(), metadata=datafile.key("self"))
    subject_first: tuple[str, ...] = ()
    toll: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NounSpec:
    singular: str
    dual: tuple[str, ...] = ()
    plural: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FiguresFile:
    """transforms/data/figures.ar.yaml"""

    kinds: dict[str, KindSpec]
    nouns: tuple[NounSpec, ...]
    confirm: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fillers: tuple[str, ...] = ()
    negations: tuple[str, ...] = ()
    others: tuple[str, ...] = ()
    not_counts: tuple[str, ...] = ()
    stock_kinds: tuple[str, ...] = ()
    stock_markers: tuple[str, ...] = ()
    breakdown: tuple[str, ...] = ()
    cumulative: tuple[str, ...] = ()
    people_groups: tuple[str, ...] = ()
    joiners: tuple[str, ...] = ()
    part_markers: tuple[str, ...] = ()
    time_words: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    auxiliaries: tuple[str, ...] = ()
    asides: tuple[str, ...] = ()
    estimators: tuple[str, ...] = ()


def _phrases(items: Iterable[str]) -> tuple[Phrase, ...]:
    out = {tuple(sf(x).split()) for x in items}
    return tuple(sorted((p for p in out if p), key=lambda p: -len(p)))


@lru_cache(maxsize=1)
def figure_rules() -> FigureRules:
    data = datafile.load_package("transforms", "data/figures.ar.yaml", FiguresFile)
    after: dict[str, tuple[Phrase, ...]] = {}
    before: dict[str, tuple[Phrase, ...]] = {}
    sg: dict[str, tuple[Phrase, ...]] = {}
    du: dict[str, tuple[Phrase, ...]] = {}
    toll: dict[str, tuple[Phrase, ...]] = {}
    for kind, spec in data.kinds.items():
        toll[kind] = _phrases(spec.toll)
        after[kind] = _phrases(spec.after)
        before[kind] = _phrases(spec.before)
        sg[kind] = _phrases([x for s in spec.self_ for x in s.singular])
        du[kind] = _phrases([x for s in spec.self_ for x in s.dual])
    nouns = data.nouns
    singular = frozenset(sf(n.singular) for n in nouns)
    return FigureRules(
        after=after,
        before=before,
        subject_first={kind: frozenset(_phrases(spec.subject_first)) for kind, spec in data.kinds.items()},
        self_singular=sg,
        self_dual=du,
        fillers=frozenset(sf(x) for x in data.fillers),
        singular=singular,
        singular_acc=frozenset(sf(x) for n in nouns for x in n.plural if sf(x) == sf(n.singular) + "ا"),
        dual=frozenset(sf(x) for n in nouns for x in n.dual),
        plural=frozenset(sf(x) for n in nouns for x in n.plural),
        others=frozenset(sf(x) for x in data.others),
        not_counts=frozenset(sf(x) for x in data.not_counts),
        negations=frozenset(sf(x) for x in data.negations),
        confirm={sf(k): tuple(sf(x) for x in v) for k, v in data.confirm.items()},
        toll=toll,
        breakdown=frozenset(sf(x) for x in data.breakdown),
        cumulative=_phrases(data.cumulative),
        stock_kinds=frozenset(data.stock_kinds),
        stock_markers=_phrases(data.stock_markers),
        people_groups=frozenset(sf(x) for x in data.people_groups),
        joiners=_phrases(data.joiners),
        part_markers=tuple(sf(x) for x in data.part_markers),
        time_words=frozenset(sf(x) for x in data.time_words),
        agents=frozenset(sf(x) for x in data.agents),
        auxiliaries=frozenset(sf(x) for x in data.auxiliaries),
        asides=frozenset(sf(x) for x in data.asides),
        estimators=frozenset(sf(x) for x in data.estimators),
        first_words=frozenset(p[0] for table in (after, before, sg, du, toll) for phrases in table.values() for p in phrases),
        index=_index({"toll": toll, "before": before, "dual": du, "singular": sg, "after": after}),
    )


def _index(tables: dict[str, dict[str, tuple[Phrase, ...]]]) -> dict[str, tuple[tuple[str, str, Phrase], ...]]:
    out: dict[str, list[tuple[str, str, Phrase]]] = {}
    for mode, table in tables.items():
        for kind, phrases in table.items():
            for phrase in phrases:
                out.setdefault(phrase[0], []).append((kind, mode, phrase))
    return {k: tuple(v) for k, v in out.items()}


def _match(tokens: list[Token], i: int, phrase: Phrase, *, article: bool, cands: tuple[str, ...] | list[str] | None = None) -> int | None:
    """Index of the last token if `phrase` starts at token i (clitics allowed on the first word;
    the article ال only when `article`)."""
    if i + len(phrase) > len(tokens):
        return None
    first = tokens[i].text
    cands = cands if cands is not None else bases(first)
    if not article:  # indefinite only: no candidate that is, or was left by taking off, the article
        cands = [c for c in cands if not c.startswith("ال") and "ال" + c not in cands]
    if phrase[0] not in cands:
        return None
    for k in range(1, len(phrase)):
        want = phrase[k]
        got = tokens[i + k].text
        if got != want and not (article and got == "ال" + want) and not (want.startswith("ال") and got == want):
            return None
    return i + len(phrase) - 1


def _is_noun(word: str, rules: FigureRules) -> bool:
    return any(b in rules.plural or b in rules.singular or b in rules.dual or b in rules.others for b in bases(word))


_QUOTE = frozenset({'"', "'"})
_PARENS = frozenset({"(", ")"})
Count = tuple[int | None, int | None, str, int]  # low, high, qualifier, index of the last (or first) token


def _not_a_count_after(tokens: list[Token], nxt: int, rules: FigureRules) -> bool:
    """The word after a number makes it a date, an age, a duration, an id or a share: "24 من أيار",
    "25 عاما". "N من" is a date only before a month or a number ("سبعة من مقاتلي" is a count)."""
    if nxt >= len(tokens):
        return False
    word = tokens[nxt].text
    if word == "من":
        after = tokens[nxt + 1].text if nxt + 1 < len(tokens) else ""
        return not after or after[0].isdigit() or any(b in rules.not_counts for b in bases(after))
    return any(b in rules.not_counts for b in bases(word))


def _counted_noun_at(tokens: list[Token], nxt: int, q: Quantity, rules: FigureRules) -> bool:
    """A counted noun (of people) follows the quantity: indefinite after a number ("30 عنصراً",
    not "الفرقة 30 العقيد"), either after a vague amount ("عشرات القتلى"), or a partitive
    "من" + people ("سبعة من مقاتلي التنظيم", not "ثلاثة من آلياته")."""
    if nxt >= len(tokens):
        return False
    word = tokens[nxt].text
    if word == "من":
        after = tokens[nxt + 1].text if nxt + 1 < len(tokens) else ""
        return _is_noun(after, rules) or after in rules.people_groups or _possessed(after, rules)
    if not _is_noun(word, rules) and not _possessed(word, rules):
        return False
    return not (q.numeric and word.startswith("ال"))


_POSSESSIVES = ("هما", "هم", "هن", "ها", "ه")


def _possessed(word: str, rules: FigureRules) -> bool:
    """A plural of people with a possessive pronoun: "أفرادها", "عناصره", "مقاتليه" ("عدد من أفرادها",
    "سبعة من عناصره")."""
    for suffix in _POSSESSIVES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            stem = word[: -len(suffix)]
            return stem in rules.plural or stem in rules.people_groups
    return False


def _is_trigger_noun(word: str, rules: FigureRules) -> bool:
    """A counted noun that names its own kind (القتلى، الجرحى، قتلى)."""
    return any(mode == "before" for c in bases(word) for _k, mode, phrase in rules.index.get(c, ()) if len(phrase) == 1)


def _year_like(q: Quantity, tokens: list[Token]) -> bool:
    return q.numeric and q.low is not None and 1900 <= q.low <= 2100 and tokens[q.first].text.isdigit()


def _count_after(  # noqa: PLR0911  # one return per way a count can follow a trigger
    tokens: list[Token], j: int, rules: FigureRules
) -> Count | None:
    """The count that follows an "after" trigger whose next token is j: (low, high, qualifier, last).
    Right after the trigger a number needs no noun ("وجرح 30 في التفجير"); a count in words needs
    none after fillers either; further on, up to FAR_GAP words, only a count with its counted noun
    (or a partitive "من": "سبعة من مقاتلي") is taken, or an accusative singular within MAX_GAP
    ("اختطف مجهولون عنصراً")."""
    gap = 0
    k = j
    while k < len(tokens) and gap <= FAR_GAP:
        word = tokens[k].text
        if word in _QUOTE or word in _PARENS:
            k += 1
            continue
        if not any(ch.isalnum() for ch in word):
            end = _aside_end(tokens, k, rules)
            if end is None:
                return None  # punctuation ends the search, but for an aside between commas
            k, gap = end, gap + 1
            continue
        if (k > j or word.startswith("و")) and _trigger_at(tokens, k, rules):
            return None  # another trigger: the count belongs to it ("قتل مدنيان وأصيب ثلاثة آخرون", "قتل وجرح اثنان")
        q = quantity_at(tokens, k)
        only_fillers = all(tokens[m].text in rules.fillers or tokens[m].text in _QUOTE for m in range(j, k))
        if q is not None:
            nxt = q.last + 1
            if _not_a_count_after(tokens, nxt, rules):
                if gap > MAX_GAP:
                    return None
                k, gap = nxt + 1, gap + 2  # a date or a duration in between ("صباح 12 تموز")
                continue
            counted = _counted_noun_at(tokens, nxt, q, rules)
            has_noun = counted or (q.first > 0 and tokens[q.first - 1].text in rules.estimators)
            if nxt < len(tokens) and not rules.agents.isdisjoint(bases(tokens[nxt].text)):
                return None  # "وخطف ثلاثة مقنعين الأب ...": the doers, not the victims
            if has_noun and _is_trigger_noun(tokens[nxt].text, rules):
                return None  # "سقوط عشرات الجرحى": the count of the noun's own kind (read by it)
            adjacent = k == j and q.numeric and not _year_like(q, tokens)
            if has_noun or (only_fillers and not q.numeric) or adjacent:
                partitive = nxt < len(tokens) and tokens[nxt].text == "من"
                return _with_post(q, tokens, nxt + 1 if counted and not partitive else nxt)
            return None  # a number without its counted noun: not a count, and no reading past it
        if only_fillers and word in ("احد", "احدي") and k + 1 < len(tokens):
            after = tokens[k + 1].text
            if _is_noun(after, rules) or after in rules.people_groups:
                return 1, 1, "exact", k + 1  # "اعتقلت أحد أقارب ...": one of them
        if gap <= MAX_GAP:
            if word in rules.dual:  # a dual is a count wherever it stands near
                for m in (k + 1, k + 2):  # "ضابطي شرطة على الأقل"
                    post = qualifier_after(tokens, m)
                    if post is not None and post[1] == "at_least":
                        return 2, None, "at_least", m + post[0] - 1
                return 2, 2, "exact", k
            if word in rules.singular_acc or (only_fillers and word in rules.singular):
                post = qualifier_after(tokens, k + 1)  # "مقتل عنصر على الأقل"
                if post is not None and post[1] == "at_least":
                    return 1, None, "at_least", k + post[0]
                return 1, 1, "exact", k
            if only_fillers and word in rules.others:
                return 2, None, "vague", k
        if word not in rules.fillers and word not in rules.time_words:
            gap += 1  # "اختطف مجهولون يوم أول أمس عنصراً": a time is no gap
        k += 1
    return None


def _trigger_at(tokens: list[Token], k: int, rules: FigureRules) -> bool:
    """Whether a trigger phrase starts at token k (not only its first word: "وعدد من" is no "عدد القتلى")."""
    cands = bases(tokens[k].text)
    if rules.first_words.isdisjoint(cands):
        return False
    phrases = [phrase for c in cands for _kind, _mode, phrase in rules.index.get(c, ())]
    return any(_match(tokens, k, phrase, article=True, cands=cands) is not None for phrase in phrases)


def _aside_end(tokens: list[Token], k: int, rules: FigureRules) -> int | None:
    """After an aside between commas that starts at the comma k ("، بحسب المرصد،", "، أمس،"):
    the token after its closing comma, or None."""
    if tokens[k].text not in ("،", ","):
        return None
    for m in range(k + 1, min(len(tokens), k + 5)):
        if tokens[m].text in ("،", ","):
            words = [t.text for t in tokens[k + 1 : m]]
            if words and all(w.isalpha() for w in words) and (
                words[0] in rules.asides or all(w in rules.time_words for w in words)
            ):
                return m + 1
            return None
        if not tokens[m].text.isalpha():
            return None
    return None


def _joined_parts(
    tokens: list[Token], k: int, rules: FigureRules, prev: int | None = None
) -> list[tuple[int | None, int | None, str, int, int]]:
    """Counts joined by و after a count that ended at token k-1, each a figure of its own
    ("مقتل 5 مدنيين و3 عناصر", "إصابة امرأة وطفلين"): (low, high, qualifier, first, last). A bare
    singular or dual joins only a count of one or two: "57 عضواً وقيادياً" is one count of
    members and leaders, `prev` being the count before."""
    out: list[tuple[int | None, int | None, str, int, int]] = []
    k = _skip_phrase(tokens, k, rules)
    while k < len(tokens):
        word = tokens[k].text
        joiner = _joiner_at(tokens, k, rules)
        if joiner:
            k += joiner
            q = quantity_at(tokens, k)
            if q is not None and _counted_noun_at(tokens, q.last + 1, q, rules) and not _is_trigger_noun(tokens[q.last + 1].text, rules):
                low, high = apply_qualifier(q)
                out.append((low, high, q.qualifier, q.first, q.last + 1))
                k = _skip_phrase(tokens, q.last + 2, rules)
                continue
            if k < len(tokens) and tokens[k].text in rules.dual and not _is_trigger_noun(tokens[k].text, rules):
                out.append((2, 2, "exact", k, k))
                k = _skip_phrase(tokens, k + 1, rules)
                continue
            break
        if word == "و" and k + 1 < len(tokens):
            q = quantity_at(tokens, k + 1)
            if q is None or q.last + 1 >= len(tokens) or not _is_noun(tokens[q.last + 1].text, rules):
                break
            if not rules.first_words.isdisjoint(bases(tokens[q.last + 1].text)):
                break  # "و9 جرحى": a count of another kind, read by its own trigger
            low, high = apply_qualifier(q)
            out.append((low, high, q.qualifier, k + 1, q.last + 1))
            k = _skip_phrase(tokens, q.last + 2, rules)
            continue
        if len(word) < 3 or word[0] != "و":
            break
        rest = word[1:]
        q = quantity_at(tokens, k)  # "وثلاثة أطفال", "وسبعة من الفرقة": و on a number word
        if q is not None and _counted_noun_at(tokens, q.last + 1, q, rules):
            if not rules.first_words.isdisjoint(bases(tokens[q.last + 1].text)):
                break
            low, high = apply_qualifier(q)
            out.append((low, high, q.qualifier, k, q.last + 1))
            k = _skip_phrase(tokens, q.last + 2, rules)
            continue
        if q is not None and prev is not None and _elliptic_at(tokens, q.last + 1):
            low, high = apply_qualifier(q)  # "13 شخصاً في حماة، وسبعة في ريف دمشق": the noun left out
            out.append((low, high, q.qualifier, k, q.last))
            k = _skip_phrase(tokens, q.last + 1, rules)
            continue
        people_next = k + 1 < len(tokens) and (_is_noun(tokens[k + 1].text, rules) or tokens[k + 1].text in rules.people_groups)
        if rest in ("احد", "احدي") and people_next:
            out.append((1, 1, "exact", k, k + 1))  # "قتل قائد عسكري وأحد العناصر"
            k = _skip_phrase(tokens, k + 2, rules)
            continue
        n = 1 if rest in rules.singular or rest in rules.singular_acc else 2 if rest in rules.dual else 0
        if n == 1 and k + 1 < len(tokens) and tokens[k + 1].text in ("واحد", "واحده"):
            out.append((1, 1, "exact", k, k + 1))  # "وضحية واحدة في اللاذقية": a one said as one, after any count
            k = _skip_phrase(tokens, k + 2, rules)
            continue
        if not n or not rules.first_words.isdisjoint(bases(rest)):
            break
        if prev is not None and prev > 2:
            break
        out.append((n, n, "exact", k, k))
        k += 1
    return out


def _elliptic_at(tokens: list[Token], k: int) -> bool:
    """A count whose noun is left out, before a place ("وسبعة في ريف دمشق"): في and a word."""
    return k + 1 < len(tokens) and tokens[k].text == "في" and tokens[k + 1].text.isalpha()


def _next_is_co_kind(tokens: list[Token], k: int, kind: str, rules: FigureRules) -> bool:
    return _co_kind(tokens, k, kind, "after", rules) is not None


def _skip_phrase(tokens: list[Token], k: int, rules: FigureRules) -> int:
    """Past a short complement of a count ("من جبهة النصرة", "في ريف دمشق", "بتهمة الزنا"): up to
    eight words with no number and no trigger (a comma only before و or a joiner), that end before
    و or an additive joiner followed by a count. Returns k itself when no such phrase is there."""
    for m in range(k, min(len(tokens), k + 9)):
        if _joiner_at(tokens, m, rules) or (tokens[m].text.startswith("و") and quantity_at(tokens, m) is not None):
            return m
        if tokens[m].text.startswith("و") and m + 1 < len(tokens) and tokens[m + 1].text in ("واحد", "واحده"):
            return m  # "، وحالة واحدة على يد التنظيم"
        word = tokens[m].text
        if word in rules.breakdown:
            return k  # "بينهم ... وخمسة أطفال": what follows is a part of the count, not another one
        if word in ("،", ",") and m + 1 < len(tokens) and (_joiner_at(tokens, m + 1, rules) or tokens[m + 1].text.startswith("و")):
            continue  # "18 عنصراً من جبهة النصرة، وسبعة من الفرقة 30"
        if word in _QUOTE or word in _PARENS:
            continue
        if not word.isalpha() or quantity_at(tokens, m) is not None or not rules.first_words.isdisjoint(bases(word)):
            return k
    return k


def _after_joiner(tokens: list[Token], i: int, rules: FigureRules) -> bool:
    """Whether an additive joiner ends right before token i ("بالإضافة إلى مقتل مقاتل")."""
    return any(i >= len(p) and tuple(t.text for t in tokens[i - len(p) : i]) == p for p in rules.joiners)


def _joiner_at(tokens: list[Token], k: int, rules: FigureRules) -> int:
    """Tokens of an additive joiner at k ("و" alone, "بالإضافة إلى", "فضلا عن") or 0."""
    if k < len(tokens) and tokens[k].text == "و":
        return 1
    for phrase in rules.joiners:
        n = len(phrase)
        if [t.text for t in tokens[k : k + n]] == list(phrase):
            return n
    return 0


def _count_before_verb(tokens: list[Token], i: int, rules: FigureRules, *, singular: bool = False) -> Count | None:  # noqa: PLR0911  # one return per shape of subject
    """The count of the counted noun standing before the verb at i, up to BACK_GAP words back:
    the nearest counted noun with a count decides; a noun without one is passed over only inside
    a partitive ("من عناصر التنظيم", "عشرة أشخاص من القتلى قضوا"); "N من X" is a count ("ثمانية
    من مقاتلي التنظيم قتلوا"); a breakdown after بينهم/منهم gives way to the total before it, also
    as an aside between commas ("ثلاثة مدنيين، بينهم طفلة، كانوا قد قتلوا"); a qualifier after the
    noun counts ("14 مسلحاً على الأقل"); a comma may stand right before the verb, auxiliaries
    (كانوا قد) between; "ارتفع إلى 25 عدد مقاتلي النصرة الذين لقوا مصرعهم": the number of a
    toll of the noun."""
    n = i - 1
    if n >= 0 and tokens[n].text in ("،", ","):
        n -= 1
    while n >= 0 and tokens[n].text in rules.auxiliaries:
        n -= 1
    while n > max(-1, i - BACK_GAP - 1):
        word = tokens[n].text
        if word in _QUOTE:
            n -= 1
            continue
        if word in ("،", ",") and n >= 3:
            # "، بينهم طفلة،": an aside that is a breakdown, between commas
            opening = next((b for b in range(n - 2, max(-1, n - 6), -1) if tokens[b].text in ("،", ",")), None)
            if opening is not None and tokens[opening + 1].text in rules.breakdown:
                n = opening - 1
                continue
        if not any(ch.isalnum() for ch in word):
            return None  # punctuation
        if not rules.first_words.isdisjoint(bases(word)):
            if n > 0 and tokens[n - 1].text == "من" and _is_trigger_noun(word, rules):
                n -= 1  # "عشرة أشخاص من القتلى قضوا": a partitive of the toll's noun
                continue
            return None  # another trigger: "11 شخصا قتلوا و32 أصيبوا" is not 11 injured
        if word == "من" and n > 0:
            q = _quantity_ending_at(tokens, n - 1)
            if q is not None and q.numeric:
                low, high = apply_qualifier(q)
                return low, high, q.qualifier, q.first  # "ثمانية من مقاتلي التنظيم ... قتلوا"
            n -= 1
            continue
        if not _is_noun(word, rules):
            n -= 1
            continue
        q = _quantity_before(tokens, n)
        if q is None:
            if n > 0 and tokens[n - 1].text == "من":
                n -= 1
                continue  # "من عناصر التنظيم": the counted noun stands before the partitive
            if n > 0 and tokens[n - 1].text == "عدد":
                got = _toll_before(tokens, n - 1, rules)  # "ارتفع إلى 25 عدد مقاتلي النصرة الذين لقوا"
                return got[:4] if got is not None else None
            if word in rules.dual:
                return 2, 2, "exact", n
            if singular and i - n <= 3 and (word in rules.singular or word in rules.singular_acc):
                return 1, 1, "exact", n  # "أن عنصراً في التنظيم قتل": a singular subject
            return None
        for b in range(q.first - 1, max(-1, q.first - 8), -1):
            if tokens[b].text in rules.breakdown:
                return _count_before_verb(tokens, b + 1, rules, singular=singular) if b > 0 else None
        post = qualifier_after(tokens, n + 1)
        if post is not None and q.qualifier == "exact":
            q = Quantity(q.first, q.last, q.low, q.high, post[1], q.numeric)
        low, high = apply_qualifier(q)
        return low, high, q.qualifier, q.first
    return None


def _noun_end(tokens: list[Token], first: int, rules: FigureRules) -> int:
    """The token after the count that starts at `first` and its counted noun, if one follows."""
    q = quantity_at(tokens, first)
    if q is None:
        return first + 1
    nxt = q.last + 1
    return nxt + 1 if nxt < len(tokens) and _is_noun(tokens[nxt].text, rules) else nxt


def _quantity_ending_at(tokens: list[Token], end: int) -> Quantity | None:
    for start in range(max(0, end - 5), end + 1):
        q = quantity_at(tokens, start)
        if q is not None and q.last == end:
            return q
    return None


def _breakdowns(tokens: list[Token], k: int, rules: FigureRules) -> list[tuple[int | None, int | None, str, int, int]]:
    """Parts of a count that ends at token k-1: "بينهم 7 أطفال و3 نساء", "بينهم طفل",
    "بينهم امرأتان", "بينهم عدد من الأطفال" -> (low, high, qualifier, first, last) for each part."""
    out: list[tuple[int | None, int | None, str, int, int]] = []
    # past a phrase with no count and no trigger: "368 شخصاً خلال الشهر الماضي، بينهم", "3042 من
    # تنظيم (داعش) وجبهة النصرة (تنظيم القاعدة في بلاد الشام) بينهم عشرات القياديين"
    for m in range(k, min(len(tokens), k + BREAKDOWN_GAP)):
        word = tokens[m].text
        if word in rules.breakdown or (word == "من" and m + 1 < len(tokens) and tokens[m + 1].text in rules.breakdown):
            k = m
            break
        if word in ("،", ",") or word in _QUOTE or word in _PARENS:
            continue
        if not word.isalpha() or quantity_at(tokens, m) is not None or not rules.first_words.isdisjoint(bases(word)):
            break
    if k < len(tokens) and tokens[k].text in ("،", ","):
        k += 1
    if k + 1 < len(tokens) and tokens[k].text == "من" and tokens[k + 1].text in rules.breakdown:
        k += 1  # "من بينهم"
    if k >= len(tokens) or tokens[k].text not in rules.breakdown:
        return out
    k += 1
    while k < len(tokens):
        word = tokens[k].text
        q = quantity_at(tokens, k)
        if q is not None:
            nxt = q.last + 1
            if nxt >= len(tokens) or not _is_noun(tokens[nxt].text, rules):
                break
            post = _qualifier_near(tokens, nxt + 1)
            if post is not None and q.qualifier == "exact":
                q = Quantity(q.first, q.last, q.low, q.high, post[1], q.numeric)
            low, high = apply_qualifier(q)
            out.append((low, high, q.qualifier, q.first, nxt))
            k = nxt + 1
        elif word in rules.dual:
            out.append((2, 2, "exact", k, k))
            k += 1
        elif word in rules.singular or word in rules.singular_acc:
            out.append((1, 1, "exact", k, k))
            k += 1
        else:
            # "بينهم رئيس المجلس المحلي وخمسة أطفال": past a named person, the counts joined by و
            m = _skip_phrase(tokens, k, rules)
            if m > k:
                out.extend(_joined_parts(tokens, m, rules))
            break
        out.extend(_joined_parts(tokens, k, rules))
        sub = _sub_part(tokens, out[-1][4] + 1, rules)  # "بينهم 12 ضابطاً، اثنان منهم برتبة عميد"
        if sub is not None:
            out.append(sub)
        break
    return out


def _sub_part(tokens: list[Token], k: int, rules: FigureRules) -> tuple[int | None, int | None, str, int, int] | None:
    """"، اثنان منهم": a count of the ones just named, right after them."""
    if k < len(tokens) and tokens[k].text in ("،", ","):
        k += 1
    q = quantity_at(tokens, k)
    after = tokens[q.last + 1].text if q is not None and q.last + 1 < len(tokens) else ""
    if q is None or after not in rules.breakdown or after.startswith("بين"):
        return None
    low, high = apply_qualifier(q)
    return low, high, q.qualifier, q.first, q.last + 1


def _qualifier_near(tokens: list[Token], k: int) -> tuple[int, str] | None:
    """A qualifier after a count's noun at token k, or after a short من-phrase that follows it
    ("25 مقاتلاً من المعارضة السورية على الأقل"): (tokens from k to its end, qualifier)."""
    post = qualifier_after(tokens, k)
    if post is not None:
        return post
    if k < len(tokens) and tokens[k].text == "من":
        for m in range(k + 1, min(len(tokens), k + 5)):
            if not tokens[m].text.isalpha():
                return None
            post = qualifier_after(tokens, m)
            if post is not None:
                return m - k + post[0], post[1]
    return None


def _with_post(q: Quantity, tokens: list[Token], k: int) -> tuple[int | None, int | None, str, int]:
    post = _qualifier_near(tokens, k)
    if post is None and k < len(tokens) and tokens[k].text.endswith(("يا", "يين", "يون", "يه")):
        post = qualifier_after(tokens, k + 1)  # "250 مسيحياً آشورياً على الأقل": an adjective between
        if post is not None:
            k += 1
    if post is None and q.last + 1 < len(tokens):
        post = qualifier_after(tokens, q.last + 1)
    if post is not None:
        q = Quantity(q.first, q.last, q.low, q.high, post[1], q.numeric)
        k += post[0]
    low, high = apply_qualifier(q)
    return low, high, q.qualifier, max(q.last, k - 1)


def _quantity_before(tokens: list[Token], i: int) -> Quantity | None:
    """A quantity that ends right before token i (or before "من" at i-1: الآلاف من معتقلي)."""
    for end in (i - 1, i - 2):
        if end < 0 or (end == i - 2 and tokens[i - 1].text != "من"):
            continue
        for start in range(max(0, end - 5), end + 1):
            q = quantity_at(tokens, start)
            if q is not None and q.last == end:
                return q
    return None


def _confirmed(phrase: Phrase, tokens: list[Token], rules: FigureRules) -> bool:
    needs = rules.confirm.get(phrase[0])
    if not needs:
        return True
    return any(b.startswith(needs) for t in tokens for b in bases(t.text))


def _longest_first(phrases: list[Phrase] | None) -> list[Phrase]:
    if not phrases:
        return []
    return phrases if len(phrases) == 1 else sorted(set(phrases), key=lambda p: (-len(p), p))


def _has(texts: list[str], phrases: tuple[Phrase, ...]) -> bool:
    for phrase in phrases:
        n = len(phrase)
        if any(texts[i : i + n] == list(phrase) for i in range(len(texts) - n + 1)):
            return True
    return False


def _scope(kind: str, has: Callable[[str], bool], rules: FigureRules) -> str:
    if kind in rules.stock_kinds:
        return "stock"
    return "cumulative" if has("cumulative") else "event"


@lru_cache(maxsize=256)
def _has_cached(texts: tuple[str, ...], which: str) -> bool:
    rules = figure_rules()
    phrases = rules.cumulative if which == "cumulative" else rules.stock_markers
    words = set(texts)
    return _has(list(texts), tuple(p for p in phrases if p[0] in words))


def figures_in_sentence(sentence: Span) -> list[Figure]:
    rules = figure_rules()
    tokens = tokenize(sentence.text, sentence.start)
    texts = tuple(t.text for t in tokens)
    marked: dict[str, bool] = {}  # once per sentence: the scope tests read every word

    def has(which: str) -> bool:
        if which not in marked:
            marked[which] = _has_cached(texts, which)
        return marked[which]

    found: list[tuple[Figure, int, int, Figure | None]] = []  # figure, first and last token, its total
    taken: list[tuple[int, int]] = []  # token spans of the counts already read
    counted: set[str] = set()  # kinds with a count other than one in the sentence
    seen: set[str] = set()  # kinds with a figure in the sentence

    def add(  # noqa: PLR0917  # local helper
        kind: str, low: int | None, high: int | None, qualifier: str, first: int, last: int, *, implicit: bool = False, share: bool = False,
        self_one: bool = False,
    ) -> Figure | None:
        if not share and any(a <= last and first <= b for a, b in taken):
            return None  # this count is read already (by another trigger or kind)
        if implicit and (kind in counted or (self_one and kind in seen)):
            return None  # a bare singular after a count of the same kind is a part of it (not of a one; "هجوم" after any)
        if kind == "detained" and has("stock"):
            kind = "held"  # "الاحتجاز المستمر لأكثر من ..." / "... محتجزين في سجونها"
        fig = Figure(kind, low, high, qualifier, sentence.text, tokens[first].start, tokens[last].end, scope=_scope(kind, has, rules))
        found.append((fig, first, last, None))
        taken.append((first, last))
        if low != 1:
            counted.add(kind)
        seen.add(kind)
        return fig

    def add_joined(kind: str, after: int, prev: int | None) -> int:
        """Counts joined by و to the one just read: figures of their own; returns the next token."""
        for low, high, qualifier, first, last in _joined_parts(tokens, after, rules, prev):
            if add(kind, low, high, qualifier, first, last) is not None:
                after = last + 1
        return after

    def add_parts(total: Figure | None, after: int, own: tuple[int, int] | None = None) -> None:
        """Counts joined to a total and its breakdown; `own` is the total's span when it holds them
        ("ثلاثة مدنيين، بينهم طفلة، كانوا قد قتلوا")."""
        if total is None:
            return
        after = add_joined(total.kind, after, total.count_low)
        for low, high, qualifier, first, last in _breakdowns(tokens, after, rules):
            if any(a <= last and first <= b for a, b in taken if (a, b) != own):
                continue
            part = Figure(total.kind, low, high, qualifier, sentence.text, tokens[first].start, tokens[last].end, scope=total.scope)
            found.append((part, first, last, total))
            taken.append((first, last))

    for i in range(len(tokens)):
        cands = bases(tokens[i].text)
        if rules.first_words.isdisjoint(cands):
            continue
        if any(not rules.negations.isdisjoint(bases(tokens[k].text)) for k in range(max(0, i - 4), i)):
            continue  # a release, not an arrest or a detention
        here: dict[tuple[str, str], list[Phrase]] = {}
        for c in cands:
            for kind, mode, phrase in rules.index.get(c, ()):
                here.setdefault((kind, mode), []).append(phrase)
        kinds_here = {k for k, _m in here}
        for kind in rules.after:
            if kind not in kinds_here:
                continue
            done = False
            # a toll: "ارتفعت حصيلة القتلى إلى 27"
            for phrase in _longest_first(here.get((kind, "toll"))):
                e = _match(tokens, i, phrase, article=True, cands=cands)
                if e is None:
                    continue
                got = _toll_before(tokens, i, rules) or _toll_count(tokens, e + 1, rules)
                if got is not None:
                    low, high, qualifier, first, last = got
                    total = add(kind, low, high, qualifier, first, last)
                    add_parts(total, last + 1)
                    if last < i:  # "ارتفع إلى 18 عدد قتلى النظام بينهم 12 ضابطاً": parts after the toll
                        add_parts(total, e + 1)
                    done = True
                    break
            if done:
                continue
            # the trigger is the counted noun: the count stands before it
            for phrase in _longest_first(here.get((kind, "before"))):
                e = _match(tokens, i, phrase, article=True, cands=cands)
                if e is None:
                    continue
                q = _quantity_before(tokens, i) or _two_after(tokens, e + 1)
                if q is None and i > 0 and tokens[i - 1].text == "بين":
                    count = _count_after(tokens, e + 1, rules)  # "ومن بين قتلى المعارضة ثلاثة من قادة المجموعات"
                    if count is not None:
                        low, high, qualifier, last = count
                        add_parts(add(kind, low, high, qualifier, i, last), last + 1)
                        done = True
                        break
                if q is not None:
                    low, high = apply_qualifier(q)
                    post = qualifier_after(tokens, e + 1)
                    if post is not None and q.qualifier == "exact":
                        q = Quantity(q.first, q.last, q.low, q.high, post[1], q.numeric)
                        low, high = apply_qualifier(q)
                    total = add(kind, low, high, q.qualifier, q.first, e)
                    other = _co_kind(tokens, e + 1, kind, "before", rules)
                    if total is not None and other is not None:  # "عشرات القتلى والجرحى": both
                        add(other, low, high, q.qualifier, q.first, e + 1, share=True)
                    add_parts(total, e + 1)
                    done = True
                    break
            if done:
                continue
            for phrase in _longest_first(here.get((kind, "dual"))):
                e = _match(tokens, i, phrase, article=False, cands=cands)
                if e is not None:
                    add(kind, 2, 2, "exact", i, e)
                    done = True
                    break
            if done:
                continue
            for phrase in _longest_first(here.get((kind, "singular"))):
                e = _match(tokens, i, phrase, article=False, cands=cands)
                if e is not None and _quantity_before(tokens, i) is None:
                    add(kind, 1, 1, "exact", i, e, implicit=True, self_one=True)
                    done = True
                    break
            if done:
                continue
            for phrase in _longest_first(here.get((kind, "after"))):
                e = _match(tokens, i, phrase, article=True, cands=cands)
                if e is None or not _confirmed(phrase, tokens, rules):
                    continue
                other = _co_kind(tokens, e + 1, kind, "after", rules)  # "قتل وجرح العشرات"
                if other is not None and _count_before_verb(tokens, i, rules, singular=True) is not None:
                    other = None  # "27 قتلوا وأصيب عشرات": each verb has its own count
                count = _count_after(tokens, e + 2 if other else e + 1, rules)
                if count is not None:
                    low, high, qualifier, last = count
                    implicit = low == 1 and high == 1 and quantity_at(tokens, last) is None and not _after_joiner(tokens, i, rules)
                    total = add(kind, low, high, qualifier, i, last, implicit=implicit)
                    if other is not None and total is not None:
                        add(other, low, high, qualifier, i, last, share=True)
                    add_parts(total, last + 1)
                    break
                if phrase in rules.subject_first[kind] or other is not None or _next_is_co_kind(tokens, e + 1, kind, rules):
                    back = _count_before_verb(tokens, i, rules, singular=phrase not in rules.subject_first[kind])
                    if back is not None:
                        low, high, qualifier, first = back
                        total = add(kind, low, high, qualifier, first, e)
                        if total is not None:
                            add_parts(total, _noun_end(tokens, first, rules), own=(first, e))
                        # "25 مقاتلاً من الفصائل وثمانية من مقاتلي التنظيم قتلوا": counts joined before
                        while total is not None and tokens[first].text.startswith("و") and first > 0:
                            back = _count_before_verb(tokens, first, rules)
                            if back is None:
                                break
                            low, high, qualifier, first = back
                            total = add(kind, low, high, qualifier, first, e, share=True)
                        break
    found.sort(key=lambda x: (x[0].start or 0, x[0].kind))
    index = {id(f): n for n, (f, *_rest) in enumerate(found)}
    return [replace(f, of_figure=index[id(total)]) if total is not None else f for f, _a, _b, total in found]


def _two_after(tokens: list[Token], k: int) -> Quantity | None:
    """"مصابين اثنين": a two written after the noun."""
    if k < len(tokens) and tokens[k].text in ("اثنين", "اثنان", "اثنتين", "اثنتان"):
        return Quantity(k, k, 2, 2, "exact", True)
    return None


def _co_kind(tokens: list[Token], k: int, kind: str, mode: str, rules: FigureRules) -> str | None:
    """Another kind joined by و to a trigger ("مقتل وإصابة"، "القتلى والجرحى"): that kind."""
    if k >= len(tokens):
        return None
    word = tokens[k].text
    if len(word) < 4 or word[0] != "و":
        return None
    for c in bases(word[1:]):
        for other, m, phrase in rules.index.get(c, ()):
            if other != kind and m == mode and len(phrase) == 1:
                return other
    return None


def _toll_before(tokens: list[Token], i: int, rules: FigureRules) -> tuple[int | None, int | None, str, int, int] | None:
    """"ارتفع إلى 18 على الأقل عدد القتلى": the number of a toll written before it, also past
    its breakdown ("ارتفع إلى 9 بينهم رئيس المجلس المحلي وخمسة أطفال عدد القتلى")."""
    for b in range(i - 1, max(-1, i - TOLL_BACK), -1):
        word = tokens[b].text
        if not any(ch.isalnum() for ch in word) and word not in _QUOTE and word not in ("،", ","):
            return None
        if word in ("الي", "حتي") and b + 1 < i:
            q = quantity_at(tokens, b + 1)
            if q is None:
                return None
            post = qualifier_after(tokens, q.last + 1)
            if post is not None and q.qualifier == "exact":
                q = Quantity(q.first, q.last, q.low, q.high, post[1], q.numeric)
            end = q.last + (post[0] if post is not None else 0)
            if i - b > 6 and (end + 1 >= len(tokens) or tokens[end + 1].text not in rules.breakdown):
                return None  # far from its toll only with a breakdown in between
            low, high = apply_qualifier(q)
            return low, high, q.qualifier, q.first, q.last
    return None


def _toll_count(tokens: list[Token], k: int, rules: FigureRules) -> tuple[int | None, int | None, str, int, int] | None:
    """The number of a toll, up to six words on (a number alone counts: "حصيلة القتلى إلى 27")."""
    for m in range(k, min(len(tokens), k + 10)):
        word = tokens[m].text
        if word in _QUOTE:
            continue
        if not any(ch.isalnum() for ch in word):
            return None
        q = quantity_at(tokens, m)
        if q is None:
            continue
        if not q.numeric and not (q.last + 1 < len(tokens) and _is_noun(tokens[q.last + 1].text, rules)):
            continue  # "أحياء عدة": an amount of something else
        nxt = q.last + 1
        if nxt + 1 < len(tokens) and tokens[nxt].text in ("الي", "حتي"):
            later = quantity_at(tokens, nxt + 1)  # "من 31 إلى 32": a toll that rose, the last one
            if later is not None:
                q, nxt = later, later.last + 1
        if nxt < len(tokens) and any(b in rules.not_counts for b in bases(tokens[nxt].text)):
            return None
        last = nxt if nxt < len(tokens) and _is_noun(tokens[nxt].text, rules) else q.last
        post = qualifier_after(tokens, last + 1)
        if post is not None and q.qualifier == "exact":
            q = Quantity(q.first, q.last, q.low, q.high, post[1], q.numeric)
        low, high = apply_qualifier(q)
        return low, high, q.qualifier, q.first, last
    return None


def extract_figures(sentences: list[Span]) -> list[Figure]:
    """Figures in article order; a breakdown's `of_figure` is the index of its total in the list."""
    out: list[Figure] = []
    where: list[int] = []  # the sentence of each figure
    for n, (s, hit) in enumerate(zip(sentences, trigger_flags(sentences, figure_rules().first_words), strict=True)):
        if hit:  # a sentence without a trigger word has no figure
            base = len(out)
            got = figures_in_sentence(s)
            out.extend(f if f.of_figure is None else replace(f, of_figure=f.of_figure + base) for f in got)
            where.extend([n] * len(got))
    return _parts_across(out, where, sentences, figure_rules()) if len(out) > 1 else out


PART_WINDOW = 3  # sentences after a total in which its parts may stand


def _parts_across(figures: list[Figure], where: list[int], sentences: list[Span], rules: FigureRules) -> list[Figure]:
    """Parts of a total told in the sentences after it, linked by `of_figure`:
    * counts of its kind that add up to it exactly ("قتل 28 مدنياً ..." then "مقتل 21 مدنياً" and
      "7 آخرين قتلوا");
    * a smaller count of its kind that its sentence marks as a part ("تسعة من القتلى هم من المدنيين",
      "منهم أربعة أطفال"), the total being the nearest larger one before it."""
    out = list(figures)
    free = [f.of_figure is None and f.scope == "event" and f.count_low is not None for f in out]
    for t, total in enumerate(out):
        if not free[t] or total.count_low is None or total.count_low < 2:
            continue
        parts: list[int] = []
        acc = 0
        for j in range(t + 1, len(out)):
            f = out[j]
            if where[j] > where[t] + PART_WINDOW:
                break
            if f.kind != total.kind or where[j] == where[t] or not free[j]:
                continue
            if f.count_low is None or f.count_high != f.count_low or f.count_low >= total.count_low:
                break  # another total, or a count that is no part of this one
            parts.append(j)
            acc += f.count_low
            if acc >= total.count_low:
                break
        if acc == total.count_low and len(parts) >= 2:
            for j in parts:
                out[j] = replace(out[j], of_figure=t)
                free[j] = False
    for j, f in enumerate(out):
        if not free[j] or f.count_low is None or f.count_high != f.count_low or not _marked_part(f, sentences[where[j]], rules):
            continue
        totals = [
            t
            for t in range(j - 1, -1, -1)
            if where[j] - PART_WINDOW <= where[t] < where[j]
            and out[t].kind == f.kind
            and out[t].of_figure is None
            and (out[t].count_low or 0) > f.count_low
        ]
        if len(totals) == 1:  # one total it can belong to: unambiguous
            out[j] = replace(f, of_figure=totals[0])
            free[j] = False
    return out


def _marked_part(f: Figure, sentence: Span, rules: FigureRules) -> bool:
    """Whether a part marker ("من القتلى", "منهم") stands in the few words before the figure's end."""
    if f.end is None or f.start is None:
        return False
    before = sentence.text[max(0, f.start - sentence.start - 30) : f.end - sentence.start]
    words = f" {before} "
    return any(f" {m} " in words or f" و{m} " in words for m in rules.part_markers)
