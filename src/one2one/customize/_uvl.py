"""Read Universal Variability Language (UVL) feature models into a :class:`ProductModel`.

UVL is the exchange format of the product-line community (Sundermann et
al., 2021): an indented feature tree of groups, cross-tree constraints, and
attributes in braces. This reader is a single pass over the lines, which
loads the public benchmark models in milliseconds (the ANTLR-based
reference parser takes seconds to minutes on the larger ones).

Supported: namespaces, ``include`` declarations of language levels
(checked, then informational), the feature tree, ``mandatory``,
``optional``, ``alternative``, ``or`` and ``[n..m]`` groups, feature
cardinalities ``cardinality [n..m]`` (read as counted options, 0 copies
meaning left out), ``abstract`` and numeric or text attributes,
propositional constraints, and ``sum(attribute) op number`` constraints.
Typed features (``Integer``, ``String``) are read as on/off options.
Other arithmetic constraints are refused with the line named, or skipped
when asked (``skip_unsupported=True``; the skipped text is returned).

A UVL file is untrusted input, so reading one is linear in its size (no
pattern here can backtrack over a long line) and every problem is a
:class:`~one2one.errors.DataContractError` naming the line: ``imports`` of
other model files (not supported: merge the submodel into one file),
unknown sections, constraints nested deeper than 100 levels, numbers too
long to be a cardinality, and non-finite attributes (``nan``, ``inf``).
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

from ..errors import DataContractError, StorageError
from ._formula import Var, clip, read_rule
from ._model import Comparison, Group, GroupKind, LinearRule, Option, ProductModel, Rule, instance
from ._model import text as text_field

__all__ = ["load_uvl", "read_uvl"]

_GROUPS: dict[str, GroupKind] = {
    "mandatory": "mandatory",
    "optional": "optional",
    "alternative": "alternative",
    "or": "or",
}
# Possessive quantifiers (*+, ++) never give back what they matched, so no pattern
# here can backtrack quadratically over a long line of hostile input.
_CARDINALITY = re.compile(r"^\[\s*+(\d++)\s*+(?:\.\.\s*+(\d++|\*)\s*+)?\]$")
_TYPE = re.compile(r"(?:Boolean|Integer|Real|String)\s++(?=\S)")
_NAME = re.compile(r'[^\s{"]++')
_FEATURE_CARDINALITY = re.compile(
    r"cardinality\s*+\[\s*+(\d++)\s*+(?:\.\.\s*+(\d++|\*)\s*+)?\]\s*+"
)
_SPACE = re.compile(r"\s*+")
_SUM = re.compile(r"^sum\(\s*+([\w.]++)\s*+\)\s*+(<=|>=|==|<|>)\s*+(-?\d++(?:\.\d++)?)$")
_ARITHMETIC = re.compile(r"(<=|>=|==|(?<![=<])<(?![=>])|(?<![=-])>|\bsum\(|\+|\*|\blen\()")
_LEVEL = re.compile(r"^(?:Boolean|Arithmetic|Type)(?:\.(?:\*|[a-z][a-z-]*+))?$")
_SECTIONS = ("namespace", "include", "imports", "features", "constraints")
_DIGITS = 9
"""The longest number read as a cardinality (a billion copies is already far past any product)."""


def _whole(digits: str, number: int, what: str) -> int:
    if len(digits) > _DIGITS:
        msg = (
            f"line {number}: the {what} {clip(digits, 20)} is too large (at most {_DIGITS} digits)."
        )
        raise DataContractError(msg, column=what, value=clip(digits, 20), row=number)
    return int(digits)


def _feature_line(body: str) -> tuple[str, str | None, str | None, str | None] | None:
    """Split a feature line into name, cardinality bounds and attribute text, in linear time."""
    position = 0
    typed = _TYPE.match(body)
    if typed is not None:
        position = typed.end()
    if body.startswith('"', position):
        close = body.find('"', position + 1)
        if close < 0:
            return None
        name = body[position : close + 1]
        position = close + 1
    else:
        bare = _NAME.match(body, position)
        if bare is None:
            return None
        name = bare.group()
        position = bare.end()
    position = _SPACE.match(body, position).end()  # type: ignore[union-attr]
    low = high = None
    cardinality = _FEATURE_CARDINALITY.match(body, position)
    if cardinality is not None:
        low, high = cardinality.group(1), cardinality.group(2)
        position = cardinality.end()
    rest = body[position:]
    if rest and not (rest.startswith("{") and rest.endswith("}")):
        return None
    return name, low, high, rest or None


def _unquote(name: str) -> str:
    return name[1:-1] if name.startswith('"') and name.endswith('"') else name


def _parse_attributes(text: str | None, line_number: int) -> tuple[bool, dict[str, float | str]]:
    if not text:
        return False, {}
    abstract = False
    attributes: dict[str, float | str] = {}
    for part in _split_top(text.strip()[1:-1]):
        item = part.strip()
        if not item:
            continue
        if item == "abstract":
            abstract = True
            continue
        pieces = item.split(None, 1)
        key = _unquote(pieces[0])
        if len(pieces) == 1:
            attributes[key] = 1.0  # a bare attribute is a flag
            continue
        raw = pieces[1].strip()
        if raw in {"true", "false"}:
            attributes[key] = 1.0 if raw == "true" else 0.0
        elif raw.startswith(("'", '"')):
            attributes[key] = raw[1:-1]
        else:
            try:
                attributes[key] = float(raw)
            except ValueError:
                msg = (
                    f"line {line_number}: attribute {clip(key)!r} has an unreadable value "
                    f"{clip(raw)!r}."
                )
                raise DataContractError(
                    msg, column="attribute", value=raw, row=line_number
                ) from None
    return abstract, attributes


def _split_top(text: str) -> list[str]:
    """Split on commas outside quotes and braces."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _indent(line: str) -> int:
    expanded = line.replace("\t", "    ")
    return len(expanded) - len(expanded.lstrip(" "))


