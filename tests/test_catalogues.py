"""The gettext catalogues under src/xietong/locale are complete and compiled.

These tests fail when a step of the translation workflow was forgotten
(run from the project root):

    pybabel extract -F babel.cfg -k _ --no-location --sort-output --project xietong \\
        -o src/xietong/locale/xietong.pot src/xietong
    pybabel update -D xietong -i src/xietong/locale/xietong.pot -d src/xietong/locale
    (translate the new zh_CN entries; leave none fuzzy)
    pybabel compile -D xietong -d src/xietong/locale -l zh_CN
    pybabel compile -D xietong -d src/xietong/locale -l en
    pybabel compile -D colander -d src/xietong/locale -l zh_CN

The compiled .mo files are committed, so they must match their .po files.
"""
import gettext
import re
from io import BytesIO
from pathlib import Path

import colander
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE_DIR = ROOT / "src" / "xietong" / "locale"
POT = LOCALE_DIR / "xietong.pot"

# (domain, locale) of every catalogue that is shipped as .po + .mo
CATALOGUES = [("xietong", "zh_CN"), ("xietong", "en"), ("colander", "zh_CN")]
# catalogues that must translate every message
TRANSLATED = [("xietong", "zh_CN"), ("colander", "zh_CN")]

PLACEHOLDER = re.compile(r"\$\{[^}]*\}")


def _po_path(domain, locale):
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po"


def _mo_path(domain, locale):
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.mo"


def _read_po(path):
    with open(path, "rb") as f:
        return read_po(f)


def _ids(catalog):
    return {m.id for m in catalog if m.id}


def _single(value):
    """A message's singular form (plural messages carry tuples)."""
    return value[0] if isinstance(value, (tuple, list)) else value


def test_template_is_up_to_date_with_the_sources():
    """Every message marked in the code and templates is in xietong.pot (re-extract if not)."""
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    extracted = {msg for _fn, _line, msg, _comments, _ctx in extract_from_dir(
        str(ROOT / "src" / "xietong"), method_map, options_map, keywords=DEFAULT_KEYWORDS)}
    template = _ids(_read_po(POT))
    assert extracted - template == set(), "marked in the code but missing from xietong.pot"
    assert template - extracted == set(), "in xietong.pot but no longer in the code"


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_xietong_po_has_exactly_the_template_messages(locale):
    """pybabel update was run after the last extraction."""
    template = _ids(_read_po(POT))
    catalogue = _ids(_read_po(_po_path("xietong", locale)))
    assert template - catalogue == set(), f"missing from {locale}/xietong.po"
    assert catalogue - template == set(), f"stale entries in {locale}/xietong.po"


def test_every_template_message_is_translated_into_chinese():
    template = _read_po(POT)
    catalogue = _read_po(_po_path("xietong", "zh_CN"))
    untranslated = []
    for message in template:
        if not message.id:
            continue
        entry = catalogue.get(message.id)
        strings = [] if entry is None else (
            entry.string if isinstance(entry.string, (tuple, list)) else [entry.string])
        if not strings or not all(strings):
            untranslated.append(_single(message.id))
    assert untranslated == []


def test_colander_template_is_fully_translated_into_chinese():
    colander_pot = Path(colander.__file__).parent / "locale" / "colander.pot"
    catalogue = _read_po(_po_path("colander", "zh_CN"))
    if colander_pot.exists():  # a newer colander may bring new messages
        missing = _ids(_read_po(colander_pot)) - _ids(catalogue)
        assert missing == set(), "colander messages missing from zh_CN/colander.po"
    assert [_single(m.id) for m in catalogue if m.id and not m.string] == []


@pytest.mark.parametrize("domain,locale", CATALOGUES)
def test_no_entry_is_fuzzy(domain, locale):
    """pybabel compile leaves fuzzy entries out of the .mo (the English would show)."""
    catalogue = _read_po(_po_path(domain, locale))
    assert not catalogue.fuzzy, "the header is marked fuzzy"
    assert [_single(m.id) for m in catalogue if m.id and m.fuzzy] == []


@pytest.mark.parametrize("domain,locale", TRANSLATED)
def test_header_is_simplified_chinese(domain, locale):
    catalogue = _read_po(_po_path(domain, locale))
    headers = dict(catalogue.mime_headers)
    assert headers.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"
    with open(_po_path(domain, locale), encoding="utf-8") as f:
        assert '"Language: zh_CN\\n"' in f.read()


@pytest.mark.parametrize("domain,locale", TRANSLATED)
def test_placeholders_are_kept(domain, locale):
    """Every ${name} of a msgid appears in its translation, and no other."""
    wrong = {}
    for message in _read_po(_po_path(domain, locale)):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, (tuple, list)) else [message.id]
        strings = message.string if isinstance(message.string, (tuple, list)) else [message.string]
        expected = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        for string in strings:
            found = set(PLACEHOLDER.findall(string))
            if found != expected:
                wrong[_single(message.id)] = (sorted(expected), string)
    assert wrong == {}


def _mo_catalog(fileobj):
    translations = gettext.GNUTranslations(fileobj)
    # the header entry ("") carries Generated-By etc.; compared separately via info()
    messages = {k: v for k, v in translations._catalog.items() if k != ""}
    return messages, translations.info()


@pytest.mark.parametrize("domain,locale", CATALOGUES)
def test_committed_mo_is_compiled_from_current_po(domain, locale):
    mo_path = _mo_path(domain, locale)
    assert mo_path.exists(), f"{mo_path.relative_to(ROOT)} missing: run pybabel compile"
    buf = BytesIO()
    write_mo(buf, _read_po(_po_path(domain, locale)))
    buf.seek(0)
    expected, expected_info = _mo_catalog(buf)
    with open(mo_path, "rb") as f:
        committed, committed_info = _mo_catalog(f)
    assert committed == expected, f"{mo_path.relative_to(ROOT)} is stale: run pybabel compile"
    for key in ("language", "plural-forms", "content-type"):
        assert committed_info.get(key) == expected_info.get(key), key


def test_colander_required_is_translated():
    translations = gettext.translation("colander", localedir=str(LOCALE_DIR), languages=["zh_CN"])
    assert translations.gettext("Required") == "必填"


def test_xietong_chinese_and_english_lookups():
    zh = gettext.translation("xietong", localedir=str(LOCALE_DIR), languages=["zh_CN"])
    assert zh.gettext("Log in") == "登录"
    assert zh.gettext("Unit") == "单位"
    en = gettext.translation("xietong", localedir=str(LOCALE_DIR), languages=["en"])
    assert en.gettext("Log in") == "Log in"
