"""A JavaScript module's text with what the language ignores taken out: comments,
indentation, line breaks and spaces that no two tokens need between them.

Why: every widget carries its loader (:func:`ipyanimagic.esm.player_loader_esm`) in its
``comm_open``, so ten players on a slow link carry it ten times; there is no bundler or
minifier in the toolchain, and the loader is small and plain enough for this.

How, so that it cannot change what the module does:

- A tokenizer reads the text as JavaScript does: comments, strings, template literals
  (their ``${}`` nested), regular expressions, numbers, names and punctuators. The text
  of every token is copied unchanged: a string, a template literal (one that spans lines
  too) or a regular expression is never touched. What it cannot read for sure it
  refuses with :class:`CompactError`: an unterminated string, comment or template, a
  character outside the language, a ``\\`` escape in a name, or a ``/`` after ``}``,
  where JavaScript's grammar alone tells a division from a regular expression.
- Two tokens are written with a space between them only where they would otherwise
  read as others (two names or numbers, ``+ +``, ``- -``, ``/ /``, ...); the output is
  read again and must give the same tokens, or :class:`CompactError`.
- A line break is kept wherever JavaScript may read it: in the grammar's "no line
  break here" places (after ``return``, ``throw``, ``break``, ``continue``, ``yield``,
  ``async``, ``get``, ``set``, ``static``; before ``++``, ``--``, ``=>``) and wherever a
  statement may end at it by automatic semicolon insertion, that is between a token a
  statement can end with (a name, a literal, ``)``, ``]``, ``}``) and one a statement
  can start with but that cannot carry on what came before (a name, a literal, ``{``,
  ``!``, ...). Anywhere else it can mean nothing: after ``;``, ``,``, ``{``, ``(`` or an
  operator a semicolon would leave no valid program, with or without it, and before
  ``.``, ``(``, ``[``, a template, an operator, ``)`` or ``}`` the line break never ends a
  statement (before ``}`` one ends anyway). The tests also parse every compacted module
  with Node and run the loader's own tests over the compacted loader.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["CompactError", "Token", "compact", "tokens"]


class CompactError(ValueError):
    """The text cannot be compacted safely: the message says where and why."""


class Token(NamedTuple):
    """One token: its kind, its text as written, and whether a line break (or a comment
    that spans lines) comes before it."""

    kind: str  # "name", "number", "string", "template", "regex" or "punct"
    text: str
    newline_before: bool = False


_LINE_BREAKS = "\n\r\u2028\u2029"
_BREAK = re.compile(r"[\n\r\u2028\u2029]")
_LINE_COMMENT = re.compile(r"//[^\n\r\u2028\u2029]*")
_WORD_CHAR = re.compile(r"[\w$]")
_FLAGS = re.compile(r"[A-Za-z]+")
_SPACE = re.compile(r"[ \t\v\f\u00a0\ufeff\n\r\u2028\u2029]+")
_NAME = re.compile(r"#?(?:[^\W\d]|\$)[\w$]*")
_NUMBER = re.compile(
    r"(?:0[xXoObB][0-9a-fA-F_]+n?"
    r"|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?n?)"
)
_PUNCTUATORS = (
    ">>>= ... === !== **= <<= >>= >>> &&= ||= ??= => == != <= >= && || ?? ?. ++ -- += -= *= "
    "/= %= &= |= ^= ** << >> { } ( ) [ ] ; , < > + - * / % & | ^ ! ~ ? : = . @"
)
# Longest first: ">>>=" before ">>" before ">".
_LONGEST_FIRST = sorted(_PUNCTUATORS.split(), key=len, reverse=True)
_PUNCTUATOR = re.compile("|".join(map(re.escape, _LONGEST_FIRST)))
# After these names a "/" starts a regular expression (they end no expression).
_REGEX_AFTER = (
    "return typeof instanceof in of new delete void throw case do else yield await extends"
)
_BEFORE_REGEX = frozenset(_REGEX_AFTER.split())
# "No line break here" after these (return, break, ...), or before (++, --, =>).
_NO_BREAK_AFTER = "return throw break continue yield async get set static"
_BREAK_AFTER = frozenset(_NO_BREAK_AFTER.split())
_BREAK_BEFORE = frozenset(("++", "--", "=>"))
# Punctuators a statement can end with, and those that can start one without carrying
# on an expression before them (automatic semicolon insertion may happen between).
_ENDS = frozenset((")", "]", "}", "++", "--"))
_BEGINS = frozenset(("{", "!", "~", "++", "--", "@"))
# A token ending in the first character and one starting with the second would run
# together (a + +b, a - -b, a / /x/, a / *b: not a comment; <! and -> as HTML's).
_GLUE = frozenset(("++", "--", "//", "/*", "<!", "->"))


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    column = pos - text.rfind("\n", 0, pos)
    return f"line {line}, column {column}"


def _quoted_end(text: str, pos: int) -> int:
    """The end of the string that starts at ``pos`` (its quote)."""
    quote, i = text[pos], pos + 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == quote:
            return i + 1
        if char in _LINE_BREAKS:
            break
        i += 1
    raise CompactError(f"{_where(text, pos)}: unterminated string")


def _template_end(text: str, pos: int) -> tuple[int, bool]:
    """Where the template literal's piece that starts after ``pos`` ends: after its
    closing backtick (False) or after a ``${`` (True: an expression follows)."""
    i = pos
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
        elif char == "`":
            return i + 1, False
        elif text.startswith("${", i):
            return i + 2, True
        else:
            i += 1
    raise CompactError(f"{_where(text, pos)}: unterminated template literal")


def _regex_end(text: str, pos: int) -> int:
    """The end of the regular expression literal that starts at ``pos`` (flags included)."""
    i, in_class = pos + 1, False
    while i < len(text) and text[i] not in _LINE_BREAKS:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "/" and not in_class:
            flags = _FLAGS.match(text, i + 1)
            return flags.end() if flags else i + 1
        i += 1
    raise CompactError(f"{_where(text, pos)}: unterminated regular expression")


def _regex_allowed(previous: Token | None, before_previous: Token | None) -> bool:
    """Whether a ``/`` after ``previous`` starts a regular expression (else: a division)."""
    if previous is None:
        return True
    if previous.kind == "punct":
        return previous.text not in (")", "]", "}")
    if previous.kind == "name":
        # A keyword as a property name (x.return / 2) ends an expression.
        after_dot = before_previous is not None and before_previous.text in (".", "?.")
        return previous.text in _BEFORE_REGEX and not after_dot
    if previous.kind == "template":
        return previous.text.endswith("${")  # `${/x/.source}`
    return False  # a number, string or regex ends an expression


def tokens(text: str) -> list[Token]:
    """``text`` as JavaScript tokens, comments and white space left out (see the module
    doc; CompactError on what it cannot read for sure)."""
    out: list[Token] = []
    # One entry per open "{" or template "${": whether it is a template's.
    braces: list[bool] = []
    # One entry per open "(": whether it is the head of if/while/for/with (a "/" after
    # its ")" starts a regular expression).
    parens: list[bool] = []
    after_control_head = False
    newline, pos = False, 0

    def add(kind: str, end: int) -> None:
        nonlocal newline, pos
        out.append(Token(kind, text[pos:end], newline))
        newline, pos = False, end

    while pos < len(text):
        space = _SPACE.match(text, pos)
        if space:
            newline = newline or _BREAK.search(space.group()) is not None
            pos = space.end()
            continue
        char = text[pos]
        comment = _LINE_COMMENT.match(text, pos)
        if comment:
            pos = comment.end()
            continue
        if text.startswith("/*", pos):
            end = text.find("*/", pos + 2)
            if end < 0:
                raise CompactError(f"{_where(text, pos)}: unterminated comment")
            newline = newline or _BREAK.search(text, pos, end) is not None
            pos = end + 2
            continue
        previous = out[-1] if out else None
        control_head, after_control_head = after_control_head, False
        if char in "'\"":
            add("string", _quoted_end(text, pos))
        elif char == "`":
            end, opened = _template_end(text, pos + 1)
            if opened:
                braces.append(True)
            add("template", end)
        elif char == "}" and braces and braces[-1]:
            braces.pop()
            end, opened = _template_end(text, pos + 1)
            if opened:
                braces.append(True)
            add("template", end)
        elif char == "/" and previous is not None and previous.text == "}":
            raise CompactError(
                f"{_where(text, pos)}: a '/' after '}}' may be a division or a regular "
                "expression: write it another way (parentheses, a name)"
            )
        elif char == "/" and (
            control_head or _regex_allowed(previous, out[-2] if len(out) > 1 else None)
        ):
            add("regex", _regex_end(text, pos))
        elif char.isdigit() or (char == "." and text[pos + 1 : pos + 2].isdigit()):
            found = _NUMBER.match(text, pos)
            assert found is not None  # a digit, or "." and a digit, always starts one
            add("number", found.end())
        elif char == "\\":
            raise CompactError(f"{_where(text, pos)}: a '\\' escape in a name")
        elif found := _NAME.match(text, pos):
            add("name", found.end())
        else:
            match = _PUNCTUATOR.match(text, pos)
            if match is None:
                raise CompactError(f"{_where(text, pos)}: cannot read {char!r}")
            punct = match.group()
            if punct == "?." and text[pos + 2 : pos + 3].isdigit():
                punct = "?"  # a ? .5 : b
            if punct == "{":
                braces.append(False)
            elif punct == "}" and braces:
                braces.pop()
            elif punct == "(":
                head = previous is not None and previous.text in ("if", "while", "for", "with")
                parens.append(head)
            elif punct == ")" and parens:
                after_control_head = parens.pop()
            add("punct", pos + len(punct))
    return out


def _needs_space(left: Token, right: Token) -> bool:
    """Whether ``left`` and ``right`` written with nothing between read as others."""
    a, b = left.text[-1], right.text[0]
    if left.kind == "regex" and _WORD_CHAR.match(b):
        return True  # /x/ in: not the flags "in"
    if _WORD_CHAR.match(a):
        word = _WORD_CHAR.match(b) is not None or b in "#\\"
        return word or (left.kind == "number" and b == ".")  # 1 .toString()
    return (a == "." and b == ".") or a + b in _GLUE  # a. .5


def _break_matters(previous: Token, token: Token) -> bool:
    """Whether a line break between the two may mean something (see the module doc)."""
    if previous.text in _BREAK_AFTER or token.text in _BREAK_BEFORE:
        return True
    ends = previous.kind in ("name", "number", "string", "regex") or (
        previous.text in _ENDS if previous.kind == "punct" else previous.text.endswith("`")
    )
    begins = token.kind in ("name", "number", "string", "regex") or (
        token.kind == "punct" and token.text in _BEGINS
    )
    return ends and begins


def compact(text: str) -> str:
    """``text`` without comments and without the white space its tokens do not need
    (see the module doc); ends with a line break. CompactError if it cannot be done
    safely."""
    found = tokens(text)
    out: list[str] = []
    previous: Token | None = None
    for token in found:
        if previous is not None:
            if token.newline_before and _break_matters(previous, token):
                out.append("\n")
            elif _needs_space(previous, token):
                out.append(" ")
        out.append(token.text)
        previous = token
    result = "".join(out) + "\n"
    again = [(t.kind, t.text) for t in tokens(result)]
    if again != [(t.kind, t.text) for t in found]:
        raise CompactError("the compacted text reads as other tokens than the original")
    return result
