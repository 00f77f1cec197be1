"""The strings the mock accepts, as regular expressions: the server applies them and the OpenAPI
document publishes them, so a value the document allows is one the server takes, and the other
way round. Every rule a field has is here or in the document's enums, none only in code.

The expressions are written in what Python's `re` and ECMA-262 (JSON Schema's dialect) read
alike: no inline flags, no lookbehind; letters in either case are spelt `[aA]`.

- Text: valid Unicode without control characters (tab, newline and carriage return aside), at
  least one character that is not whitespace, and at most as many words as the price table's
  last tier bills (whitespace is exactly what Python's `str.split` splits on).
- URLs: `http` or `https`, a host that is a DNS-style name whose last label starts with a letter,
  a dotted-quad IPv4 address or a bracketed IPv6 address, an optional port up to 65535, and a
  path, query and fragment in visible ASCII (percent-encode the rest), with no `.` or `..` path
  segment and no encoded `/`. Names like `127.1`, `0x7f.1` or `2130706433`, which a C library
  reads as addresses, are not hosts here: an address is written as one.
- `audioUrl`'s `?duration=N` (the mock cannot fetch the audio): the first query parameter named
  exactly `duration` is a decimal number of seconds, rounded to the nearest tenth (halves up),
  that must come to at least 0.1 s and at most the price table's last tier.
- `webhookUrl`: not this server itself (a local host on one of its ports), not a path under
  `/_mock`, not a cloud metadata service (a link-local address, another address or a name such a
  service uses, an IPv4 one also written as an IPv4-mapped IPv6 address) unless `--webhook-allow`
  names that host exactly (a pattern without wildcards), and, with `--webhook-allow`, a host it names.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

END = "(?![\\s\\S])"
"""The end of the string: `$` also matches before a final newline in Python's `re`."""
_SPACE_CLASS = "[\\t\\n\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
"""What `str.split` splits on, less the control characters no text may hold."""
_WORD_CHAR = "[^\\u0000-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"


@lru_cache(maxsize=8)
def text_pattern(max_words: int) -> str:
    words = f"{_WORD_CHAR}+(?:{_SPACE_CLASS}+{_WORD_CHAR}+){{0,{max_words - 1}}}"
    return f"^{_SPACE_CLASS}*{words}{_SPACE_CLASS}*{END}"


# URLs

_SCHEME = "[hH][tT][tT][pP][sS]?"
_LABEL = "[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?"
_LAST_LABEL = "[A-Za-z_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?"
_NAME = f"(?:{_LABEL}\\.)*{_LAST_LABEL}"
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = f"{_OCTET}(?:\\.{_OCTET}){{3}}"
_H16 = "[0-9A-Fa-f]{1,4}"
_LS32 = f"(?:{_H16}:{_H16}|{_IPV4})"
_IPV6 = "(?:" + "|".join([
    f"(?:{_H16}:){{6}}{_LS32}",
    f"::(?:{_H16}:){{5}}{_LS32}",
    f"(?:{_H16})?::(?:{_H16}:){{4}}{_LS32}",
    f"(?:(?:{_H16}:){{0,1}}{_H16})?::(?:{_H16}:){{3}}{_LS32}",
    f"(?:(?:{_H16}:){{0,2}}{_H16})?::(?:{_H16}:){{2}}{_LS32}",
    f"(?:(?:{_H16}:){{0,3}}{_H16})?::{_H16}:{_LS32}",
    f"(?:(?:{_H16}:){{0,4}}{_H16})?::{_LS32}",
    f"(?:(?:{_H16}:){{0,5}}{_H16})?::{_H16}",
    f"(?:(?:{_H16}:){{0,6}}{_H16})?::",
]) + ")"
_HOST = f"(?:{_NAME}|{_IPV4}|\\[{_IPV6}\\])"
_PORT = "(?::(?:[0-9]{0,4}|[0-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?"
_DOT_SEGMENT = f"(?:\\.|%2[eE]){{1,2}}(?:[/?#]|{END})"
_PATH_CHAR = "(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%(?![2][fF])[0-9A-Fa-f]{2})"
_PATH = f"(?:/(?!{_DOT_SEGMENT}){_PATH_CHAR}*)*"
_QUERY_CHAR = "[!-\"$-~]"  # visible ASCII but `#`
_QUERY = f"(?:\\?{_QUERY_CHAR}*)?"
_FRAGMENT = "(?:#[!-~]*)?"
URL = f"^{_SCHEME}://{_HOST}{_PORT}{_PATH}{_QUERY}{_FRAGMENT}{END}"