class _Reader:
    """One pass over the lines of a UVL file."""

    def __init__(self, name: str, *, skip_unsupported: bool) -> None:
        self.name = name
        self.skip_unsupported = skip_unsupported
        self.options: list[Option] = []
        self.groups: list[Group] = []
        self.children: list[list[str]] = []
        self.rules: list[Rule] = []
        self.linear: list[LinearRule] = []
        self.skipped: list[str] = []
        self.names: dict[str, Var] = {}
        # (indent, "feature", name) or (indent, "group", index into self.groups)
        self.stack: list[tuple[int, str, str | int]] = []

    def line(self, section: str, indent: int, body: str, number: int) -> None:
        if section == "features":
            while self.stack and self.stack[-1][0] >= indent:
                self.stack.pop()
            kind = _GROUPS.get(body)
            cardinality = _CARDINALITY.match(body)
            if kind is not None or cardinality is not None:
                self.group(body, kind, cardinality, indent, number)
            else:
                self.feature(body, indent, number)
        elif section == "constraints":
            self.constraint(body, number)

    def group(
        self,
        body: str,
        kind: GroupKind | None,
        cardinality: re.Match[str] | None,
        indent: int,
        number: int,
    ) -> None:
        parent = self.stack[-1] if self.stack else None
        if parent is None or parent[1] != "feature":
            msg = f"line {number}: group {body!r} is not under a feature."
            raise DataContractError(msg, column="group", value=body, row=number)
        low: int | None = None
        high: int | None = None
        if cardinality is not None:
            low = _whole(cardinality.group(1), number, "cardinality")
            top = cardinality.group(2)
            high = (
                low if top is None else (None if top == "*" else _whole(top, number, "cardinality"))
            )
            kind = "cardinality"
        self.groups.append(Group(str(parent[2]), kind or "optional", ("?",), low, high))
        self.children.append([])
        self.stack.append((indent, "group", len(self.groups) - 1))

    def feature(self, body: str, indent: int, number: int) -> None:
        parts = _feature_line(body)
        if parts is None:
            msg = f"line {number}: cannot read the feature {clip(body)!r}."
            raise DataContractError(msg, column="feature", value=body, row=number)
        feature = _unquote(parts[0])
        abstract, attributes = _parse_attributes(parts[3], number)
        domain = self._cardinality(feature, parts[1], parts[2], number)
        try:
            option = Option(feature, abstract=abstract, attributes=attributes, domain=domain)
        except DataContractError as error:
            msg = f"line {number}: feature {clip(feature)!r}: {error}"
            raise DataContractError(
                msg, column=error.column, value=error.value, row=number
            ) from error
        self.options.append(option)
        if self.stack:
            _, kind, payload = self.stack[-1]
            if kind != "group":
                msg = f"line {number}: feature {clip(feature)!r} must sit under a group keyword."
                raise DataContractError(msg, column="feature", value=feature, row=number)
            self.children[int(payload)].append(feature)
        self.stack.append((indent, "feature", feature))

    def _cardinality(
        self, feature: str, low: str | None, high: str | None, number: int
    ) -> tuple[int, int] | None:
        """Turn a feature cardinality ``[n..m]`` into a counted option (0 copies: left out)."""
        if low is None:
            return None
        top = low if high is None else high
        if top == "*":
            text = (
                f"line {number}: feature {clip(feature)!r} has an unbounded cardinality [{low}..*]"
            )
            if not self.skip_unsupported:
                msg = f"{text}; pass skip_unsupported=True to read it as an on/off option."
                raise DataContractError(msg, column="feature", value=feature, row=number)
            self.skipped.append(f"{text} (read as an on/off option)")
            return None
        most = _whole(top, number, "cardinality")
        if most <= 1:
            return None
        return (max(1, _whole(low, number, "cardinality")), most)

    def constraint(self, constraint: str, number: int) -> None:
        total = _SUM.match(constraint.replace(" ", "")) if "sum(" in constraint else None
        if total is not None:
            comparison: Comparison = total.group(2)  # type: ignore[assignment]
            rule = LinearRule(f"line {number}", total.group(1), comparison, float(total.group(3)))
            self.linear.append(rule)
        elif _ARITHMETIC.search(constraint.replace("<=>", "").replace("=>", "")):
            if not self.skip_unsupported:
                msg = (
                    f"line {number}: the arithmetic constraint {clip(constraint)!r} is not "
                    "supported; pass skip_unsupported=True to load the model without it."
                )
                raise DataContractError(msg, column="constraint", value=constraint, row=number)
            self.skipped.append(constraint)
        else:
            try:
                formula = read_rule(constraint, self.names)
                self.rules.append(Rule(f"line {number}: {clip(constraint, 200)}", formula))
            except DataContractError as error:
                msg = f"line {number}: {error}"
                raise DataContractError(
                    msg, column="constraint", value=constraint, row=number
                ) from error

    def model(self) -> ProductModel:
        groups = []
        for group, children in zip(self.groups, self.children, strict=True):
            if not children:
                msg = f"the group under {group.parent!r} has no features."
                raise DataContractError(msg, column="group", value=group.parent)
            groups.append(Group(group.parent, group.kind, children, group.low, group.high))
        return ProductModel(self.name, self.options, groups, self.rules, self.linear)


