"""Canonical URLs and article identity keys: the cheapest dedup layer.

The same story reaches newsmon under many URLs: with ``utm_*`` or ``fbclid``
added by whoever shared it, with a port or a fragment, with upper-case hosts, or
under another section path of the same outlet (Trend serves one numeric id under
several paths). ``canonicalize_url`` reduces those to one string, and
``identity_key`` reduces an outlet's article URL to the id the outlet itself uses.

w3lib does the percent-encoding work (IRI and percent-encoded forms of the same
Azerbaijani, Russian or Chinese path become one string; IDNA hosts; sorted
query), which is easy to get subtly wrong by hand. Tracking parameters are
removed here, because w3lib's ``url_query_cleaner`` only knows exact names and
trackers come in families (``utm_*``, ``pk_*``, ``mtm_*``...).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from tld import get_fld as _get_fld
from w3lib.url import canonicalize_url as _w3lib_canonicalize

#: Query parameters that say who shared a link, never which article it is.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "ysclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "igshid",
        "igsh",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "ncid",
        "ocid",
        "xtor",
        "_ga",
        "_gl",
        "spm",
        "scm",
        "cmpid",
        "cmp",
        "campaign",
        "s_cid",
        "soc_src",
        "soc_trk",
        "share",
        "sharesource",
        "sr_share",
        "rss",
        "from",
        "isappinstalled",
        "wfr",
        "_hsenc",
        "_hsmi",
        "hsctatracking",
        "mkt_tok",
        "rb_clickid",
        "oly_anon_id",
        "oly_enc_id",
        "__twitter_impression",
        "amp",
        "outputtype",
        "phpsessid",
        "sessionid",
        "jsessionid",
    }
)
#: Families of tracking parameters, matched on the lower-cased name.
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "piwik_", "matomo_", "at_", "hsa_", "vero_", "oly_")

#: Identity rules known without a profile: regex searched in ``host/path``; its
#: group(s) identify the article whatever the section path.
DEFAULT_IDENTITY_RULES: tuple[str, ...] = (r"trend\.az/.*?/(\d+)\.html$",)

_DEFAULT_PORTS = {"http": "80", "https": "443"}
_HOME_PATH = re.compile(
    r"^/?(?:[a-z]{2}(?:[-_][a-z]{2})?/?)?(?:(?:index|default|home|main)(?:\.\w{2,5})?/?)?$",
    re.IGNORECASE,
)
_PATH_PARAM = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)


def is_tracking_param(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def registrable_domain(url_or_host: str) -> str:
    """``en.trend.az`` -> ``trend.az`` (public-suffix aware); the host itself for IPs."""
    text = url_or_host if "//" in url_or_host else f"http://{url_or_host}"
    host = (urlsplit(text).hostname or "").lower().rstrip(".")
    return _get_fld(f"http://{host}/", fail_silently=True) or host


def _clean(url: str) -> str:
    """Lower-case scheme/host, drop default port, fragment and trackers, sort the query."""
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return url
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    port = parts.port if _safe_port(parts) else None
    netloc = host
    if parts.username:
        netloc = f"{parts.username}@{netloc}"  # kept: rare, but part of the address
    if port is not None and str(port) != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    path = _PATH_PARAM.sub("", parts.path) or "/"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking_param(k)
    ]
    rebuilt = urlunsplit((scheme, netloc, path, urlencode(query), ""))
    # w3lib: percent-encoding normalised (IRI == percent-encoded), IDNA host, sorted query.
    return _w3lib_canonicalize(rebuilt, keep_fragments=False)


def _safe_port(parts) -> bool:
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return False
    return True


def is_home_page(url: str) -> bool:
    """A site's front page (or an edition's): a canonical hint pointing there is a CMS bug."""
    parts = urlsplit(url)
    return not parts.query and bool(_HOME_PATH.match(parts.path or "/"))


def _trust_hint(url: str | None, hint: str, identity: Any) -> bool:
    if urlsplit(hint).scheme.lower() not in ("http", "https"):
        return False
    if is_home_page(hint):
        return False  # every page of some sites names the home page as canonical
    if url and identity:
        mine, theirs = identity_key(url, [identity]), identity_key(hint, [identity])
        if mine and mine != theirs:
            return False  # the hint names another article (or a listing) of the same site
    return True


def canonicalize_url(url: str, *, canonical_hint: str | None = None, identity: Any = None) -> str:
    """The one URL an article is known by.

    ``canonical_hint`` is the page's ``<link rel=canonical>``/``og:url`` (relative
    hints are resolved against ``url``); it is used unless it is the site's home
    page or not http(s). A hint on another registrable domain is trusted when it
    is absolute (syndicated copies name the original this way). ``identity`` is
    the site's identity rule (a regex, or a profile, see :func:`identity_key`): a
    hint whose identity differs from the URL's (another article, a listing) is
    ignored.
    """
    url = (url or "").strip()
    chosen = url
    if canonical_hint and canonical_hint.strip():
        hint = canonical_hint.strip()
        absolute = bool(urlsplit(hint).scheme)
        if not absolute:
            hint = urljoin(url, hint) if url else ""
        if hint and _trust_hint(url or None, hint, identity):
            chosen = hint
    if not chosen:
        return ""
    return _clean(chosen)


def _compile_rules(rules: Any):
    if not rules:
        return []
    if isinstance(rules, Mapping):
        return [(prefix, _compiled(p)) for prefix, p in rules.items()]
    return [(None, p if hasattr(p, "article_id") else _compiled(p)) for p in rules]


def default_identity_rules() -> list[Any]:
    """The built-in rules plus every site profile that declares an ``id_pattern``.

    A profile (``parsers.profiles.Profile``) is used as a rule as it is: its
    ``hosts`` say where it applies and its ``article_id(url)`` gives the id.
    """
    rules: list[Any] = list(DEFAULT_IDENTITY_RULES)
    try:
        from parsers.profiles import all_profiles

        rules += [p for p in all_profiles() if getattr(p, "id_pattern", None) and p.hosts]
    except Exception:  # noqa: BLE001 - a broken profile must not stop dedup
        pass
    return rules


_CACHE: dict[str, re.Pattern[str]] = {}


def _compiled(p: str | re.Pattern[str]) -> re.Pattern[str]:
    if isinstance(p, re.Pattern):
        return p
    if p not in _CACHE:
        _CACHE[p] = re.compile(p, re.IGNORECASE)
    return _CACHE[p]


def identity_key(url: str | None, rules: Any) -> str | None:
    """``https://en.trend.az/azerbaijan/politics/4085123.html`` -> ``trend.az:4085123``.

    A rule is a regex searched in ``host/path`` (no scheme, query or fragment);
    its named group ``id`` or else all its groups identify the article. The key is
    prefixed with the registrable domain, or with the mapping key when ``rules``
    is a mapping ``{prefix: regex}``. A site profile (an object with ``hosts`` and
    ``article_id(url)``) is a rule too.
    """
    if not url:
        return None
    parts = urlsplit(url.strip())
    if not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    target = f"{host}{parts.path}"
    for prefix, rx in _compile_rules(rules):
        if hasattr(rx, "article_id"):
            if host not in rx.hosts and not any(host.endswith("." + h) for h in rx.hosts):
                continue
            ident = rx.article_id(url.strip())
            if ident:
                return f"{prefix or registrable_domain(host)}:{ident}"
            continue
        m = rx.search(target)
        if not m:
            continue
        if "id" in rx.groupindex:
            ident = m.group("id")
        else:
            ident = "/".join(g for g in m.groups() if g) or m.group(0)
        if not ident:
            continue
        return f"{prefix or registrable_domain(parts.hostname)}:{ident}"
    return None
