"""The README's curl examples as requests: found in its sh blocks, read as curl reads them, each
with what the README claims of its answer (a comment, a JSON block, a JSON comment), and the
README's jq filters as Python. tests/test_readme.py runs them."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt

JQ_FILTERS: dict[str, Any] = {
    ".entries[0]": lambda body: body["entries"][0],
    '.entries[] | select(.service == "ActionExecute") | {slug, origin, notes}': lambda body: [
        {"slug": e["slug"], "origin": e["origin"], "notes": e["notes"]}
        for e in body["entries"]
        if e["service"] == "ActionExecute"
    ],
    ".unknown_codes[0].code": lambda body: [
        body["unknown_codes"][0]["code"] if body["unknown_codes"] else None
    ],
    "{ok, total, counts, findings: .findings[8:9]}": lambda body: {
        "ok": body["ok"],
        "total": body["total"],
        "counts": body["counts"],
        "findings": body["findings"][8:9],
    },
}


@dataclass
class CurlExample:
    line: int  # 1-based, in the README
    command: str  # as written, continuation lines joined
    comment: str  # the prose after `#` on its lines, joined
    method: str = "GET"
    target: str = ""  # path and query
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    jq: str | None = None
    shown_json: Any = None  # the JSON block or JSON comment showing the answer
    shown_status: int | None = None
    shown_partially: bool = False  # a JSON comment ending in "...": the members shown

    @property
    def key(self) -> str:
        return f"{self.method} {self.target}" + (f" | jq {self.jq}" if self.jq else "")

    def output(self, answer: Any) -> Any:
        """What the example prints: the answer, through its jq filter (a list per jq stream)."""
        if self.jq is None:
            return answer
        out = JQ_FILTERS[self.jq](answer)
        return out[0] if isinstance(out, list) and len(out) == 1 else out


def _split_comment(line: str, quote: str | None) -> tuple[str, str, str | None]:
    """``line``'s code and comment, given the quote open at its start; and the quote open after."""
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i], line[i + 1 :].strip(), None
    return line, "", quote


def _commands(block: str, first_line: int) -> list[tuple[int, str, list[str]]]:
    """The commands of an sh block: (line, code, comment lines); a comment-only line belongs to
    the command before it."""
    commands: list[tuple[int, str, list[str]]] = []
    code, comments, quote, start, going_on = "", [], None, 0, False
    for offset, line in enumerate(block.splitlines()):
        if not going_on and not quote and line.strip().startswith("#"):
            if commands:
                commands[-1][2].append(line.strip()[1:].strip())
            continue
        if not going_on and not quote:
            start, code, comments = first_line + offset, "", []
        part, comment, quote = _split_comment(line, quote)
        comments += [comment] if comment else []
        going_on = not quote and part.rstrip().endswith("\\")
        code += (part.rstrip()[:-1] if going_on else part) + ("\n" if quote else " ")
        if not going_on and not quote:
            commands.append((start, code.strip(), comments))
    return commands


def _read_curl(example: CurlExample, environment: dict[str, str]) -> None:
    words = shlex.split(example.command)
    if "|" in words:
        at = words.index("|")
        assert words[at + 1] == "jq", example.command
        example.jq = " ".join(words[at + 2 :])
        words = words[:at]
    for name, value in environment.items():
        words = [w.replace(f"${name}", value) for w in words]
    args = iter(words[1:])
    for arg in args:
        if arg == "-X":
            example.method = next(args)
        elif arg == "-H":
            name, _, value = next(args).partition(":")
            example.headers[name.strip()] = value.strip()
        elif arg in ("-d", "--data-binary"):
            example.body = next(args).encode()
            example.method = "POST" if example.method == "GET" else example.method
        elif arg == "-o":
            next(args)
        elif arg in ("-s", "-i", "-O"):
            pass
        elif arg.startswith("localhost:8000/"):
            url = urlsplit(f"http://{arg}")
            example.target = url.path + (f"?{url.query}" if url.query else "")
        else:
            raise AssertionError(f"README line {example.line}: curl option {arg!r} is not read")


_JSON_COMMENT = re.compile(r"^(?:(?P<status>\d{3}) )?(?P<json>\{.*\})$")


def _shown_in_comment(example: CurlExample, comments: list[str]) -> None:
    for comment in comments:
        found = _JSON_COMMENT.match(comment)
        if found:
            text = found["json"]
            example.shown_partially = text.endswith(",...}")
            example.shown_json = json.loads(text.replace(",...}", "}"))
            example.shown_status = int(found["status"]) if found["status"] else None


def curl_examples(readme: str, environment: dict[str, str]) -> list[CurlExample]:
    """Every curl command of the README's sh blocks, in order. A json block that follows an sh
    block of one curl command (before any other block) shows that command's answer."""
    examples: list[CurlExample] = []
    in_last_block: list[CurlExample] = []
    for token in MarkdownIt("commonmark").parse(readme):
        if token.type != "fence":
            continue
        language = token.info.split()[:1]
        if language == ["json"] and len(in_last_block) == 1 and in_last_block[0].shown_json is None:
            in_last_block[0].shown_json = json.loads(token.content)
        in_last_block = []
        if language != ["sh"]:
            continue
        for line, code, comments in _commands(token.content, token.map[0] + 2):
            if not code.startswith("curl "):
                continue
            example = CurlExample(line=line, command=code, comment=" ".join(comments))
            _read_curl(example, environment)
            _shown_in_comment(example, comments)
            in_last_block.append(example)
            examples.append(example)
    return examples