_PARTS = re.compile(r"(?P<scheme>[^:/?#]*)://(?P<authority>[^/?#]*)(?P<path>[^?#]*)(?P<rest>.*)", re.DOTALL)


def url_problem(url: str) -> str | None:
    """What keeps `url` from matching URL, in words (None when it matches)."""
    if matches(URL, url):
        return None
    if any(not "!" <= c <= "~" for c in url):
        return "must be visible ASCII (percent-encode spaces and anything else)"
    parts = _PARTS.fullmatch(url)
    if parts is None or not matches(f"^{_SCHEME}{END}", parts["scheme"]):
        return "must start with http:// or https://"
    authority = parts["authority"]
    if "@" in authority:
        return "must not contain credentials"
    host, port = (authority.split("]", 1)[0] + "]", authority.split("]", 1)[1]) if authority.startswith("[") \
        else (authority.partition(":")[0], authority[len(authority.partition(":")[0]):])
    if not matches(f"^{_HOST}{END}", host):
        return (f"has a host, {host!r}, that is neither a name whose last label starts with a letter, a dotted "
                "IPv4 address written in full (127.0.0.1), nor a bracketed IPv6 address")
    if not matches(f"^{_PORT}{END}", port):
        return "has a port that is not a number from 0 to 65535"
    if not matches(f"^{_PATH}{END}", parts["path"]):
        return "has a path with a '.' or '..' segment, an encoded '/' (%2F) or a '%' that starts no escape"
    return "is not a URL the mock accepts"


# audioUrl: the duration hint

_PAIR = "[!-\"$-%'-~]*"  # a query parameter: visible ASCII but `#` and `&`
_NOT_DURATION = f"(?!duration(?:[=&#]|{END}))"


def _int_range(lo: int, hi: int) -> str:
    """Decimal integers from `lo` to `hi`, written without leading zeros."""
    parts: list[str] = []
    for length in range(len(str(lo)), len(str(hi)) + 1):
        a, b = max(lo, 10 ** (length - 1) if length > 1 else 0), min(hi, 10**length - 1)
        if a <= b:
            parts += _same_length(str(a), str(b))
    return "(?:" + "|".join(parts) + ")"


def _same_length(a: str, b: str) -> list[str]:
    if a == b:
        return [a]
    if set(a) == {"0"} and set(b) == {"9"}:
        return [f"[0-9]{{{len(a)}}}"]
    if len(a) == 1:
        return [f"[{a}-{b}]"]
    if a[0] == b[0]:
        return [a[0] + "(?:" + "|".join(_same_length(a[1:], b[1:])) + ")"]
    rest = len(a) - 1
    out = [a[0] + "(?:" + "|".join(_same_length(a[1:], "9" * rest)) + ")"]
    if int(b[0]) - int(a[0]) > 1:
        out.append(f"[{int(a[0]) + 1}-{int(b[0]) - 1}][0-9]{{{rest}}}")
    out.append(b[0] + "(?:" + "|".join(_same_length("0" * rest, b[1:])) + ")")
    return out


def tenths_pattern(most: int) -> str:
    """A decimal number of seconds (leading zeros, a bare `.5` or `5.` allowed) that rounds, to the
    nearest tenth with halves up, to between 1 and `most` tenths. With `k` the number cut after
    its first decimal (in tenths) and a round-up when the second decimal is 5 or more: `k` from 1
    to most-1, or `k` = most without a round-up, or `k` = 0 with one."""
    alternatives = []
    whole, tenth = divmod(most - 1, 10)  # the largest k that may round up
    if whole >= 2:
        alternatives.append(f"{_int_range(1, whole - 1)}(?:\\.[0-9]*)?")
    if whole >= 1:
        alternatives.append(f"{whole}(?:\\.(?:[0-{tenth}][0-9]*)?)?")
    last_whole, last_tenth = divmod(most, 10)
    if last_whole >= 1:
        if last_tenth == 0:
            alternatives.append(f"{last_whole}(?:\\.(?:0(?:[0-4][0-9]*)?)?)?")
        else:
            alternatives.append(f"{last_whole}\\.{last_tenth}(?:[0-4][0-9]*)?")
    else:
        alternatives.append(f"\\.{last_tenth}(?:[0-4][0-9]*)?")
    top = min(9, most - 1) if whole == 0 else 9
    if whole == 0 and top >= 1:
        alternatives.append(f"\\.[1-{top}][0-9]*")
    elif whole >= 1:
        alternatives.append("\\.[1-9][0-9]*")
    alternatives.append("\\.0[5-9][0-9]*")
    return "0*(?:" + "|".join(alternatives) + ")"