def read_uvl(
    text: str, *, name: str = "model", skip_unsupported: bool = False
) -> tuple[ProductModel, list[str]]:
    """Read UVL text; return the model and the constraints skipped as unsupported.

    Reading takes time linear in the length of the text, whatever its shape.
    UVL is the exchange format of the product-line community, so models from
    other tools (FeatureIDE, flamapy, the bundled ``load_feature_model``
    files) can be configured here.

    Parameters
    ----------
    text
        The model in the Universal Variability Language.
    name
        The product model's name.
    skip_unsupported
        Skip arithmetic constraints this reader cannot express (returning
        them) instead of refusing the model; a skipped constraint no longer
        restricts the configurations, so use it knowingly.

    Returns
    -------
    tuple of (ProductModel, list of str)
        The model, and the text of each constraint skipped (empty unless
        ``skip_unsupported``).

    Raises
    ------
    DataContractError
        Anything this reader does not support or cannot read, with the line
        named (``row``): imports, unknown sections, unreadable features or
        constraints, constraints nested too deep, non-finite attributes,
        and arithmetic constraints unless ``skip_unsupported``.

    Examples
    --------
    >>> model, skipped = read_uvl('''features
    ...     Pizza
    ...         mandatory
    ...             Dough
    ...         or
    ...             Cheese
    ...             Ham
    ... constraints
    ...     Ham => Cheese''')
    >>> [o.name for o in model.options], skipped
    (['Pizza', 'Dough', 'Cheese', 'Ham'], [])
    """
    instance(text, str, field="text")
    reader = _Reader(text_field(name, field="name", empty=False), skip_unsupported=skip_unsupported)
    section = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("//", 1)[0].rstrip()
        if not line.strip():
            continue
        indent = _indent(line)
        body = line.strip()
        if indent == 0:
            section = _section(body, number, reader)
            reader.stack = []
        elif section in {"features", "constraints"}:
            reader.line(section, indent, body, number)
        else:
            _declaration(section, body, number)
    if not reader.options:
        msg = "the UVL text has no features."
        raise DataContractError(msg, column="uvl")
    return reader.model(), reader.skipped


