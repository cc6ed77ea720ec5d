"""Translation: Chinese first, English on request.

Message ids are English (``_("Log in")``) and the zh_CN catalogue carries the
Chinese; the default locale is zh_CN, so a user sees Chinese unless they chose
English.  The choice is kept in the ``_LOCALE_`` cookie (set by ``/locale/en``).
colander ships only ``zh_Hans``; our own ``colander`` domain catalogue under
``locale/zh_CN`` covers its messages for Pyramid's ``zh_CN``.
"""
from pyramid.i18n import TranslationString, TranslationStringFactory, get_localizer
from pyramid.threadlocal import get_current_request

_ = TranslationStringFactory("xietong")

LOCALES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"
LOCALE_COOKIE = "_LOCALE_"


def locale_negotiator(request) -> str:
    chosen = request.cookies.get(LOCALE_COOKIE)
    return chosen if chosen in LOCALES else DEFAULT_LOCALE


def translate(localizer, message) -> str:
    """Translate ``message``, and the translation strings inside its mapping too.

    A mapping value may itself be a translation string (a role's title), or a list
    of them, joined with the locale's enumeration comma (、 in Chinese).
    """
    if not isinstance(message, TranslationString) or not message.mapping:
        return localizer.translate(message) if isinstance(message, TranslationString) else str(message)
    comma = "、" if localizer.locale_name.startswith("zh") else ", "
    mapping = {}
    for key, value in message.mapping.items():
        if isinstance(value, (list, tuple)):
            value = comma.join(translate(localizer, item) for item in value)
        elif isinstance(value, TranslationString):
            value = translate(localizer, value)
        mapping[key] = value
    return localizer.translate(TranslationString(message, mapping=mapping))


def deform_translator(term):
    """deform/colander call this while rendering; it uses the current request's locale."""
    request = get_current_request()
    if request is None:
        return term
    return translate(get_localizer(request), term)


def includeme(config):
    config.set_locale_negotiator(locale_negotiator)
    config.add_translation_dirs("colander:locale/", "deform:locale/", "xietong:locale/")