@lru_cache(maxsize=8)
def audio_url_pattern(most_tenths: int) -> str:
    """URL, whose first query parameter named `duration` (if any) is a hint within the table."""
    hint = f"duration={tenths_pattern(most_tenths)}(?:&[!-\"$-~]*)?"
    query = f"(?:\\?(?:{_NOT_DURATION}{_PAIR}&)*(?:{_NOT_DURATION}{_PAIR}|{hint}))?"
    return f"^{_SCHEME}://{_HOST}{_PORT}{_PATH}{query}{_FRAGMENT}{END}"


def duration_hint(url: str) -> str | None:
    """The raw value of the first query parameter named exactly `duration`, if any."""
    query = url.partition("#")[0].partition("?")[2]
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name == "duration":
            return value
    return None


_DECIMAL = re.compile(r"[0-9]+\.?[0-9]*|\.[0-9]+")


def hint_seconds(value: str) -> float | None:
    """The hint rounded to the nearest tenth (halves up), or None if it is not a decimal number."""
    if not _DECIMAL.fullmatch(value):
        return None
    try:
        return float(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    except InvalidOperation:
        return None


# webhookUrl: where a delivery may not go

_AUTHORITY_END = f"(?:[/?#]|{END})"
_LOOPBACK_V6 = "\\[[0:]*(?::0{0,3}1|:0\\.0\\.0\\.1)\\]"
_UNSPECIFIED_V6 = "\\[[0:]*(?:0\\.0\\.0\\.0)?\\]"
_MAPPED_LOCAL_V6 = (f"\\[[0:]*:[fF]{{4}}:(?:127\\.{_OCTET}\\.{_OCTET}\\.{_OCTET}|0\\.0\\.0\\.0"
                    f"|7[fF][0-9A-Fa-f]{{2}}:{_H16}|0{{1,4}}:0{{1,4}})\\]")
_LOCAL_HOSTS = [
    f"(?:{_LABEL}\\.)*" + "".join(f"[{c}{c.upper()}]" for c in "localhost"),
    f"127\\.{_OCTET}\\.{_OCTET}\\.{_OCTET}", "0\\.0\\.0\\.0", _LOOPBACK_V6, _UNSPECIFIED_V6, _MAPPED_LOCAL_V6,
]
CONTROL_PATH = (f"^{_SCHEME}://[^/?#]*/+(?:_|%5[fF])(?:m|%6[dD])(?:o|%6[fF])(?:c|%63)(?:k|%6[bB])"
                f"{_AUTHORITY_END}")
DEFAULT_PORTS = {"http": 80, "https": 443}
METADATA_NAMES = (
    "metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal",
    "metadata.azure.internal", "metadata.tencentyun.com", "metadata.platformequinix.com",
)
"""Names cloud providers give their instance metadata services."""


def _ipv4_or_mapped(dotted: str, low_groups: str) -> str:
    """An IPv4 host (`dotted`) as itself or in brackets as an IPv4-mapped IPv6 address, its low
    32 bits dotted or as two groups (`low_groups`)."""
    return f"(?:{dotted}|\\[[0:]*:[fF]{{4}}:(?:{dotted}|{low_groups})\\])"


_METADATA_HOSTS = [
    # Link-local, where 169.254.169.254 (AWS, GCP, Azure, ...) and 169.254.170.2 (AWS ECS) live.
    _ipv4_or_mapped(f"169\\.254\\.{_OCTET}\\.{_OCTET}", f"[aA]9[fF][eE](?::{_H16}|::)"),
    "\\[[fF][eE][89aAbB][0-9A-Fa-f]:[^\\]]*\\]",
    _ipv4_or_mapped("100\\.100\\.100\\.200", "6464:64[cC]8"),  # Alibaba Cloud
    _ipv4_or_mapped("192\\.0\\.0\\.192", "[cC]000:0{0,2}[cC]0"),  # Oracle Cloud (classic)
    "\\[[fF][dD]00:0?[eE][cC]2:[0:]*(?:0?254|0{0,2}23)\\]",  # AWS over IPv6: fd00:ec2::254 and ::23
]


def named_exactly(patterns: tuple[str, ...]) -> tuple[str, ...]:
    """The `--webhook-allow` patterns without wildcards, lowercase: hosts named as they are written."""
    return tuple(p.lower() for p in patterns if not any(c in p for c in "*?["))


def metadata_pattern(patterns: tuple[str, ...]) -> str:
    """A URL whose host is a cloud metadata service, unless `--webhook-allow` names that very host."""
    hosts = "|".join([*_METADATA_HOSTS, *(_either_case(n) for n in METADATA_NAMES)])
    spared = "|".join(_own_host(n) for n in named_exactly(patterns))
    guard = f"(?!(?:{spared}){_PORT}{_AUTHORITY_END})" if spared else ""
    return f"^{_SCHEME}://{guard}(?:{hosts}){_PORT}{_AUTHORITY_END}"


def literal(text: str) -> str:
    """`text` matched as it is (the characters ECMA-262 lets one escape, escaped)."""
    return "".join("\\" + c if c in "^$\\.*+?()[]{}|/" else c for c in text)


def _either_case(text: str) -> str:
    """Case-blind as `str.lower()` compares: the Kelvin sign lowers to `k`."""
    out = []
    for c in text:
        if c.lower() == "k":
            out.append("[kK\\u212a]")
        elif c.isalpha() and c.lower() != c.upper():
            out.append(f"[{c.lower()}{c.upper()}]")
        else:
            out.append(literal(c))
    return "".join(out)


def language_pattern(tags: list[str]) -> str:
    """A `language` that suits a voice of one of these BCP 47 tags: the tag, or its primary
    subtag (`en` suits `en-US`), in either case."""
    spelt = []
    for tag in sorted(set(tags)):
        primary, _, rest = tag.partition("-")
        spelt.append(_either_case(primary) + (f"(?:{_either_case('-' + rest)})?" if rest else ""))
    return f"^(?:{'|'.join(spelt)}){END}"


MAX_IDEMPOTENCY_KEY = 255
IDEMPOTENCY_KEY = f"^[ \\t]*[!-~](?:[ -~]{{0,{MAX_IDEMPOTENCY_KEY - 2}}}[!-~])?[ \\t]*{END}"
"""1 to MAX_IDEMPOTENCY_KEY visible ASCII characters, spaces inside allowed; spaces and tabs at either end are no
part of it (HTTP drops them)."""


def _own_host(host: str) -> str:
    """A name or address the server goes by, as a URL writes it (an IPv6 address in brackets)."""
    return f"\\[{_either_case(host)}\\]" if ":" in host else _either_case(host)


def self_pattern(hosts: frozenset[str], ports: frozenset[int]) -> str:
    """A URL naming this server: a local host (any spelling the URL grammar allows) or one of
    its own names, on one of its ports (a missing or zero port being the scheme's default)."""
    host = "(?:" + "|".join([*_LOCAL_HOSTS, *(_own_host(h) for h in sorted(hosts))]) + ")"
    alternatives = []
    for scheme, default in DEFAULT_PORTS.items():
        listed = "|".join(str(p) for p in sorted(ports))
        port = f"(?::0*(?:{listed}))" if listed else "(?!)"
        if default in ports:
            port = f"(?:{port}|(?::0*)?)"
        alternatives.append(f"{_either_case(scheme)}://{host}{port}{_AUTHORITY_END}")
    return "^(?:" + "|".join(alternatives) + ")"


def _glob(pattern: str, any_char: str) -> str:
    """An fnmatch pattern (`*`, `?`, `[seq]`, `[!seq]`) as a case-blind expression."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        end = pattern.find("]", i + 2) if c == "[" else -1
        if c == "*":
            out.append(f"{any_char}*")
        elif c == "?":
            out.append(any_char)
        elif end != -1:
            body = pattern[i + 1:end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            body = "".join("\\" + ch if ch in "\\^[]" else ch for ch in body)
            out.append(f"[{'^' if negate else ''}{body}{body.upper() if body.upper() != body else ''}]")
            i = end
        else:
            out.append(_either_case(c))
        i += 1
    return "".join(out)


_NAME_CHAR = "[^:/?#\\[\\]@]"
_BRACKETED_CHAR = "[^\\]/?#@]"


def allowed_hosts_pattern(patterns: tuple[str, ...]) -> str:
    """A URL whose host one of `--webhook-allow`'s patterns names (as `fnmatch` compares them)."""
    hosts = []
    for p in patterns:
        p = p.lower()
        hosts.append(_glob(p, _NAME_CHAR))
        hosts.append("\\[" + _glob(p, _BRACKETED_CHAR) + "\\]")
    return f"^{_SCHEME}://(?:{'|'.join(hosts)}){_PORT}{_AUTHORITY_END}"


def matches(pattern: str, value: str) -> bool:
    return _compiled(pattern).search(value) is not None


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