def _declaration(section: str, body: str, number: int) -> None:
    """Check a line of the include section; refuse imports and lines outside a section."""
    if section == "include":
        if _LEVEL.match(body) is None:
            msg = (
                f"line {number}: {clip(body)!r} is not a UVL language level "
                "(Boolean, Arithmetic or Type, optionally .level or .*)."
            )
            raise DataContractError(msg, column="include", value=body, row=number)
        return
    if section == "imports":
        msg = (
            f"line {number}: importing {clip(body)!r} from another model file is not "
            "supported; merge the imported model into this file."
        )
        raise DataContractError(msg, column="imports", value=body, row=number)
    where = f"the {section!r} header" if section else "any section"
    msg = f"line {number}: {clip(body)!r} is indented under {where}; nothing belongs there."
    raise DataContractError(msg, column="uvl", value=body, row=number)


def _section(body: str, number: int, reader: _Reader) -> str:
    """Read a section header (a line at indent 0), refusing anything unknown."""
    keyword, *words = body.split(maxsplit=1)
    rest = words[0] if words else ""
    if keyword not in _SECTIONS or bool(rest) != (keyword == "namespace"):
        msg = (
            f"line {number}: {clip(body)!r} is not a section header; UVL has "
            f"{', '.join(_SECTIONS)} (a namespace takes a name)."
        )
        raise DataContractError(msg, column="uvl", value=body, row=number)
    if keyword == "namespace":
        reader.name = _unquote(rest)
    return keyword


def _path(path: object) -> Path:
    if not isinstance(path, str | PathLike):
        msg = f"'path' must be a file path (got {path!r})."
        raise DataContractError(msg, column="path", value=path)
    return Path(path)


def load_uvl(path: str | Path, *, skip_unsupported: bool = False) -> ProductModel:
    """Read a ``.uvl`` file into a :class:`ProductModel` (see :func:`read_uvl`).

    Parameters
    ----------
    path
        The ``.uvl`` file (UTF-8); its stem names the model.
    skip_unsupported
        Skip arithmetic constraints this reader cannot express instead of
        refusing the model (see :func:`read_uvl`, which also returns them).

    Returns
    -------
    ProductModel
        The model.

    Raises
    ------
    StorageError
        The file cannot be read (missing, a directory, no permission) or is
        not UTF-8 text; ``path`` names it.
    DataContractError
        The text is not a model this reader supports (the line is named), or
        ``path`` is not a file path.
    """
    file = _path(path)
    try:
        data = file.read_bytes()
    except OSError as error:
        msg = f"cannot read the UVL file {str(file)!r}: {error.strerror or error}."
        raise StorageError(msg, path=str(file)) from error
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        msg = (
            f"the UVL file {str(file)!r} is not UTF-8 text (byte {error.start} is "
            f"{data[error.start : error.start + 1]!r}); save it as UTF-8."
        )
        raise StorageError(msg, path=str(file)) from error
    model, _ = read_uvl(text, name=file.stem or "model", skip_unsupported=skip_unsupported)
    return model
