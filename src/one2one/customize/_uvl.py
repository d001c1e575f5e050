"""Read Universal Variability Language (UVL) feature models into a :class:`ProductModel`.

UVL is the exchange format of the product-line community (Sundermann et
al., 2021): an indented feature tree of groups, cross-tree constraints, and
attributes in braces. This reader is a single pass over the lines, which
loads the public benchmark models in milliseconds (the ANTLR-based
reference parser takes seconds to minutes on the larger ones).

Supported: namespaces, the feature tree, ``mandatory``, ``optional``,
``alternative``, ``or`` and ``[n..m]`` groups, feature cardinalities
``cardinality [n..m]`` (read as counted options, 0 copies meaning left out),
``abstract`` and numeric or text attributes, propositional constraints, and
``sum(attribute) op number`` constraints. Typed features (``Integer``,
``String``) are read as on/off options.
Other arithmetic constraints are refused with the line named, or skipped
when asked (``skip_unsupported=True``; the skipped text is returned).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import DataContractError
from ._model import Comparison, Group, GroupKind, LinearRule, Option, ProductModel, Rule

__all__ = ["load_uvl", "read_uvl"]

_GROUPS: dict[str, GroupKind] = {
    "mandatory": "mandatory",
    "optional": "optional",
    "alternative": "alternative",
    "or": "or",
}
_CARDINALITY = re.compile(r"^\[\s*(\d+)\s*(?:\.\.\s*(\d+|\*)\s*)?\]$")
_FEATURE = re.compile(
    r'^(?:(?:Boolean|Integer|Real|String)\s+)?("(?:[^"]*)"|[^\s{"]+)\s*'
    r"(?:cardinality\s*\[\s*(\d+)\s*(?:\.\.\s*(\d+|\*)\s*)?\]\s*)?(\{.*\})?\s*$"
)
_SUM = re.compile(r"^sum\(\s*([\w.]+)\s*\)\s*(<=|>=|==|<|>)\s*(-?\d+(?:\.\d+)?)$")
_ARITHMETIC = re.compile(r"(<=|>=|==|(?<![=<])<(?![=>])|(?<![=-])>|\bsum\(|\+|\*|\blen\()")


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
                msg = f"line {line_number}: attribute {key!r} has an unreadable value {raw!r}."
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
            low = int(cardinality.group(1))
            top = cardinality.group(2)
            high = low if top is None else (None if top == "*" else int(top))
            kind = "cardinality"
        self.groups.append(Group(str(parent[2]), kind or "optional", ("?",), low, high))
        self.children.append([])
        self.stack.append((indent, "group", len(self.groups) - 1))

    def feature(self, body: str, indent: int, number: int) -> None:
        match = _FEATURE.match(body)
        if match is None:
            msg = f"line {number}: cannot read the feature {body!r}."
            raise DataContractError(msg, column="feature", value=body, row=number)
        feature = _unquote(match.group(1))
        abstract, attributes = _parse_attributes(match.group(4), number)
        domain = self._cardinality(feature, match.group(2), match.group(3), number)
        option = Option(feature, abstract=abstract, attributes=attributes, domain=domain)
        self.options.append(option)
        if self.stack:
            _, kind, payload = self.stack[-1]
            if kind != "group":
                msg = f"line {number}: feature {feature!r} must sit under a group keyword."
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
            text = f"line {number}: feature {feature!r} has an unbounded cardinality [{low}..*]"
            if not self.skip_unsupported:
                msg = f"{text}; pass skip_unsupported=True to read it as an on/off option."
                raise DataContractError(msg, column="feature", value=feature, row=number)
            self.skipped.append(f"{text} (read as an on/off option)")
            return None
        if int(top) <= 1:
            return None
        return (max(1, int(low)), int(top))

    def constraint(self, constraint: str, number: int) -> None:
        total = _SUM.match(constraint.replace(" ", "")) if "sum(" in constraint else None
        if total is not None:
            comparison: Comparison = total.group(2)  # type: ignore[assignment]
            rule = LinearRule(f"line {number}", total.group(1), comparison, float(total.group(3)))
            self.linear.append(rule)
        elif _ARITHMETIC.search(constraint.replace("<=>", "").replace("=>", "")):
            if not self.skip_unsupported:
                msg = (
                    f"line {number}: the arithmetic constraint {constraint!r} is not "
                    "supported; pass skip_unsupported=True to load the model without it."
                )
                raise DataContractError(msg, column="constraint", value=constraint, row=number)
            self.skipped.append(constraint)
        else:
            try:
                self.rules.append(Rule(f"line {number}: {constraint}", constraint))
            except DataContractError as error:
                msg = f"line {number}: {error}"
                raise DataContractError(
                    msg, column="constraint", value=constraint, row=number
                ) from None

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
    reader: _Reader | None = None
    section = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("//", 1)[0].rstrip()
        if not line.strip():
            continue
        indent = _indent(line)
        body = line.strip()
        if indent == 0:
            words = body.split()
            section = words[0]
            if section == "namespace" and len(words) > 1:
                name = words[1]
            if reader is None or section == "features":
                reader = reader or _Reader(name, skip_unsupported=skip_unsupported)
                reader.name = name
            reader.stack = []
            continue
        if reader is None:
            msg = f"line {number}: {body!r} comes before any 'features' section."
            raise DataContractError(msg, column="uvl", value=body, row=number)
        reader.line(section, indent, body, number)
    if reader is None or not reader.options:
        msg = "the UVL text has no features."
        raise DataContractError(msg, column="uvl")
    return reader.model(), reader.skipped


def load_uvl(path: str | Path, *, skip_unsupported: bool = False) -> ProductModel:
    """Read a ``.uvl`` file into a :class:`ProductModel` (see :func:`read_uvl`)."""
    file = Path(path)
    model, _ = read_uvl(
        file.read_text(encoding="utf-8"), name=file.stem, skip_unsupported=skip_unsupported
    )
    return model
