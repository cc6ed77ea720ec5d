"""Chinese government identifiers: 统一社会信用代码 and GB/T 2260 division codes.

Unified social credit code (GB 32100-2015): 18 characters from the alphabet
``0123456789ABCDEFGHJKLMNPQRTUWXY`` (31 symbols, no I O S V Z).  Character *i*
(1..17) has value = its index in the alphabet and weight ``3**(i-1) mod 31``;
the check character C18 is ``alphabet[(31 - sum(value * weight) mod 31) mod 31]``.
Input is normalised first: spaces removed, full-width characters folded to
half-width, letters upper-cased.

Each check returns a result that carries its reason, so forms and the CLI can
say exactly what is wrong.
"""
from dataclasses import dataclass
import re
import unicodedata

from .i18n import _

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

# GB/T 2260 province-level prefixes (11 Beijing ... 65 Xinjiang, 71 Taiwan, 81/82 HK/Macau)
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    value: str  # the normalised input
    reason: str = ""  # a translation string: Chinese in the zh_CN catalogue

    def __bool__(self) -> bool:
        return self.ok


def normalise(raw: str) -> str:
    folded = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"\s+", "", folded).upper()


def credit_check_character(first17: str) -> str:
    total = sum(CREDIT_ALPHABET.index(ch) * w for ch, w in zip(first17, CREDIT_WEIGHTS))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def check_credit_code(raw: str) -> CodeCheck:
    code = normalise(raw)
    if len(code) != 18:
        return CodeCheck(False, code, _("A credit code has 18 characters, not ${n}",
                                        mapping={"n": len(code)}))
    bad = sorted({ch for ch in code if ch not in CREDIT_ALPHABET})
    if bad:
        return CodeCheck(False, code, _("Characters not allowed in a credit code: ${chars} "
                                        "(I, O, S, V and Z are never used)",
                                        mapping={"chars": " ".join(bad)}))
    expected = credit_check_character(code[:17])
    if code[17] != expected:
        return CodeCheck(False, code, _("Wrong check character: the 18th should be ${c}",
                                        mapping={"c": expected}))
    return CodeCheck(True, code)


def check_division_code(raw: str) -> CodeCheck:
    code = normalise(raw)
    if not re.fullmatch(r"\d{6}", code):
        return CodeCheck(False, code, _("A division code has 6 digits (GB/T 2260)"))
    if code[:2] not in PROVINCE_PREFIXES:
        return CodeCheck(False, code, _("${prefix} is not a province-level division prefix",
                                        mapping={"prefix": code[:2]}))
    return CodeCheck(True, code)


# -- document numbers (发文字号) -------------------------------------------------------------------

_DOC_NUMBER = re.compile(r"^(?P<agency>[\u4e00-\u9fff]{1,16})〔(?P<year>(19|20)\d{2})〕(?P<seq>[1-9]\d{0,4})号$")
_LOOSE = re.compile(
    r"^(?P<agency>[\u4e00-\u9fff]{1,16})\s*[\[【(（［〔]\s*(?P<year>\d{4})\s*[\]】)）］〕]\s*第?\s*(?P<seq>\d{1,5})\s*号?$")


def check_doc_number(raw: str) -> CodeCheck:
    """机关代字〔年份〕序号号, e.g. 皖政办〔2017〕69号: year in 〔〕 (U+3014/U+3015), no zero
    padding, no 第.  Wrong brackets are refused with the corrected number as a hint —
    never silently fixed, since the number must match the paper original."""
    text = (raw or "").strip()
    if _DOC_NUMBER.match(text):
        return CodeCheck(True, text)
    loose = _LOOSE.match(text)
    if loose:
        fixed = f"{loose['agency']}〔{loose['year']}〕{int(loose['seq'])}号"
        return CodeCheck(False, text, _("Write the document number as ${fixed} (the year in 〔〕, "
                                        "no zero padding, no 第)", mapping={"fixed": fixed}))
    return CodeCheck(False, text, _("A document number reads like 皖政办〔2017〕69号"))
