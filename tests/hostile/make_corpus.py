"""Write the hostile-input corpus: its files under ``corpus/`` and its manifest, ``corpus.yaml``.

Run it from the repository root after changing a case: ``.venv/bin/python -m tests.hostile.make_corpus``.
Every case is declared here, by hand or as one member of a family (each field of a document times each wrong kind
of value), and is named after what it attacks. The files are committed, so that a reader can open any of them; the
manifest is committed too, and ``test_corpus_manifest.py`` checks it is what this script writes.

Keys (the test developers', the test log's, the test regulator's) and sealed originals hold random bytes: they are
made once and then read back, so that running the script again changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from candor.domain.developer_keys import load_private_key, private_key_pem, public_key_pem, public_key_raw
from candor.domain.parse import parse_bytes
from candor.domain.regulator_keys import (
    load_regulator_private_key,
    regulator_private_pem,
    regulator_public_pem,
)
from candor.domain.statement import Statement, StatementKind
from candor.registry_client import publication_body
from candor.services.evidence import StatementEvidence
from candor.services.publishing import statement_for_document
from candor.services.redacting import redact_document
from candor.tlog.checkpoint import Checkpoint, sign_checkpoint
from candor.tlog.merkle import leaf_hash, node_hash
from candor.tlog.note import Signer, sign_note
from candor.tlog.proof import format_tlog_proof
from tests.hostile.corpus import REGISTRY_ORIGIN

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CORPUS = HERE / "corpus"
MANIFEST = HERE / "corpus.yaml"
EXAMPLES = REPO / "examples"

#: The text every redaction-split case marks for redaction: it must never reach a public version.
CANARY = "CANARY-7f3a-the-secret-supplier"
#: The origin of the corpus's test log; its verifier key is ``corpus/keys/log.vkey``.
LOG_ORIGIN = "hostile.test/log"
ISSUED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

Case = dict[str, Any]
CASES: list[Case] = []
#: Set by :func:`build` when it only checks: the files that differ from what this script would write.
STALE: list[str] | None = None
#: Every corpus file the cases use, relative to ``corpus/``; anything else there is left over from an old case.
USED: set[str] = set()


# --- Writing files and declaring cases ----------------------------------------------------------------------------


def put(relative: str, content: bytes | str) -> str:
    """Write a corpus file (only if its content changed) and return its path as the manifest writes it."""
    path = CORPUS / relative
    USED.add(relative)
    if STALE is None:
        path.parent.mkdir(parents=True, exist_ok=True)
    raw = content.encode("utf-8") if isinstance(content, str) else content
    if not path.exists() or path.read_bytes() != raw:
        if STALE is not None:
            STALE.append(relative)
        else:
            path.write_bytes(raw)
    return "{corpus}/" + relative


def kept(relative: str, make: Callable[[], bytes]) -> bytes:
    """A corpus file with random content: made once, then read back."""
    path = CORPUS / relative
    USED.add(relative)
    if not path.exists():
        if STALE is not None:
            STALE.append(relative)
            return make()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make())
    return path.read_bytes()


def cli(
    case_id: str,
    attack: str,
    argv: list[str],
    error: str,
    *,
    pending: str | None = None,
    prepare: list[str] | None = None,
    subprocess: bool = False,
    exit_code: int = 2,
) -> None:
    """A command that must refuse its input: exit code 2 and one line of error holding ``error``.

    A few refusals have exit codes of their own: 1 when a document fails verification, 3 when the registry has no
    such developer.
    """
    expect = {"exit": exit_code, "error": error}
    case: Case = {"id": case_id, "attack": attack, "target": "cli", "argv": argv, "expect": expect}
    _finish(case, pending=pending, prepare=prepare, subprocess=subprocess)


def cli_outcome(
    case_id: str, attack: str, argv: list[str], expect: dict[str, Any], *, pending: str | None = None
) -> None:
    """A command whose safe outcomes are several, e.g. "refused with exit 2, or the canary is not published"."""
    case: Case = {"id": case_id, "attack": attack, "target": "cli", "argv": argv, "expect": expect}
    _finish(case, pending=pending)


def http(
    case_id: str,
    attack: str,
    method: str,
    path: str,
    status: int,
    code: str | None = None,
    *,
    token: str | None = None,
    body: str | None = None,
    json_body: Any = None,
    headers: dict[str, str] | None = None,
    raw: bool = False,
    pending: str | None = None,
) -> None:
    """A request the registry must refuse with ``status`` (and, for the API and the log, the error ``code``)."""
    request: dict[str, Any] = {"method": method, "path": path}
    if token is not None:
        request["token"] = token
    if body is not None:
        request["body"] = body
    if json_body is not None:
        request["json"] = json_body
    if headers:
        request["headers"] = headers
    if raw:
        request["raw"] = True
    expect: dict[str, Any] = {"status": status}
    if code is not None:
        expect["code"] = code
    case: Case = {"id": case_id, "attack": attack, "target": "http", "request": request, "expect": expect}
    _finish(case, pending=pending)


#: The reason prefix of a case that shows a defect this corpus found, which nobody is fixing yet.
DEFECT = "defect: "


#: Cases that also run through a real child process, to prove the installed entry point prints no traceback.
THROUGH_A_CHILD_PROCESS = frozenset(
    {
        "check/yaml/billion-laughs",
        "check/encoding/latin-1",
        "verify/proof/note-bad-signature",
        "regulator/open/truncated-body",
    }
)


def _finish(case: Case, *, pending: str | None, prepare: list[str] | None = None, subprocess: bool = False) -> None:
    if prepare:
        case["prepare"] = prepare
    if subprocess or case["id"] in THROUGH_A_CHILD_PROCESS:
        case["subprocess"] = True
    if pending:
        # "pending": another change under way fixes it; "defect": found by this corpus, for the lead to fix.
        case["expected_fix"] = "defect" if pending.startswith(DEFECT) else "pending"
        case["pending"] = pending
    CASES.append(case)


def check(case_id: str, attack: str, relative: str, content: bytes | str, error: str, **options: Any) -> None:
    """``candor check`` must refuse the document written at ``documents/<relative>``, naming it."""
    path = put(f"documents/{relative}", content)
    cli(case_id, attack, ["check", path], error, **options)
    CASES[-1]["expect"]["names"] = path


def coverage(case_id: str, attack: str, relative: str, content: bytes | str, error: str, **options: Any) -> None:
    """``candor coverage`` must refuse the facts file written at ``facts/<relative>``."""
    path = put(f"facts/{relative}", content)
    cli(case_id, attack, ["coverage", path, "--as-of", "2026-06-01"], error, **options)
    CASES[-1]["expect"]["names"] = path


# --- Base documents -----------------------------------------------------------------------------------------------

CERTIFICATION_FIELDS: list[tuple[str, str]] = [
    ("kind", "certification"),
    ("developer", "acme-ai"),
    ("version", '"2026"'),
    ("framework", '"2.0"'),
    ("framework_entry.log_index", "6"),
    ("framework_entry.sha256", '"' + "8f384bf97a94b2e9c2c81796aa8940f042a0fc5c04047a79950e323df96bb577" + '"'),
    ("period.start", "2026-01-15"),
    ("period.end", "2026-06-30"),
    ("statement", "Acme AI, Inc. certifies that it complied with version 2.0 of its framework."),
    ("officer.name", "Dana Okafor"),
    ("officer.title", "Responsible Scaling Officer"),
    ("date", "2026-07-20"),
    ("exceptions", "\n  - One shutdown drill overran its target by 34 minutes."),
]
CERTIFICATION_BODY = "\n# Certification of compliance\n\nAcme AI, Inc. certifies that it complied with its framework.\n"


def certification(replace: dict[str, str] | None = None, *, extra: str = "", body: str = CERTIFICATION_BODY) -> str:
    """The small certification this corpus builds on, with some fields' raw YAML values replaced.

    A replaced parent (``period``) drops its children; ``extra`` is raw YAML appended to the front matter.
    """
    replace = replace or {}
    lines = ["---"]
    opened: set[str] = set()
    for path, value in CERTIFICATION_FIELDS:
        parent, _, child = path.rpartition(".")
        if parent:
            if parent in replace:
                if parent not in opened:
                    lines.append(f"{parent}: {replace[parent]}".rstrip())
                    opened.add(parent)
                continue
            if parent not in opened:
                lines.append(f"{parent}:")
                opened.add(parent)
            written = replace.get(path, value)
            lines.append(f"  {child}: {written}".rstrip() if not written.startswith("\n") else f"  {child}:{written}")
        else:
            written = replace.get(path, value)
            lines.append(f"{path}: {written}".rstrip() if not written.startswith("\n") else f"{path}:{written}")
    if extra:
        lines.append(extra.rstrip("\n"))
    lines.append("---")
    return "\n".join(lines) + "\n" + body


FACTS_FIELDS: list[tuple[str, str]] = [
    ("developer", "acme-ai"),
    ("legal_name", "Acme AI, Inc."),
    ("revenue_usd_by_year", "{2024: 420000000, 2025: 650000000}"),
    ("rnd_usd", "900000000"),
    ("capex_usd", "300000000"),
    ("academic_institution", "false"),
    ("located_in_new_york", "false"),
    ("empire_ai_consortium", "false"),
    ("new_york_operations", "true"),
    ("eu_established", "false"),
]
MODEL_FIELDS: list[tuple[str, str]] = [
    ("name", "Acme-3"),
    ("training_compute_flop", "3.1e26"),
    ("training_compute_cost_usd", "180000000"),
    ("training_started", "2025-03-01"),
    ("released", "2025-11-02"),
    ("eu_market_intent", "true"),
    ("eu_placed_on", "2025-11-02"),
]
#: The same facts in the format Candor read before revenue per year, R&D and capex apart, and the EU flags: a file
#: in it is refused with one line that says how to rewrite it.
OLD_FACTS = """developer: acme-ai
legal_name: Acme AI, Inc.
fiscal_year: 2025
annual_revenue_usd: 650000000
rnd_capex_usd: 1200000000
academic_institution: false
models:
  - name: Acme-3
    training_compute_flop: 3.1e26
    training_started: 2025-03-01
    released: 2025-11-02
    placed_on_eu_market: true
"""


def facts(replace: dict[str, str] | None = None, *, extra: str = "") -> str:
    """A small facts file with one model; ``models[0].<field>`` keys replace a model field's raw YAML."""
    replace = replace or {}
    lines = [f"{key}: {replace.get(key, value)}".rstrip() for key, value in FACTS_FIELDS]
    if "models" in replace:
        lines.append(f"models: {replace['models']}".rstrip())
    else:
        lines.append("models:")
        for number, (key, value) in enumerate(MODEL_FIELDS):
            marker = "  - " if number == 0 else "    "
            lines.append(f"{marker}{key}: {replace.get(f'models[0].{key}', value)}".rstrip())
    if extra:
        lines.append(extra.rstrip("\n"))
    return "\n".join(lines) + "\n"


NINES = "9" * 999
TOO_LONG = "9" * 1001


# --- Families -----------------------------------------------------------------------------------------------------


def examples_invalid() -> None:
    """Every file of examples/invalid, referenced where it is, with the error its README table promises."""
    table = (EXAMPLES / "invalid" / "README.md").read_text("utf-8")
    for row in re.finditer(r"^\| ([a-z0-9-]+\.md) \| ([-0-9]+) \| (.+) \|$", table, re.MULTILINE):
        name, line, error = row.groups()
        expected = f"{name}:{line}: " if line != "-" else f"{name}: "
        expected += error.split(" (")[0].split("; ")[0].rstrip("?").strip()
        cli(
            f"check/examples-invalid/{name.removesuffix('.md')}",
            f"the common mistake examples/invalid/{name} makes",
            ["check", "{examples}/invalid/" + name],
            expected.replace(": is required", ": is required"),
        )


def yaml_attacks() -> None:
    """The YAML loader's promises: no aliases or tags, no duplicate keys, bounded nesting and numbers."""
    docs = [
        ("alias-only", "an alias without its anchor", "extra_field: *nothing", "YAML aliases"),
        ("merge-key", "a YAML merge key (<<) pulling in another mapping", "<<: {developer: rival-ai}", "merge keys"),
        (
            "python-object-tag",
            "!!python/object/apply, the classic code execution",
            "x: !!python/object/apply:os.system [id]",
            "YAML tags",
        ),
        ("python-name-tag", "!!python/name, importing any object", "x: !!python/name:os.system", "YAML tags"),
        ("binary-tag", "!!binary smuggling bytes into a text field", "x: !!binary aGVsbG8=", "YAML tags"),
        ("custom-tag", "a local !tag a custom constructor would run", "x: !custom value", "YAML tags"),
        ("str-tag-on-number", "!!str forcing a type", "x: !!str 12", "YAML tags"),
        ("set-tag", "!!set, a type the models never expect", "x: !!set {a, b}", "YAML tags"),
        (
            "verbatim-tag",
            "a verbatim tag <tag:yaml.org,2002:python/object>",
            "x: !<tag:yaml.org,2002:python/object> {}",
            "YAML tags",
        ),
        ("timestamp-tag", "!!timestamp on a free-text field", "x: !!timestamp 2026-01-01", "YAML tags"),
        (
            "mapping-key-is-mapping",
            "a complex mapping key (? {a: b})",
            "? {a: b}\n: value",
            "mapping key must be a plain value",
        ),
        (
            "mapping-key-is-list",
            "a sequence as a mapping key",
            "? [a, b]\n: value",
            "mapping key must be a plain value",
        ),
    ]
    for name, attack, yaml_text, error in docs:
        check(f"check/yaml/{name}", attack, f"yaml/{name}.md", certification(extra=yaml_text), error)
    check(
        "check/yaml/alias-on-kind",
        "an anchor on the kind, to be reused",
        "yaml/alias-on-kind.md",
        certification({"kind": "&k certification"}),
        "anchors (&k)",
    )
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    check(
        "check/yaml/billion-laughs",
        "a billion-laughs alias bomb (nine levels of aliases)",
        "yaml/billion-laughs.md",
        certification(extra=bomb),
        "anchors (&a)",
    )
    check(
        "check/yaml/alias-bomb-in-list",
        "an alias bomb hidden in exceptions, a list the model reads",
        "yaml/alias-bomb-in-list.md",
        certification({"exceptions": "&e [&f [lol, lol], *f, *f]"}),
        "anchors (&e)",
    )
    deep_flow = "x: " + "[" * 200 + "]" * 200
    check(
        "check/yaml/deep-flow-nesting",
        "200 nested flow sequences, to exhaust the stack",
        "yaml/deep-flow-nesting.md",
        certification(extra=deep_flow),
        "nested more than 64 levels",
    )
    deep_block = "x:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(100)) + "  " * 101 + "v: 1"
    check(
        "check/yaml/deep-block-nesting",
        "100 nested block mappings",
        "yaml/deep-block-nesting.md",
        certification(extra=deep_block),
        "nested more than 64 levels",
    )
    deep_mixed = "x: " + "{a: [" * 40 + "1" + "]}" * 40
    check(
        "check/yaml/deep-mixed-nesting",
        "alternating mappings and lists 80 levels deep",
        "yaml/deep-mixed-nesting.md",
        certification(extra=deep_mixed),
        "nested more than 64 levels",
    )
    check(
        "check/yaml/huge-unknown-key",
        "a 20,000-character unknown key",
        "yaml/huge-unknown-key.md",
        certification(extra="k" * 20_000 + ": v"),
        "malformed YAML",
    )
    check(
        "check/yaml/huge-value",
        "a 1 MiB value in a short text field",
        "yaml/huge-value.md",
        certification({"officer.title": "[" + "x, " * 10_000 + "x]"}),
        "officer.title",
    )
    check(
        "check/yaml/many-keys",
        "5,000 unknown keys in one mapping",
        "yaml/many-keys.md",
        certification(extra="".join(f"k{i}: v\n" for i in range(5000))),
        "is not a known field",
    )
    duplicates = [
        (
            "duplicate-top-level",
            "developer written twice, so the second could win silently",
            "developer: rival-ai",
            "key 'developer' is written twice",
        ),
        (
            "duplicate-quoted",
            "the same key once plain and once quoted",
            '"developer": rival-ai',
            "key 'developer' is written twice",
        ),
        (
            "duplicate-single-quoted",
            "the same key in single quotes",
            "'kind': system-card",
            "key 'kind' is written twice",
        ),
        (
            "duplicate-escaped",
            'the same key spelt with an escape ("\\x6Bind")',
            '"\\x6Bind": system-card',
            "key 'kind' is written twice",
        ),
        ("duplicate-flow", "a duplicate key inside a flow mapping", "x: {a: 1, a: 2}", "key 'a' is written twice"),
    ]
    for name, attack, yaml_text, error in duplicates:
        check(f"check/yaml/{name}", attack, f"yaml/{name}.md", certification(extra=yaml_text), error)
    check(
        "check/yaml/duplicate-nested",
        "officer.name written twice inside its mapping",
        "yaml/duplicate-nested.md",
        certification({"officer.title": "Officer\n  name: Someone Else"}),
        "key 'name' is written twice",
    )
    check(
        "check/yaml/unclosed-flow",
        "a flow list never closed",
        "yaml/unclosed-flow.md",
        certification({"exceptions": "[a, b"}),
        "malformed YAML",
    )
    check(
        "check/yaml/unclosed-quote",
        "a double-quoted string never closed",
        "yaml/unclosed-quote.md",
        certification({"statement": '"never closed'}),
        "malformed YAML",
    )
    check(
        "check/yaml/tab-indent",
        "a tab used for indentation, which YAML forbids",
        "yaml/tab-indent.md",
        certification(extra="officers:\n\tname: x"),
        "malformed YAML",
    )
    check(
        "check/yaml/directive",
        "a %YAML directive inside the front matter",
        "yaml/directive.md",
        "---\n%YAML 1.1\n" + certification()[4:],
        "malformed YAML",
    )
    check(
        "check/yaml/front-matter-is-list",
        "front matter that is a list, not a mapping",
        "yaml/front-matter-is-list.md",
        "---\n- kind\n- certification\n---\n",
        "must be a mapping",
    )
    check(
        "check/yaml/front-matter-is-scalar",
        "front matter that is one word",
        "yaml/front-matter-is-scalar.md",
        "---\ncertification\n---\n",
        "must be a mapping",
    )
    check(
        "check/yaml/front-matter-empty",
        "front matter with nothing between its fences",
        "yaml/front-matter-empty.md",
        "---\n---\nbody\n",
        "front matter is empty",
    )
    check(
        "check/yaml/front-matter-comment-only",
        "front matter holding only a comment",
        "yaml/front-matter-comment-only.md",
        "---\n# nothing\n---\nbody\n",
        "front matter is empty",
    )
    check(
        "check/yaml/control-character",
        "a raw ESC control character in a value",
        "yaml/control-character.md",
        certification({"officer.name": "Dana\x1b[31mOkafor"}),
        "is not allowed in YAML",
    )
    check(
        "check/yaml/nul-in-front-matter",
        "a NUL byte inside the front matter",
        "yaml/nul-in-front-matter.md",
        certification({"officer.name": "Dana\x00Okafor"}),
        "U+0000",
    )
    check(
        "check/yaml/c1-control",
        "a C1 control character (U+0085 aside, U+0090) in a value",
        "yaml/c1-control.md",
        certification({"officer.name": "Dana\u0090Okafor"}),
        "is not allowed in YAML",
    )


def encodings() -> None:
    """Bytes that are not the UTF-8 text a disclosure is, or text whose line endings hide its structure."""
    base = certification().encode("utf-8")
    check(
        "check/encoding/latin-1",
        "a Latin-1 é in the body",
        "encoding/latin-1.md",
        base.replace(b"Okafor", b"Ok\xe9for"),
        "not valid UTF-8",
    )
    check(
        "check/encoding/utf-16-le-bom",
        "the whole file in UTF-16 with its byte-order mark",
        "encoding/utf-16-le-bom.md",
        "\ufeff".encode("utf-16-le") + certification().encode("utf-16-le"),
        "not valid UTF-8",
    )
    check(
        "check/encoding/utf-16-be",
        "the whole file in UTF-16 big-endian, no BOM",
        "encoding/utf-16-be.md",
        certification().encode("utf-16-be"),
        "no front matter",
    )
    check(
        "check/encoding/utf-32-bom",
        "UTF-32 with its byte-order mark",
        "encoding/utf-32-bom.md",
        certification().encode("utf-32"),
        "not valid UTF-8",
    )
    check(
        "check/encoding/overlong-slash",
        "an overlong UTF-8 encoding of '/' (C0 AF)",
        "encoding/overlong-slash.md",
        base.replace(b"Okafor", b"Ok\xc0\xafafor"),
        "not valid UTF-8",
    )
    check(
        "check/encoding/surrogate",
        "a UTF-8-encoded lone surrogate (ED A0 80), CESU style",
        "encoding/surrogate.md",
        base.replace(b"Okafor", b"Ok\xed\xa0\x80afor"),
        "not valid UTF-8",
    )
    check(
        "check/encoding/truncated-sequence",
        "a multi-byte sequence cut at the end of the file",
        "encoding/truncated-sequence.md",
        base + b"\xe2\x82",
        "not valid UTF-8",
    )
    check(
        "check/encoding/beyond-unicode",
        "F5, a lead byte beyond U+10FFFF",
        "encoding/beyond-unicode.md",
        base.replace(b"Okafor", b"\xf5\x80\x80\x80"),
        "not valid UTF-8",
    )
    check(
        "check/encoding/nul-before-front-matter",
        "a NUL byte before the opening fence",
        "encoding/nul-before-front-matter.md",
        b"\x00" + base,
        "no front matter",
    )
    check(
        "check/encoding/double-bom",
        "two byte-order marks: the second is text before the fence",
        "encoding/double-bom.md",
        b"\xef\xbb\xbf\xef\xbb\xbf" + base,
        "no front matter",
    )
    check(
        "check/encoding/bom-then-broken",
        "a UTF-8 BOM before a front matter with an error",
        "encoding/bom-then-broken.md",
        b"\xef\xbb\xbf" + base.replace(b"kind: certification", b"kind: certificaton"),
        "did you mean certification",
    )
    text = certification()
    check(
        "check/encoding/cr-only",
        "classic Mac CR-only line endings, read line by line like LF: a mistake is named at its own line",
        "encoding/cr-only.md",
        text.replace("kind: certification", "kind: certificaton").replace("\n", "\r"),
        "did you mean certification",
    )
    check(
        "check/encoding/crlf-closing-fence-missing",
        "CRLF endings with the closing fence written '--- x'",
        "encoding/crlf-closing-fence-missing.md",
        text.replace("\n", "\r\n").replace("---\r\n\r\n# Cert", "--- x\r\n\r\n# Cert"),
        "never closed",
    )
    check(
        "check/encoding/unicode-line-separator",
        "U+2028 LINE SEPARATOR inside a key",
        "encoding/unicode-line-separator.md",
        certification(extra="offi\u2028cer2: x"),
        "malformed YAML",
    )
    check("check/encoding/empty", "a zero-byte file", "encoding/empty.md", b"", "file is empty")
    check(
        "check/encoding/whitespace-only",
        "a file of spaces and newlines",
        "encoding/whitespace-only.md",
        b"  \n\n\t\n",
        "file is empty",
    )
    check(
        "check/encoding/bom-only",
        "a file holding only a byte-order mark",
        "encoding/bom-only.md",
        b"\xef\xbb\xbf",
        "no front matter",
    )
    check(
        "check/encoding/fences-only",
        "two fences and nothing else",
        "encoding/fences-only.md",
        b"---\n---\n",
        "front matter is empty",
    )
    check("check/encoding/one-fence", "one fence and nothing else", "encoding/one-fence.md", b"---\n", "never closed")
    check("check/encoding/nul-only", "a file of NUL bytes", "encoding/nul-only.md", b"\x00" * 64, "no front matter")


def files_that_are_not_files() -> None:
    """Paths that name no regular file, for every command that reads one."""
    cli("check/path/directory", "a directory given as a disclosure", ["check", "{corpus}/documents"], "is a directory")
    cli("check/path/dev-null", "/dev/null: a device that reads as empty", ["check", "/dev/null"], "character device")
    cli(
        "check/path/dev-zero",
        "/dev/zero: an endless device",
        ["check", "/dev/zero"],
        "character device",
        subprocess=True,
    )
    cli(
        "check/path/dev-urandom",
        "/dev/urandom: an endless device of random bytes",
        ["check", "/dev/urandom"],
        "character device",
    )
    cli("check/path/missing", "a file that does not exist", ["check", "{corpus}/documents/absent.md"], "no such file")
    cli(
        "check/path/oversize",
        "a disclosure one byte over 5 MiB",
        ["check", "{tmp}/big.md"],
        "over the limit",
        prepare=["sparse {tmp}/big.md 5242881"],
    )
    cli(
        "check/path/dangling-symlink",
        "a symbolic link to nothing",
        ["check", "{tmp}/link.md"],
        "no such file",
        prepare=["symlink {tmp}/link.md {tmp}/nowhere"],
    )
    cli(
        "check/path/unreadable",
        "a file without read permission",
        ["check", "{tmp}/secret.md"],
        "secret.md",
        prepare=["unreadable {tmp}/secret.md"],
    )
    cli(
        "check/path/file-as-directory",
        "a path that goes through a file as if it were a directory",
        ["check", "{corpus}/README.md/x.md"],
        "x.md",
    )
    cli(
        "coverage/path/directory", "a directory given as a facts file", ["coverage", "{corpus}/facts"], "is a directory"
    )
    cli(
        "coverage/path/dev-zero",
        "/dev/zero as a facts file",
        ["coverage", "/dev/zero"],
        "character device",
        subprocess=True,
    )
    cli(
        "coverage/path/missing",
        "a facts file that does not exist",
        ["coverage", "{corpus}/facts/absent.yaml"],
        "no such file",
    )
    cli(
        "coverage/path/oversize",
        "a facts file one byte over 5 MiB",
        ["coverage", "{tmp}/big.yaml"],
        "over the limit",
        prepare=["sparse {tmp}/big.yaml 5242881"],
    )
    cli(
        "redact/path/directory",
        "a directory given to candor redact",
        ["redact", "{corpus}/documents", "--regulator-key", "{corpus}/keys/regulator.pub", "--out", "{tmp}"],
        "is a directory",
    )
    cli(
        "redact/path/dev-zero",
        "/dev/zero given to candor redact",
        ["redact", "/dev/zero", "--regulator-key", "{corpus}/keys/regulator.pub", "--out", "{tmp}"],
        "character device",
    )
    cli(
        "verify/path/proof-directory",
        "a directory given as the tlog-proof",
        ["verify", "{corpus}/proofs/document.md", "--proof", "{corpus}/proofs", "--vkey", "{corpus}/keys/log.vkey"],
        "is a directory",
    )
    cli(
        "verify/path/proof-dev-zero",
        "/dev/zero given as the tlog-proof",
        ["verify", "{corpus}/proofs/document.md", "--proof", "/dev/zero", "--vkey", "{corpus}/keys/log.vkey"],
        "character device",
    )
    cli(
        "verify/path/document-missing",
        "a document that does not exist",
        [
            "verify",
            "{corpus}/proofs/absent.md",
            "--proof",
            "{corpus}/proofs/valid.proof",
            "--vkey",
            "{corpus}/keys/log.vkey",
        ],
        "no such file",
    )
    cli(
        "log/check-proof/entry-dev-zero",
        "/dev/zero as the log entry",
        ["log", "check-proof", "{corpus}/proofs/valid.proof", "/dev/zero", "--vkey", "{corpus}/keys/log.vkey"],
        "character device",
    )
    cli(
        "log/verify/missing-directory",
        "a log directory that does not exist",
        ["log", "verify", "{corpus}/absent-log", "--vkey", "{corpus}/keys/log.vkey"],
        "no such directory",
    )
    cli(
        "log/verify/empty-directory",
        "a log directory without a checkpoint",
        ["log", "verify", "{corpus}/keys", "--vkey", "{corpus}/keys/log.vkey"],
        "holds no checkpoint",
    )


TEXT_WRONG = [
    ("number", "12", "must be text"),
    ("float", "1.5", "must be text"),
    ("list", "[a, b]", "must be text"),
    ("mapping", "{a: b}", "must be text"),
    ("null", "", "has no value"),
    ("boolean", "true", "must be text"),
    ("date", "2026-01-01", "must be text"),
    ("nan", ".nan", "must be text"),
    ("huge-integer", NINES, "must be text"),
]
DATE_WRONG = [
    ("quoted", '"2026-01-15"', "must be a date"),
    ("february-30", "2026-02-30", "is not a real date"),
    ("year-zero", "0000-01-01", "is not a real date"),
    ("five-digit-year", "10000-01-01", "must be a date"),
    ("number", "20260115", "must be a date"),
    ("bad-time", "2026-01-15T25:00:00Z", "is not a real date and time"),
    ("text", "yesterday", "must be a date"),
    ("list", "[2026-01-15]", "must be a date"),
]


def certification_fields() -> None:
    """Each field of a certification, given each kind of value it must not accept."""
    texts = ["developer", "version", "framework", "statement", "officer.name", "officer.title"]
    for field in texts:
        for name, value, _error in TEXT_WRONG:
            slug = field.replace(".", "-")
            check(
                f"check/certification/{slug}/{name}",
                f"{field} given a {name.replace('-', ' ')} instead of text",
                f"certification/{slug}-{name}.md",
                certification({field: value}),
                f"{field}:",
            )
    for field in ["period.start", "period.end", "date"]:
        for name, value, _error in DATE_WRONG:
            slug = field.replace(".", "-")
            check(
                f"check/certification/{slug}/{name}",
                f"{field} given a {name.replace('-', ' ')} value instead of a date",
                f"certification/{slug}-{name}.md",
                certification({field: value}),
                f"{field}:",
            )
    log_index = [
        ("quoted", '"6"', "must be a whole number"),
        ("negative", "-1", "must be at least 0"),
        ("fraction", "6.5", "must be a whole number"),
        ("too-long", TOO_LONG, "at most 1,000 digits"),
        ("infinity", ".inf", "must be a whole number"),
        ("nan", ".nan", "must be a whole number"),
        ("hex-overflow", "0x" + "f" * 900, "at most 1,000 digits"),
        ("list", "[6]", "must be a whole number"),
        # A log index is a 64-bit count, and the registry's database holds a signed one: past 2^63-1 no entry can be
        # named, and the number must not reach the database (SQLite overflows).
        ("2-63", str(1 << 63), "framework_entry.log_index: must be at most 9223372036854775807"),
        ("huge", NINES, "framework_entry.log_index: must be at most 9223372036854775807"),
    ]
    for name, value, error in log_index:
        check(
            f"check/certification/framework-entry-log-index/{name}",
            f"framework_entry.log_index given a {name.replace('-', ' ')} value",
            f"certification/framework-entry-log-index-{name}.md",
            certification({"framework_entry.log_index": value}),
            error,
        )
    sha = [
        ("upper-case", '"' + "8F384BF97A94B2E9C2C81796AA8940F042A0FC5C04047A79950E323DF96BB577" + '"'),
        ("short", '"8f384bf9"'),
        ("traversal", '"../../../../etc/passwd"'),
        ("zero-width", '"8f384bf97a94b2e9c2c81796aa8940f042a0fc5c04047a79950e323df96bb5\u200b77"'),
    ]
    for name, value in sha:
        check(
            f"check/certification/framework-entry-sha256/{name}",
            f"framework_entry.sha256 given a {name.replace('-', ' ')} digest",
            f"certification/framework-entry-sha256-{name}.md",
            certification({"framework_entry.sha256": value}),
            "framework_entry.sha256:",
        )
    for parent in ["period", "officer", "framework_entry"]:
        for name, value in [("text", "a sentence"), ("list", "[a, b]"), ("number", "12")]:
            check(
                f"check/certification/{parent.replace('_', '-')}/{name}",
                f"{parent}, a mapping, given a {name}",
                f"certification/{parent.replace('_', '-')}-{name}.md",
                certification({parent: value}),
                f"{parent}:",
            )
    for name, value, error in [
        ("text", "one sentence", "must be a list"),
        ("mapping", "{a: b}", "must be a list"),
        ("number-entry", "[12]", "exceptions[0]:"),
        ("nested-list", "[[a]]", "exceptions[0]:"),
        ("null-entry", "[null]", "exceptions[0]:"),
        ("blank-entry", '["   "]', "exceptions[0]:"),
    ]:
        check(
            f"check/certification/exceptions/{name}",
            f"exceptions, a list of text, given {name.replace('-', ' ')}",
            f"certification/exceptions-{name}.md",
            certification({"exceptions": value}),
            error,
        )
    # Unknown fields and wrong kinds, with the did-you-mean hint a person needs.
    for name, extra, error in [
        ("typo-officer", "oficer: {name: x, title: y}", "did you mean officer?"),
        ("typo-exceptions", "exceptons: [a]", "did you mean exceptions?"),
        ("typo-period", "peroid: {start: 2026-01-01, end: 2026-02-01}", "did you mean period?"),
        ("unicode-lookalike-key", "оfficer: {name: x, title: y}", "is not a known field"),
        ("zero-width-key", "offi\u200bcer: {name: x, title: y}", "is not a known field"),
        ("upper-case-key", "Statement: x", "is not a known field"),
        ("nested-unknown", "", ""),
    ]:
        if name == "nested-unknown":
            content = certification({"officer.title": "Officer\n  signature: forged"})
            check(
                "check/certification/unknown/nested-unknown",
                "an unknown field inside officer",
                "certification/unknown-nested.md",
                content,
                "officer.signature: is not a known field",
            )
            continue
        check(
            f"check/certification/unknown/{name}",
            f"an unknown field: {name.replace('-', ' ')}",
            f"certification/unknown-{name}.md",
            certification(extra=extra),
            error,
        )
    kinds = [
        ("self-certification", "did you mean certification?"),
        ("Certification", "is not a kind of disclosure"),
        ("system_card", "did you mean system-card?"),
        ("withdrawal", "is not a kind of disclosure"),
        ("incident-report", "is not a kind of disclosure"),
        ("12", "is not a kind of disclosure"),
        ("[certification]", "is not a kind of disclosure"),
        ("{kind: certification}", "is not a kind of disclosure"),
        ("сertification", "is not a kind of disclosure"),
        ("certifi\u200bcation", "is not a kind of disclosure"),
        ("", "kind: is required"),
    ]
    for number, (value, error) in enumerate(kinds):
        check(
            f"check/kind/{number:02d}-{re.sub(r'[^a-z0-9]+', '-', value.lower()).strip('-') or 'empty'}",
            f"kind: {value!r}, not one of the three kinds",
            f"kind/kind-{number:02d}.md",
            certification({"kind": value}),
            error,
        )


RULE = """  - id: HOSTILE-RULE
    applies_to: [certification]
    severity: error
    message: A message
    rationale: A rationale
    source: A source
    check: field-present
    params:
      field: statement
"""


def rule_pack(pack_id: str, *, extends: str = "candor-minimum-2026.1", rules: str = RULE, extra: str = "") -> str:
    return (
        f'id: {pack_id}\nversion: "1"\ntitle: Hostile pack\ndescription: A pack from the corpus\n'
        f"extends: {extends}\nrules:\n{rules}{extra}"
    )


def rule_packs() -> None:
    """Rule packs of one's own (``candor check --standard FILE.yaml``) that are malformed, cyclic or deceptive."""
    document = "{examples}/acme-ai/certification-2026.md"
    packs: list[tuple[str, bytes | str, str]] = [
        ("extends-itself", rule_pack("extends-itself", extends="extends-itself"), "cycle"),
        ("extends-unknown", rule_pack("extends-unknown", extends="no-such-standard"), "no-such-standard"),
        ("unknown-check", rule_pack("unknown-check", rules=RULE.replace("field-present", "run-shell")), "run-shell"),
        (
            "unknown-severity",
            rule_pack("unknown-severity", rules=RULE.replace("severity: error", "severity: fatal")),
            "severity",
        ),
        ("bad-rule-id", rule_pack("bad-rule-id", rules=RULE.replace("HOSTILE-RULE", "../../rule")), "id"),
        ("rules-not-list", rule_pack("rules-not-list", rules="  HOSTILE: 1\n"), "rules"),
        ("duplicate-rule", rule_pack("duplicate-rule", rules=RULE + RULE), "HOSTILE-RULE"),
        ("alias-bomb", rule_pack("alias-bomb", extra="x: &a [1, 1]\ny: [*a, *a]\n"), "anchors (&a)"),
        ("python-tag", rule_pack("python-tag", extra="x: !!python/object/apply:os.system [id]\n"), "YAML tags"),
        ("not-utf8", rule_pack("not-utf8").encode().replace(b"Hostile pack", b"Hostile p\xe4ck"), "not valid UTF-8"),
        ("id-differs-from-file", rule_pack("another-id"), "another-id"),
        ("empty", "", "file is empty"),
    ]
    for name, content, error in packs:
        path = put(f"standards/{name}.yaml", content)
        cli(
            f"check/standard/{name}",
            f"a rule pack of one's own: {name.replace('-', ' ')}",
            ["check", "--standard", path, document],
            error,
        )
    cli(
        "check/standard/missing-file",
        "a rule pack file that does not exist",
        ["check", "--standard", "{corpus}/standards/absent.yaml", document],
        "absent.yaml",
    )
    cli(
        "check/standard/directory",
        "a directory named like a rule pack",
        [
            "check",
            "--standard",
            put("standards/dir.yaml/placeholder.txt", "x") and "{corpus}/standards/dir.yaml",
            document,
        ],
        "dir.yaml",
    )
    cli(
        "check/standard/unknown-id",
        "a standard id nobody ships",
        ["check", "--standard", "no-such-standard", document],
        "no-such-standard",
    )
    cli(
        "check/standard/traversal-id",
        "a standard id that is a path",
        ["check", "--standard", "../../etc/passwd", document],
        "../../etc/passwd",
    )
    cli(
        "standards/show/unknown",
        "standards show of an id nobody ships",
        ["standards", "show", "no-such-standard"],
        "no-such-standard",
    )
    cli(
        "standards/show/traversal",
        "standards show of a path",
        ["standards", "show", "../../../etc/passwd"],
        "etc/passwd",
    )


def slugs_and_names() -> None:
    """Unicode confusables, bidi controls and zero-width characters in a document's developer slug."""
    for name, value in [
        ("cyrillic-a", "\u0430cme-ai"),
        ("greek-omicron", "acme-\u03bfi"),
        ("zero-width-space", "acme\u200b-ai"),
        ("zero-width-joiner", "acme\u200d-ai"),
        ("bidi-override", "acme-\u202eia"),
        ("bidi-isolate", "\u2066acme-ai\u2069"),
        ("fullwidth", "\uff41cme-ai"),
        ("soft-hyphen", "acme\u00ad-ai"),
        ("trailing-hyphen", "acme-ai-"),
        ("upper-case", "Acme-AI"),
        ("spaces", "acme ai"),
        ("traversal", "../acme-ai"),
        ("url", "https://acme-ai.example"),
    ]:
        check(
            f"check/developer-slug/{name}",
            f"a developer slug with {name.replace('-', ' ')}: one developer passing as another",
            f"slug/{name}.md",
            certification({"developer": json.dumps(value, ensure_ascii=False)}),
            "developer:",
        )


def front_matter_shape() -> None:
    """Front-matter fences and the body around them."""
    text = certification()
    for name, content, error in [
        ("fence-with-trailing-text", text.replace("---\n", "--- yaml\n", 1), "no front matter"),
        ("indented-fence", " " + text, "no front matter"),
        ("four-dashes", text.replace("---\n", "----\n", 1), "no front matter"),
        ("closing-fence-missing", text.replace("\n---\n", "\n", 1).replace("---\n", "---\n", 1), "never closed"),
        (
            "closing-dots",
            text.replace(
                "date: 2026-07-20\nexceptions:\n  - One shutdown drill overran its target by 34 minutes.\n---",
                "date: 2026-07-20\n...",
            ),
            "never closed",
        ),
        ("body-before-fence", "# Title\n" + text, "no front matter"),
        ("html-comment-before-fence", "<!-- a comment -->\n" + text, "no front matter"),
    ]:
        check(
            f"check/front-matter/{name}",
            f"a front matter fence that is not one: {name.replace('-', ' ')}",
            f"front-matter/{name}.md",
            content,
            error,
        )


def redaction_markup() -> None:
    """Redaction markup that Candor cannot read must be refused, never published in clear."""

    def doc(body: str) -> str:
        return certification(body="\n# Certification\n\n" + body)

    cases = [
        ("attribute-block", "::: {.redact category=trade-secret}\nsecret\n:::\n", "cannot read"),
        ("inline-over-two-lines", "The [secret\nsupplier]{.redact category=trade-secret}.\n", "must sit on one line"),
        (
            "unknown-category",
            '::: redact category=top-secret justification="x"\nsecret\n:::\n',
            "'top-secret' is not a redaction category",
        ),
        ("missing-category", '::: redact justification="x"\nsecret\n:::\n', "must give its category"),
        (
            "unknown-attribute",
            '::: redact category=trade-secret reason="x"\nsecret\n:::\n',
            "has no attribute 'reason'",
        ),
        (
            "duplicate-attribute",
            "::: redact category=trade-secret category=cybersecurity\nsecret\n:::\n",
            "gives category twice",
        ),
        ("unclosed-block", '::: redact category=trade-secret justification="x"\nsecret to the end\n', "line"),
        (
            "unterminated-quote",
            '::: redact category=trade-secret justification="never closed\nsecret\n:::\n',
            "cannot read",
        ),
        ("inline-unknown-category", "The [supplier]{.redact category=secret}.\n", "not a redaction category"),
        ("inline-missing-brace", "The [supplier]{.redact category=trade-secret.\n", "do not end with '}'"),
        (
            "placeholder-bad-commitment",
            '::: redacted category=trade-secret justification="x" size="<100" commitment=abc\n:::\n',
            "commitment must be 64",
        ),
        (
            "placeholder-bad-size",
            '::: redacted category=trade-secret justification="x" size="huge" commitment=' + "0" * 64 + "\n:::\n",
            "is not a size bucket",
        ),
        (
            "quoted-block-leaves-quote",
            '> ::: redact category=trade-secret justification="x"\n> secret\nescaped the quote\n:::\n',
            "line",
        ),
        (
            "nested-block",
            '::: redact category=trade-secret justification="x"\n'
            '::: redact category=cybersecurity justification="y"\nsecret\n:::\n:::\n',
            "cannot contain another",
        ),
    ]
    for name, body, error in cases:
        check(
            f"check/redaction/{name}",
            f"redaction markup: {name.replace('-', ' ')}",
            f"redaction/{name}.md",
            doc(body),
            error,
        )
    front = [
        (
            "front-matter-unknown-category",
            'statement: {redact: {category: secret, value: "x"}}',
            "not a redaction category",
        ),
        (
            "front-matter-redact-number",
            "framework_entry: {redact: {category: trade-secret, value: 6}}",
            "framework_entry",
        ),
        (
            "front-matter-redact-extra-key",
            'statement: {redact: {category: trade-secret, value: "x", note: y}}',
            "statement",
        ),
    ]
    for name, line, error in front:
        field = line.split(":")[0]
        content = certification({field: line.split(": ", 1)[1]})
        check(
            f"check/redaction/{name}",
            f"front-matter redaction: {name.replace('-', ' ')}",
            f"redaction/{name}.md",
            content,
            error,
        )
    redact_argv = ["--regulator-key", "{corpus}/keys/regulator.pub", "--out", "{tmp}"]
    unjustified = doc("::: redact category=trade-secret\nThe supplier is " + CANARY + ".\n:::\n")
    cli(
        "redact/refuses/no-justification",
        "a redaction without a justification, which the public could not weigh",
        ["redact", put("redaction/no-justification.md", unjustified), *redact_argv],
        "justification",
    )
    cli(
        "redact/refuses/bad-regulator-key",
        "a regulator key file that is a developer's Ed25519 key",
        [
            "redact",
            put(
                "documents/redaction/plain.md", doc('::: redact category=trade-secret justification="x"\nsecret\n:::\n')
            ),
            "--regulator-key",
            "{corpus}/keys/acme-ai.pub",
            "--out",
            "{tmp}",
        ],
        "acme-ai.pub",
    )
    cli(
        "redact/refuses/garbage-regulator-key",
        "a regulator key file of random text",
        [
            "redact",
            "{corpus}/documents/redaction/plain.md",
            "--regulator-key",
            put("keys/garbage.pub", "not a key at all\n"),
            "--out",
            "{tmp}",
        ],
        "garbage.pub",
    )
    cli(
        "redact/refuses/out-is-a-file",
        "an --out that is a file, not a directory (a missing directory is created)",
        [
            "redact",
            "{corpus}/documents/redaction/plain.md",
            "--regulator-key",
            "{corpus}/keys/regulator.pub",
            "--out",
            "{corpus}/keys/regulator.pub",
        ],
        "is not a directory",
    )
    cli(
        "redact/refuses/overwrite",
        "an --out directory already holding the public version",
        [
            "redact",
            "{corpus}/documents/redaction/plain.md",
            "--regulator-key",
            "{corpus}/keys/regulator.pub",
            "--out",
            "{tmp}",
        ],
        "already exists",
        prepare=["touch {tmp}/plain.md"],
    )


def redaction_splits() -> None:
    """Markup where the redaction parser and the Markdown renderer could disagree (the issue's attack list).

    The safe outcomes are two: ``candor redact`` refuses with one line naming the line, or the canary is absent
    from the public version it writes. Either passes; a public version holding the canary fails.
    """
    secret = f"The supplier is {CANARY}."
    block = f'::: redact category=trade-secret justification="Names a supplier"\n{secret}\n:::\n'
    split_cases: list[tuple[str, str, str, str]] = [
        (
            "short-closing-fence",
            "a ``` line that closes a ```` fence for the parser but not for CommonMark",
            "````\ncode\n```\n````\n" + block + "````\n",
            "",
        ),
        (
            "backtick-in-info-string",
            "a ``` opener whose info string holds a backtick: CommonMark reads no fence there",
            "``` a`b\n" + block + "```\n",
            "",
        ),
        (
            "fence-in-html-block",
            "a ``` line inside an HTML block, where CommonMark sees no fence",
            "<div>\n```\n</div>\n\n" + block + "\n```\n",
            "",
        ),
        (
            "tab-indented-fence",
            "a tab-indented ``` line: indented code for CommonMark, a fence for the parser",
            "\t```\n" + block + "\t```\n",
            "",
        ),
        (
            "nbsp-indented-fence",
            "a ``` line indented by a no-break space: a paragraph for CommonMark, a fence for the parser",
            "\u00a0```\n" + block + "\u00a0```\n",
            "",
        ),
        (
            "fence-closed-by-list-end",
            "a fence in a list item, which CommonMark closes when the list ends",
            "- item\n\n  ```\n  code\n\nafter the list\n\n" + block + "```\n",
            "",
        ),
        (
            "short-closing-tilde-fence",
            "a ~~~ line that closes a ~~~~ fence for the parser but not for CommonMark",
            "~~~~\ncode\n~~~\n~~~~\n" + block + "~~~~\n",
            "",
        ),
        (
            "closing-fence-with-text",
            "a ``` x line: a closing fence for the parser, text inside the code block for CommonMark",
            "```\ncode\n``` x\n```\n" + block + "```\n",
            "",
        ),
        ("cr-only-endings", "CR-only line endings around the block", block.replace("\n", "\r"), "cr"),
        ("capital-redact", "::: Redact with a capital R", block.replace("::: redact", "::: Redact"), ""),
    ]
    for name, attack, body, mode in split_cases:
        content = certification(body="\n# Certification\n\n" + body)
        if mode == "cr":
            content = certification(body="") + "\r# Certification\r\r" + body
        path = put(f"redaction-split/{name}.md", content)
        cli_outcome(
            f"redact/split/{name}",
            attack,
            ["redact", path, "--regulator-key", "{corpus}/keys/regulator.pub", "--out", "{tmp}"],
            {"exit_or_absent": {"canary": CANARY, "public": "{tmp}/" + name + ".md"}},
        )
    for name, attack, body in [
        ("html-comment", "a redaction block inside an HTML comment", "<!--\n" + block + "-->\n"),
        ("indented-code-block", "a redaction block after a four-space indented code line", "    code\n\n" + block),
        (
            "fence-in-blockquote",
            "a ``` fence opened inside a > quote, then the block outside it",
            "> ```\n> code\n\n" + block,
        ),
        ("crlf-endings", "CRLF line endings around the block", block.replace("\n", "\r\n")),
    ]:
        content = certification(body="\n# Certification\n\n" + body)
        cli_outcome(
            f"redact/split/{name}",
            attack,
            [
                "redact",
                put(f"redaction-split/{name}.md", content),
                "--regulator-key",
                "{corpus}/keys/regulator.pub",
                "--out",
                "{tmp}",
            ],
            {"exit_or_absent": {"canary": CANARY, "public": "{tmp}/" + name + ".md"}},
        )
    front = certification(
        {"statement": f"\"The supplier is [{CANARY}]{{.redact category=trade-secret justification='x'}}.\""}
    )
    cli_outcome(
        "redact/split/inline-markup-in-front-matter-string",
        "inline redaction markup inside a front-matter string, which only the body parser reads",
        [
            "redact",
            put("redaction-split/inline-markup-in-front-matter-string.md", front),
            "--regulator-key",
            "{corpus}/keys/regulator.pub",
            "--out",
            "{tmp}",
        ],
        {"exit_or_absent": {"canary": CANARY, "public": "{tmp}/inline-markup-in-front-matter-string.md"}},
    )
    many = " ".join(f'[w{i}]{{.redact category=trade-secret justification="x"}}' for i in range(2000))
    cli_outcome(
        "redact/quadratic-inline",
        "2,000 inline redactions on one line (the parser's cost must stay linear; only behaviour is asserted)",
        [
            "redact",
            put("redaction-split/many-inline.md", certification(body="\n" + many + "\n")),
            "--regulator-key",
            "{corpus}/keys/regulator.pub",
            "--out",
            "{tmp}",
        ],
        {"exit_or_absent": {"canary": "[w1999]", "public": "{tmp}/many-inline.md"}},
    )


FACT_TEXT_WRONG = [
    ("number", "12"),
    ("list", "[a]"),
    ("mapping", "{a: b}"),
    ("null", ""),
    ("boolean", "true"),
    ("date", "2026-01-01"),
]
QUANTITY_WRONG = [
    ("quoted", '"650000000"'),
    ("negative", "-1"),
    ("nan", ".nan"),
    ("infinity", ".inf"),
    ("negative-infinity", "-.inf"),
    ("overflowing-float", "1e999"),
    ("boolean", "true"),
    ("list", "[1]"),
    ("over-a-googol", "1.0e101"),
    ("over-a-googol-integer", "1" + "0" * 101),
    ("too-long", TOO_LONG),
    ("null", ""),
]
BOOL_WRONG = [("word", "maybe"), ("list", "[true]"), ("mapping", "{a: b}"), ("number", "2"), ("nan", ".nan")]
FACT_DATE_WRONG = [
    ("february-30", "2025-02-30"),
    ("year-zero", "0000-01-01"),
    ("number", "20250301"),
    ("text", "soon"),
]


def facts_fields() -> None:
    """Each field of a facts file, given each kind of value it must not accept.

    The error must name the field where the line's ``file:line: field: message`` puts it, not merely mention it.
    """
    optional_quantity = [wrong for wrong in QUANTITY_WRONG if wrong[0] != "null"]  # null means "not given"
    plan: list[tuple[str, list[tuple[str, str]]]] = [
        (
            "developer",
            [*FACT_TEXT_WRONG, ("upper-case", "Acme-AI"), ("zero-width", '"acme\u200b-ai"'), ("cyrillic", "аcme-ai")],
        ),
        ("legal_name", FACT_TEXT_WRONG),
        ("revenue_usd_by_year", [("number", "650000000"), ("list", "[650000000]"), ("text", "lots")]),
        ("revenue_usd_by_year[2025]", QUANTITY_WRONG),
        ("rnd_usd", optional_quantity),
        ("capex_usd", optional_quantity[:6]),
        ("academic_institution", BOOL_WRONG),
        ("located_in_new_york", BOOL_WRONG[:3]),
        ("empire_ai_consortium", BOOL_WRONG[:3]),
        ("new_york_operations", BOOL_WRONG[:3]),
        ("eu_established", BOOL_WRONG[:3]),
        ("models", [("text", "Acme-3"), ("mapping", "{name: Acme-3}"), ("number", "3")]),
        ("models[0].name", [*FACT_TEXT_WRONG[:4], ("empty", '""')]),
        ("models[0].training_compute_flop", QUANTITY_WRONG),
        ("models[0].training_compute_cost_usd", QUANTITY_WRONG[:5]),
        ("models[0].training_started", FACT_DATE_WRONG),
        ("models[0].released", FACT_DATE_WRONG[:4]),
        ("models[0].eu_market_intent", BOOL_WRONG[:3]),
        ("models[0].eu_placed_on", FACT_DATE_WRONG[:4]),
    ]
    for field, wrongs in plan:
        for name, value in wrongs:
            slug = re.sub(r"[^a-z0-9]+", "-", field).strip("-")
            # A year's revenue sits inside the mapping of years; every other field is written where it stands.
            replace = {"revenue_usd_by_year": f"{{2025: {value}}}"} if field.endswith("[2025]") else {field: value}
            coverage(
                f"coverage/fields/{slug}/{name}",
                f"{field} given a {name.replace('-', ' ')} value",
                f"fields/{slug}-{name}.yaml",
                facts(replace),
                # The YAML loader and the model spell a year's path differently (.2025, [2025]); either names it.
                f": {field.removesuffix('[2025]')}",
            )
    for name, key, error in [
        ("too-early", "1899", "1899 is not a year between 1900 and 2200"),
        ("too-late", "2201", "2201 is not a year between 1900 and 2200"),
        ("fraction", "2025.5", "is not a calendar year"),
        ("huge", NINES, "is not a calendar year"),
        ("infinity", ".inf", "is not a calendar year"),
        ("text", "last-year", "'last-year' is not a calendar year"),
        ("placeholder", "<year>", "placeholder"),
    ]:
        coverage(
            f"coverage/fields/revenue-usd-by-year-key/{name}",
            f"a year of revenue_usd_by_year that is {name.replace('-', ' ')}",
            f"fields/revenue-usd-by-year-key-{name}.yaml",
            facts({"revenue_usd_by_year": f"{{{key}: 650000000}}"}),
            error,
        )
    file_cases: list[tuple[str, bytes | str, str]] = [
        ("unknown-field-typo", facts(extra="rnd_usd_2025: 5"), "did you mean 'rnd_usd'?"),
        (
            "unknown-model-field",
            facts({"models[0].eu_placed_on": "2025-11-02\n    parameters: 70000000000"}),
            "models[0].parameters: unknown field",
        ),
        ("missing-developer", "\n".join(facts().splitlines()[1:]) + "\n", "developer: is required"),
        (
            "model-listed-twice",
            facts(
                {
                    "models": "["
                    + ", ".join(
                        [
                            "{name: A, training_compute_flop: 1, training_compute_cost_usd: 1, "
                            "training_started: 2025-01-01}"
                        ]
                        * 2
                    )
                    + "]"
                }
            ),
            "listed twice",
        ),
        (
            "released-before-training",
            facts({"models[0].released": "2025-01-01"}),
            "models[0].released: released on 2025-01-01 is before training started",
        ),
        ("facts-is-list", "- developer: acme-ai\n", "must be a YAML mapping"),
        ("facts-is-scalar", "acme-ai\n", "must be a YAML mapping"),
        ("alias-bomb", facts(extra="x: &a [1, 1]\ny: [*a, *a]"), "anchors (&a)"),
        ("python-tag", facts(extra="x: !!python/object/apply:os.system [id]"), "YAML tags"),
        ("duplicate-revenue", facts(extra="revenue_usd_by_year: {2025: 1}"), "written twice"),
        ("duplicate-year", facts({"revenue_usd_by_year": "{2025: 1, 2025: 2}"}), "written twice"),
        (
            "placed-on-eu-market-before-training",
            facts({"models[0].eu_placed_on": "2025-01-01"}),
            "models[0].eu_placed_on: placed on the EU market on 2025-01-01, before training started",
        ),
        (
            "models-over-the-limit",
            "developer: acme-ai\nlegal_name: Acme AI, Inc.\nmodels: [" + "{}, " * 10_000 + "{}]\n",
            "models: lists 10,001 models, over the limit of 10,000",
        ),
        ("deep-nesting", facts(extra="x: " + "[" * 100 + "]" * 100), "nested more than 64"),
        ("not-utf8", facts().encode().replace(b"Acme AI", b"Acm\xe9 AI"), "not valid UTF-8"),
        ("nul-byte", facts({"legal_name": "Acme\x00AI"}), "U+0000"),
        ("empty", b"", "file is empty"),
        ("placeholder", facts({"legal_name": "<legal-name>"}), "placeholder"),
        ("two-documents", facts() + "---\ndeveloper: rival-ai\n", "malformed YAML"),
        ("utf-16", facts().encode("utf-16"), "not valid UTF-8"),
    ]
    for name, content, error in file_cases:
        coverage(
            f"coverage/file/{name}", f"a facts file: {name.replace('-', ' ')}", f"file/{name}.yaml", content, error
        )
    old_format()
    valid = put("facts/valid.yaml", facts())
    for name, options, error in [
        ("as-of-not-a-date", ["--as-of", "tomorrow"], "--as-of 'tomorrow' is not a date"),
        ("as-of-year-zero", ["--as-of", "0000-01-01"], "is not a date"),
        ("as-of-february-30", ["--as-of", "2026-02-30"], "is not a date"),
        ("param-not-a-number", ["--param", "frontier_compute_flop=lots"], "is not NAME=NUMBER"),
        ("param-infinite", ["--param", "frontier_compute_flop=inf"], "is not NAME=NUMBER"),
        ("param-nan", ["--param", "frontier_compute_flop=nan"], "is not NAME=NUMBER"),
        ("param-negative", ["--param", "frontier_compute_flop=-1"], "is not NAME=NUMBER"),
        ("param-no-name", ["--param", "=1"], "is not NAME=NUMBER"),
        ("param-unknown", ["--param", "no_such_parameter=1"], "no_such_parameter"),
        ("regime-unknown", ["--regime", "no-such-regime"], "no-such-regime"),
        ("regime-traversal", ["--regime", "../../etc/passwd"], "../../etc/passwd"),
    ]:
        argv = ["coverage", valid, *options]
        if "--as-of" not in options:
            argv += ["--as-of", "2026-06-01"]
        cli(f"coverage/options/{name}", f"a coverage option: {name.replace('-', ' ')}", argv, error)
    huge = put("facts/huge-compute.yaml", facts({"models[0].training_compute_flop": NINES}))
    cli(
        "coverage/json/999-digit-compute",
        "a 999-digit training compute figure, which JSON output must not write as Infinity",
        ["coverage", huge, "--as-of", "2026-06-01", "-f", "json"],
        "models[0].training_compute_flop: must be at most 1e100",
    )
    CASES[-1]["expect"]["names"] = huge
    far = put(
        "facts/far-future.yaml",
        facts(
            {
                "models[0].training_started": "9999-12-31",
                "models[0].released": "9999-12-31",
                "models[0].eu_placed_on": "9999-12-31",
            }
        ),
    )
    cli_outcome(
        "coverage/far-future-dates",
        "a model trained and released on 9999-12-31, so that due dates fall past the last date Python knows",
        ["coverage", far, "--as-of", "2026-06-01"],
        {"exit_or_clean": {"error": "9999-12-31"}},
    )


def old_format() -> None:
    """Facts files in the old format: each refused in one line naming the first old field and how to rewrite it.

    Nothing converts them silently (R&D plus capex does not split in two), so the line must say what to write.
    """
    rewrite_revenue = "replace fiscal_year and annual_revenue_usd by revenue_usd_by_year: {2025: 650000000}"
    rewrite_rnd = "replace rnd_capex_usd by two figures, rnd_usd and capex_usd"
    rewrite_eu = "replace placed_on_eu_market by eu_market_intent: true|false and eu_placed_on: YYYY-MM-DD or null"
    new_top = "\n".join(line for line in facts().splitlines() if not line.startswith(("rnd_usd", "capex_usd")))
    for name, content, error in [
        ("whole-file", OLD_FACTS, "3: fiscal_year: is a field of the old facts format (" + rewrite_revenue),
        ("whole-file-names-every-rewrite", OLD_FACTS, rewrite_rnd + ": the seed proposal"),
        ("whole-file-eu-rewrite", OLD_FACTS, rewrite_eu + " (see docs/regimes.md)"),
        (
            "annual-revenue-only",
            facts(extra="annual_revenue_usd: 650000000"),
            "annual_revenue_usd: is a field of the old facts format (" + rewrite_revenue,
        ),
        (
            "rnd-capex-only",
            new_top + "\nrnd_capex_usd: 1200000000\n",
            "rnd_capex_usd: is a field of the old facts format (" + rewrite_rnd,
        ),
        (
            "placed-on-eu-market-in-a-model",
            facts({"models[0].eu_placed_on": "2025-11-02\n    placed_on_eu_market: true"}),
            "models[0].placed_on_eu_market: is a field of the old facts format (" + rewrite_eu,
        ),
        (
            "old-field-in-second-model",
            facts(
                {
                    "models": "[{name: A, training_compute_flop: 1, training_started: 2025-01-01}, "
                    "{name: B, training_compute_flop: 1, training_started: 2025-01-01, placed_on_eu_market: false}]"
                }
            ),
            "models[1].placed_on_eu_market: is a field of the old facts format",
        ),
    ]:
        coverage(
            f"coverage/old-format/{name}",
            f"a facts file in the old format: {name.replace('-', ' ')}",
            f"old-format/{name}.yaml",
            content,
            error,
        )
    cli(
        "admin/facts/old-format",
        "admin facts set with a facts file in the old format, which the registry must not store",
        ["admin", "facts", "set", "acme-ai", "{corpus}/facts/old-format/whole-file.yaml", "--data-dir", "{registry}"],
        "fiscal_year: is a field of the old facts format",
    )


def keys() -> None:
    """Key files that are not the key asked for, given to the commands that read them."""
    acme = developer_key("acme-ai")
    put("keys/acme-ai.pub", public_key_pem(acme.public_key()))
    garbage = {
        "empty.pub": b"",
        "text.pub": b"hello\n",
        "truncated.pub": public_key_pem(acme.public_key())[:60],
        "binary.pub": bytes(range(256)),
        "private-as-public.pub": private_key_pem(acme),
        "regulator-as-developer.pub": b"",  # filled below
        "rsa-header.pub": b"-----BEGIN RSA PUBLIC KEY-----\nMAoCAwEAAQIDAQAB\n-----END RSA PUBLIC KEY-----\n",
        "bad-base64.pub": b"-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n",
    }
    garbage["regulator-as-developer.pub"] = (CORPUS / "keys" / "regulator.pub").read_bytes()
    for name, content in garbage.items():
        path = put(f"keys/hostile/{name}", content)
        cli(
            f"admin/developer-add/key-{name.removesuffix('.pub')}",
            f"a developer public key file: {name.removesuffix('.pub').replace('-', ' ')}",
            [
                "admin",
                "developer",
                "add",
                "key-test",
                "--name",
                "Key Test",
                "--domain",
                "key-test.example",
                "--public-key",
                path,
                "--data-dir",
                "{registry}",
            ],
            name,
        )
    for name, content in {
        "empty.key": b"",
        "public-as-private.key": public_key_pem(acme.public_key()),
        "text.key": b"PRIVATE KEY\n",
        "encrypted-header.key": b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
        "regulator-private.key": (CORPUS / "keys" / "regulator.key").read_bytes(),
    }.items():
        path = put(f"keys/hostile/{name}", content)
        cli(
            f"publish/key-{name.removesuffix('.key')}",
            f"a signing key file: {name.removesuffix('.key').replace('-', ' ')} (refused before any network use)",
            [
                "publish",
                "{examples}/acme-ai/certification-2026.md",
                "--registry",
                "http://127.0.0.1:9",
                "--token",
                "t",
                "--key",
                path,
            ],
            name,
        )
    for name, content in {"empty.pub": b"", "developer-key.pub": public_key_pem(acme.public_key())}.items():
        path = put(f"keys/hostile/regulator-{name}", content)
        cli(
            f"regulator/redact-key-{name.removesuffix('.pub')}",
            f"a regulator public key file: {name.removesuffix('.pub').replace('-', ' ')}",
            ["redact", "{corpus}/documents/redaction/plain.md", "--regulator-key", path, "--out", "{tmp}"],
            name,
        )


def admin_slugs() -> None:
    """Registering a developer whose slug or name could pass for another's."""

    def add(case_id: str, attack: str, slug: str, name: str, error: str) -> None:
        cli(
            f"admin/developer-add/{case_id}",
            attack,
            [
                "admin",
                "developer",
                "add",
                slug,
                "--name",
                name,
                "--domain",
                f"{case_id}.example",
                "--public-key",
                "{corpus}/keys/acme-ai.pub",
                "--data-dir",
                "{registry}",
            ],
            error,
        )

    add(
        "upper-case-slug", "an upper-case slug, another spelling of a registered one", "Acme-AI", "Acme", "is not valid"
    )
    add("cyrillic-slug", "a Cyrillic а in the slug: a homograph of acme-ai", "\u0430cme-ai", "Acme", "is not valid")
    add("zero-width-slug", "a zero-width space inside the slug", "acme\u200b-ai", "Acme", "is not valid")
    add("bidi-slug", "a right-to-left override inside the slug", "acme-\u202eia", "Acme", "is not valid")
    add("trailing-hyphen-slug", "a slug ending with a hyphen", "acme-ai-", "Acme", "is not valid")
    add("long-slug", "a 65-character slug", "a" * 65, "Acme", "is not valid")
    add("traversal-slug", "a slug that is a path", "../acme-ai", "Acme", "is not valid")
    add("empty-name", "a blank legal name", "blank-name", "   ", "legal name")
    add("already-registered", "registering acme-ai a second time", "acme-ai", "Acme AI, Inc.", "already registered")
    cli(
        "admin/developer-add/bad-domain",
        "a website domain that is a URL with a path",
        [
            "admin",
            "developer",
            "add",
            "bad-domain",
            "--name",
            "Bad",
            "--domain",
            "https://evil.example/acme",
            "--public-key",
            "{corpus}/keys/acme-ai.pub",
            "--data-dir",
            "{registry}",
        ],
        "is not a host name",
    )
    cli(
        "admin/developer-add/cyrillic-domain",
        "a website domain with a Cyrillic homograph",
        [
            "admin",
            "developer",
            "add",
            "homograph-domain",
            "--name",
            "H",
            "--domain",
            "\u0430cme-ai.example",
            "--public-key",
            "{corpus}/keys/acme-ai.pub",
            "--data-dir",
            "{registry}",
        ],
        "is not a host name",
    )
    add(
        "lookalike-rn-for-m",
        "acrne-ai beside acme-ai: rn reads as m",
        "acrne-ai",
        "Acrne AI",
        "the slug 'acrne-ai' reads like 'acme-ai'",
    )
    add(
        "lookalike-legal-name",
        "a legal name whose first letter is a Greek capital alpha: a homograph of Acme AI, Inc.",
        "greek-acme",
        "\u0391cme AI, Inc.",
        "reads like 'Acme AI, Inc.', the legal name of the registered developer 'acme-ai'",
    )
    add(
        "double-hyphen-slug",
        "acme--ai: a double hyphen beside acme-ai",
        "acme--ai",
        "Acme AI",
        "developer slug 'acme--ai' is not valid",
    )
    add(
        "bidi-in-name",
        "a right-to-left override in the legal name",
        "bidi-name",
        "Acme \u202eIA emcA",
        "the legal name holds U+202E RIGHT-TO-LEFT OVERRIDE",
    )
    add(
        "zero-width-in-name",
        "a zero-width space in the legal name",
        "zero-width-name",
        "Acme\u200b AI, Inc.",
        "the legal name holds U+200B ZERO WIDTH SPACE",
    )
    cli(
        "admin/token/unknown-developer",
        "a token for a developer nobody registered",
        ["admin", "token", "create", "nobody", "--data-dir", "{registry}"],
        "no developer 'nobody'",
        exit_code=3,
    )
    cli(
        "admin/facts/unknown-developer",
        "facts for a developer nobody registered",
        ["admin", "facts", "set", "nobody", "{corpus}/facts/valid.yaml", "--data-dir", "{registry}"],
        "no developer 'nobody'",
        exit_code=3,
    )
    cli(
        "admin/facts/bad-file",
        "admin facts set with a facts file that does not parse",
        ["admin", "facts", "set", "acme-ai", "{corpus}/facts/file/alias-bomb.yaml", "--data-dir", "{registry}"],
        "anchors",
    )


# --- Proofs, checkpoints and signed notes ---------------------------------------------------------------------------


def developer_key(slug: str) -> Ed25519PrivateKey:
    pem = kept(f"keys/{slug}.key", lambda: private_key_pem(Ed25519PrivateKey.generate()))
    return load_private_key(slug, pem)


def log_signer() -> Signer:
    pem = kept("keys/log.key", lambda: private_key_pem(Ed25519PrivateKey.generate()))
    return Signer(LOG_ORIGIN, load_private_key("log", pem))


def regulator_key() -> X25519PrivateKey:
    pem = kept("keys/regulator.key", lambda: regulator_private_pem(X25519PrivateKey.generate()))
    key = load_regulator_private_key("regulator", pem)
    put("keys/regulator.pub", regulator_public_pem(key.public_key()))
    return key


#: What verify says when a proof's path does not lead to its checkpoint's root, or the checkpoint's signature fails.
NOT_PROVEN = "entry is not proven at index"
BAD_SIGNATURE = "checkpoint rejected: invalid signature for trusted key hostile.test/log"
NO_SIGNATURE = "checkpoint rejected: note has no valid signature from a trusted key"


def proofs() -> None:
    """Malformed tlog-proofs, checkpoints and signed notes, for ``candor verify --proof`` and ``log check-proof``."""
    acme = developer_key("acme-ai")
    signer = log_signer()
    other = Signer("other.test/log", acme)
    put("keys/log.vkey", signer.vkey() + "\n")
    document = (EXAMPLES / "acme-ai" / "system-card-acme-3.md").read_bytes()
    put("proofs/document.md", document)
    statement = statement_for_document(parse_bytes("card.md", document), document, ISSUED, origin=LOG_ORIGIN)
    entry = statement.canonical_bytes()
    put("proofs/entry.json", entry)
    signature = acme.sign(entry)
    evidence = StatementEvidence(entry, signature, public_key_raw(acme.public_key())).to_extra()
    sibling = hashlib.sha256(b"the other entry").digest()
    root = node_hash(leaf_hash(entry), leaf_hash(b"the other entry"))
    del sibling
    other_leaf = leaf_hash(b"the other entry")

    def note(origin: str = LOG_ORIGIN, size: int = 2, tree_root: bytes = root, by: Signer = signer) -> str:
        return sign_checkpoint(Checkpoint(origin, size, tree_root), by).decode()

    good_note = note()
    valid = format_tlog_proof(0, [other_leaf], good_note.encode(), extra=evidence)
    put("proofs/valid.proof", valid)
    head, _, checkpoint = valid.partition("\n\n")
    lines = head.split("\n")
    signature_line = checkpoint.rstrip("\n").split("\n")[-1]
    forged = signature_line[:-6] + ("AAAAAA" if not signature_line.endswith("AAAAAA") else "BBBBBB")
    variants: list[tuple[str, str, str | bytes, str]] = [
        ("empty", "an empty proof file", b"", "no blank line"),
        ("no-header", "a proof without its header line", "\n".join(lines[1:]) + "\n\n" + checkpoint, "must start with"),
        (
            "wrong-header",
            "a proof claiming another format version",
            valid.replace("tlog-proof@v1", "tlog-proof@v2", 1),
            "must start with",
        ),
        (
            "no-blank-line",
            "a proof with no blank line before the checkpoint",
            valid.replace("\n\n", "\n", 1),
            "tlog-proof line",
        ),
        ("crlf", "a proof written with CRLF line endings", valid.replace("\n", "\r\n"), "tlog-proof"),
        ("cr-only", "a proof written with CR-only line endings", valid.replace("\n", "\r"), "tlog-proof"),
        ("index-negative", "index -1", valid.replace("\nindex 0\n", "\nindex -1\n"), "must be 'index N'"),
        (
            "index-leading-zero",
            "index 00, a second spelling of 0",
            valid.replace("\nindex 0\n", "\nindex 00\n"),
            "must be 'index N'",
        ),
        ("index-huge", "an index of 999 digits", valid.replace("\nindex 0\n", f"\nindex {NINES}\n"), "outside a tree"),
        ("index-word", "index zero, in words", valid.replace("\nindex 0\n", "\nindex zero\n"), "must be 'index N'"),
        ("index-missing", "no index line", valid.replace("\nindex 0\n", "\n"), "must be 'index N'"),
        ("index-wrong", "index 1: the sibling's place", valid.replace("\nindex 0\n", "\nindex 1\n"), NOT_PROVEN),
        (
            "hash-bad-base64",
            "an audit-path hash that is not base64",
            valid.replace(lines[-1], "!!!!"),
            "not valid base64",
        ),
        (
            "hash-short",
            "an audit-path hash of 16 bytes",
            valid.replace(lines[-1], base64.b64encode(b"x" * 16).decode()),
            "32-byte hash",
        ),
        (
            "hash-flipped",
            "an audit-path hash with one bit flipped",
            valid.replace(lines[-1], base64.b64encode(bytes([other_leaf[0] ^ 1]) + other_leaf[1:]).decode()),
            NOT_PROVEN,
        ),
        (
            "hashes-65",
            "65 audit-path hashes, more than any tree needs",
            valid.replace(lines[-1], "\n".join([lines[-1]] * 65)),
            "no tree needs more than 64",
        ),
        (
            "extra-not-base64",
            "an extra line that is not base64",
            valid.replace(lines[1], "extra !!!"),
            "not valid base64",
        ),
        (
            "extra-not-json",
            "an extra line that is base64 of text",
            valid.replace(lines[1], "extra " + base64.b64encode(b"hello").decode()),
            "extra line",
        ),
        (
            "extra-wrong-type",
            "evidence of another type",
            valid.replace(lines[1], "extra " + base64.b64encode(json.dumps({"type": "x"}).encode()).decode()),
            "not candor.evidence/v1",
        ),
        ("extra-missing", "no extra line, so no statement", valid.replace(lines[1] + "\n", ""), "no extra line"),
        ("extra-twice", "two extra lines", valid.replace(lines[1], lines[1] + "\n" + lines[1]), "tlog-proof"),
        (
            "checkpoint-missing",
            "nothing after the blank line",
            head + "\n\n",
            "malformed note: no blank line before the signatures",
        ),
        (
            "note-unsigned",
            "a checkpoint with no signature line",
            head + "\n\n" + checkpoint.split("\n\n")[0] + "\n\n",
            "malformed note: the signature block must be non-empty and end with a newline",
        ),
        (
            "note-bad-signature",
            "a checkpoint whose signature was altered",
            head + "\n\n" + checkpoint.replace(signature_line, forged),
            BAD_SIGNATURE,
        ),
        (
            "note-other-key",
            "a checkpoint signed by another log's key",
            head + "\n\n" + note(origin="other.test/log", by=other),
            NO_SIGNATURE,
        ),
        (
            "note-extra-line",
            "a checkpoint with an extension line added",
            head + "\n\n" + checkpoint.replace("\n\n", "\nextension\n\n", 1),
            BAD_SIGNATURE,
        ),
        (
            "note-line-after-signature",
            "a signed note with a line after its signatures",
            valid + "trailing line\n",
            "malformed note: signature line 'trailing line' does not start with an em dash and a space",
        ),
        (
            "note-no-final-newline",
            "a signed note without its final newline",
            valid.rstrip("\n"),
            "malformed note: the signature block must be non-empty and end with a newline",
        ),
        (
            "note-size-zero",
            "a checkpoint of size 0 that claims to hold the entry",
            head + "\n\n" + note(size=0),
            "not proven",
        ),
        (
            "note-size-huge",
            "a checkpoint of size 2^64",
            head + "\n\n" + checkpoint.replace("\n2\n", f"\n{1 << 64}\n", 1),
            "checkpoint size 18446744073709551616 is outside 0..2^64-1",
        ),
        (
            "note-root-other",
            "a checkpoint over another root, signed",
            head + "\n\n" + note(tree_root=hashlib.sha256(b"x").digest()),
            NOT_PROVEN,
        ),
        (
            "note-origin-other",
            "a checkpoint of another origin signed by this log's key",
            head
            + "\n\n"
            + sign_checkpoint(
                Checkpoint("evil.test/log", 2, root),
                Signer("evil.test/log", load_private_key("log", (CORPUS / "keys" / "log.key").read_bytes())),
            ).decode(),
            NO_SIGNATURE,
        ),
        (
            "not-utf8",
            "a proof with bytes that are not UTF-8",
            valid.encode().replace(b"index 0", b"index \xff"),
            "index",
        ),
        (
            "nul",
            "a proof with a NUL byte in its header",
            valid.replace("c2sp.org", "c2sp\x00org", 1),
            "must start with",
        ),
    ]
    for name, attack, content, error in variants:
        path = put(f"proofs/{name}.proof", content)
        cli(
            f"verify/proof/{name}",
            f"verify --proof: {attack}",
            ["verify", "{corpus}/proofs/document.md", "--proof", path, "--vkey", "{corpus}/keys/log.vkey"],
            error,
        )
    cli(
        "verify/proof/huge",
        "verify --proof: a proof one byte over the 1 MiB limit",
        ["verify", "{corpus}/proofs/document.md", "--proof", "{tmp}/huge.proof", "--vkey", "{corpus}/keys/log.vkey"],
        "over the limit",
        prepare=["sparse {tmp}/huge.proof 1048577"],
    )
    for name in ["no-header", "index-wrong", "note-bad-signature", "note-other-key", "hashes-65", "note-root-other"]:
        cli(
            f"log/check-proof/{name}",
            f"log check-proof: the {name.replace('-', ' ')} proof",
            [
                "log",
                "check-proof",
                f"{{corpus}}/proofs/{name}.proof",
                "{corpus}/proofs/entry.json",
                "--vkey",
                "{corpus}/keys/log.vkey",
            ],
            "proof",
        )
    logs(signer, other, root)
    cli(
        "verify/document-altered",
        "a document altered after it was signed",
        [
            "verify",
            put("proofs/altered.md", document.replace(b"Acme-3", b"Acme-4", 1)),
            "--proof",
            "{corpus}/proofs/valid.proof",
            "--vkey",
            "{corpus}/keys/log.vkey",
        ],
        "but the signed statement names",
        exit_code=1,
    )
    cli(
        "verify/pinned-key-mismatch",
        "a pinned developer key that did not sign",
        [
            "verify",
            "{corpus}/proofs/document.md",
            "--proof",
            "{corpus}/proofs/valid.proof",
            "--vkey",
            "{corpus}/keys/log.vkey",
            "--developer-key",
            put("keys/rival-ai.pub", public_key_pem(developer_key("rival-ai").public_key())),
        ],
        "not the pinned developer key",
        exit_code=1,
    )
    cli(
        "verify/no-vkey",
        "verify --proof without the log's key",
        ["verify", "{corpus}/proofs/document.md", "--proof", "{corpus}/proofs/valid.proof"],
        "offline verification needs the verifier key of log hostile.test/log, and none is pinned",
    )
    cli(
        "verify/no-source",
        "verify with neither a registry nor a proof",
        ["verify", "{corpus}/proofs/document.md"],
        "say where the proof comes from",
    )
    vkey = signer.vkey()
    name_, hex_id, encoded = vkey.split("+", 2)
    for name, value, error in [
        ("vkey-empty-file", put("keys/hostile/empty.vkey", ""), "holds no verifier key"),
        ("vkey-wrong-id", f"{name_}+00000000+{encoded}", "key id 00000000 does not match the key"),
        ("vkey-bad-base64", f"{name_}+{hex_id}+!!!!", "malformed verifier key: key is not valid base64"),
        (
            "vkey-short-key",
            f"{name_}+{hex_id}+" + base64.b64encode(b"\x01" + b"k" * 16).decode(),
            "holds 16 key bytes, not 32",
        ),
        (
            "vkey-wrong-type",
            f"{name_}+{hex_id}+" + base64.b64encode(b"\x07" + b"k" * 32).decode(),
            "has signature type 0x07, expected 0x01",
        ),
        ("vkey-other-log", other.vkey(), NO_SIGNATURE),
        ("vkey-space-in-name", f"hostile test+{hex_id}+{encoded}", "invalid key name 'hostile test'"),
    ]:
        cli(
            f"verify/{name}",
            f"verify with a log key: {name.removeprefix('vkey-').replace('-', ' ')}",
            ["verify", "{corpus}/proofs/document.md", "--proof", "{corpus}/proofs/valid.proof", "--vkey", value],
            error,
        )


def logs(signer: Signer, other: Signer, root: bytes) -> None:
    """Log directories whose checkpoint is malformed, forged or promises tiles that are not there, for ``log verify``,
    and a standalone log's commands given impossible arguments."""
    signed = sign_checkpoint(Checkpoint(LOG_ORIGIN, 2, root), signer).decode()
    for name, attack, checkpoint, error in [
        ("empty-checkpoint", "an empty checkpoint file", "", "checkpoint"),
        ("garbage-checkpoint", "a checkpoint of random words", "hello world\n", "checkpoint"),
        (
            "unsigned-checkpoint",
            "a checkpoint without a signature",
            Checkpoint(LOG_ORIGIN, 2, root).to_text(),
            "checkpoint",
        ),
        (
            "forged-checkpoint",
            "a checkpoint signed by another key",
            sign_checkpoint(Checkpoint("other.test/log", 2, root), other).decode(),
            "checkpoint",
        ),
        (
            "extension-line",
            "a checkpoint with an extension line, signed",
            sign_note(Checkpoint(LOG_ORIGIN, 2, root).to_text() + "extra\n", signer).decode(),
            "extension",
        ),
        ("missing-tiles", "a signed checkpoint whose tiles are not there", signed, "tile"),
        (
            "size-2-64",
            "a signed checkpoint of size 2^64-1 with no tiles",
            sign_checkpoint(Checkpoint(LOG_ORIGIN, (1 << 64) - 1, root), signer).decode(),
            "tile",
        ),
        (
            "crlf-checkpoint",
            "a signed checkpoint rewritten with CRLF endings",
            signed.replace("\n", "\r\n"),
            "checkpoint",
        ),
    ]:
        put(f"logs/{name}/checkpoint", checkpoint)
        cli(
            f"log/verify/{name}",
            f"log verify: {attack}",
            ["log", "verify", f"{{corpus}}/logs/{name}", "--vkey", "{corpus}/keys/log.vkey"],
            error,
        )
    with_log = ["log {tmp}/log"]
    for name, attack, argv, error in [
        (
            "prove-beyond",
            "prove an entry the log does not hold",
            ["log", "prove", "{tmp}/log", "5"],
            "is not in the published log",
        ),
        ("prove-huge", "prove entry 2^70", ["log", "prove", "{tmp}/log", str(1 << 70)], "is not in the published log"),
        (
            "consistency-backwards",
            "a consistency proof from a larger size to a smaller",
            ["log", "consistency", "{tmp}/log", "2", "1"],
            "need 0 <= OLD <= NEW",
        ),
        (
            "consistency-beyond",
            "a consistency proof to a size the log never had",
            ["log", "consistency", "{tmp}/log", "0", "99"],
            "need 0 <= OLD <= NEW",
        ),
        ("add-nothing", "log add with no entries", ["log", "add", "{tmp}/log"], "nothing to add"),
        (
            "add-both",
            "log add with files and --lines together",
            ["log", "add", "{tmp}/log", "{corpus}/proofs/entry.json", "--lines", "{corpus}/proofs/entry.json"],
            "not both",
        ),
        (
            "add-long-line",
            "a --lines file whose line is over 65,535 bytes",
            ["log", "add", "{tmp}/log", "--lines", put("logs/long-line.txt", "short\n" + "x" * 70_000 + "\n")],
            "long-line.txt:2",
        ),
        (
            "add-long-entry",
            "an entry file over 65,535 bytes",
            ["log", "add", "{tmp}/log", put("logs/long-entry.bin", b"x" * 70_000)],
            "long-entry.bin",
        ),
        (
            "init-existing",
            "log init over an existing log",
            ["log", "init", "{tmp}/log", "--origin", "hostile.test/again"],
            "log",
        ),
        ("vkey-not-a-log", "log vkey of a directory that is no log", ["log", "vkey", "{corpus}/keys"], "keys"),
        ("publish-not-a-log", "log publish of a directory that is no log", ["log", "publish", "{corpus}/keys"], "keys"),
    ]:
        cli(f"log/local/{name}", f"a standalone log: {attack}", argv, error, prepare=with_log)
    for name, origin in [
        ("origin-empty", ""),
        ("origin-space", "hostile test/log"),
        ("origin-plus", "hostile+test/log"),
        ("origin-newline", "hostile.test\nlog"),
    ]:
        cli(
            f"log/init/{name}",
            f"log init with an origin that is no key name: {origin!r}",
            ["log", "init", "{tmp}/new-log", "--origin", origin],
            "invalid key name" if name != "origin-empty" else "",
        )


def hostile_registries() -> None:
    """Registries that answer ``candor verify``, ``publish`` and ``withdraw`` with what the API never promises.

    Each ``registries/<name>.json`` lists routes (method, path prefix, status, content type, body) that the test's
    hostile server answers under ``{hostile}/<name>``; the CLI must turn every such answer into one line.
    """
    document = "{examples}/acme-ai/sdf-v1.md"
    digest_prefix = "/api/v1/statements/by-document/"
    statement_id = "a" * 64

    def registry(name: str, *routes: tuple[str, str, int, str, str]) -> str:
        listing = [
            {"method": method, "prefix": prefix, "status": status, "content_type": content_type, "body": body}
            for method, prefix, status, content_type, body in routes
        ]
        put(f"registries/{name}.json", json.dumps({"routes": listing}, indent=1) + "\n")
        return "{hostile}/" + name

    def by_document(name: str, status: int, content_type: str, body: str) -> str:
        return registry(name, ("GET", digest_prefix, status, content_type, body))

    json_type, html = "application/json", "text/html"
    # The corpus log's signed checkpoint (the one its valid proof holds): a registry answers it at /log/checkpoint,
    # which publish reads for the origin to sign and verify for the log's newest state.
    checkpoint = (CORPUS / "proofs" / "valid.proof").read_text("utf-8").partition("\n\n")[2]
    checkpoint_route = ("GET", "/log/checkpoint", 200, "text/plain", checkpoint)
    # One statement as the API describes it, for the registries that break a later step.
    listed = json.dumps(
        [{"id": statement_id, "developer": "acme-ai", "kind": "secure-development-framework", "version": "1.0"}]
    )
    for name, attack, url, error in [
        (
            "by-document-html",
            "a 200 answer that is an HTML page, not JSON",
            by_document("by-document-html", 200, html, "<html>hi</html>"),
            "answered text/html, not a JSON answer (application/json)",
        ),
        (
            "by-document-empty",
            "a 200 answer with an empty body",
            by_document("by-document-empty", 200, json_type, ""),
            "the answer is not JSON",
        ),
        (
            "by-document-numbers",
            "a list of numbers where statements belong",
            by_document("by-document-numbers", 200, json_type, "[1, 2]"),
            "the registry's answer is not a list of statements: 0: Input should be a valid dictionary",
        ),
        (
            "by-document-no-id",
            "a statement without its id",
            by_document("by-document-no-id", 200, json_type, '[{"kind": "system-card"}]'),
            "the registry's answer is not a list of statements: 0.id: Field required",
        ),
        (
            "by-document-object",
            "an object where a list belongs",
            by_document("by-document-object", 200, json_type, "{}"),
            "is not a list of statements: (the whole answer): Input should be a valid list",
        ),
        (
            "by-document-500",
            "a 500 with an HTML body",
            by_document("by-document-500", 500, html, "<h1>Internal Server Error</h1>"),
            "answered HTTP 500 Internal Server Error, not a Candor registry's error",
        ),
        (
            "by-document-404-json",
            "a 404 in the error shape",
            by_document(
                "by-document-404-json",
                404,
                json_type,
                '{"error": {"code": "not_found", "message": "nothing", "detail": null}}',
            ),
            "nothing",
        ),
        (
            "by-document-multiline-message",
            "an error message of two lines, to forge a second line of output",
            by_document(
                "by-document-multiline-message",
                422,
                json_type,
                '{"error": {"code": "x", "message": "first\\nerror: forged second line", "detail": null}}',
            ),
            "first",
        ),
        (
            "by-document-escape-sequence",
            "an error message holding terminal escapes, to erase the line and print a forged one",
            by_document(
                "by-document-escape-sequence",
                422,
                json_type,
                json.dumps({"error": {"code": "x", "message": "first\u001b[2K\u001b[1Gerror: forged", "detail": None}}),
            ),
            "422 first\\x1b[2K\\x1b[1Gerror: forged",
        ),
        (
            "by-document-markup-message",
            "an error message holding console markup, which must print as written, not style or crash the line",
            by_document(
                "by-document-markup-message",
                422,
                json_type,
                json.dumps(
                    {"error": {"code": "x", "message": "closed [/bold] [link=file:///etc]here[/link]", "detail": None}}
                ),
            ),
            "422 closed [/bold] [link=file:///etc]here[/link]",
        ),
        (
            "by-document-bidi-message",
            "an error message holding a right-to-left override, to show a line that reads otherwise",
            by_document(
                "by-document-bidi-message",
                422,
                json_type,
                json.dumps({"error": {"code": "x", "message": "verified \u202edeifirev ton", "detail": None}}),
            ),
            "422 verified \\u202edeifirev ton",
        ),
        (
            "by-document-redirect",
            "a redirect to another host",
            registry("by-document-redirect", ("GET", digest_prefix, 302, "text/plain", "")),
            "redirects to another origin (http://127.0.0.1:9)",
        ),
        (
            "proof-garbage",
            "a tlog-proof that is not one",
            registry(
                "proof-garbage",
                (
                    "GET",
                    digest_prefix,
                    200,
                    json_type,
                    listed,
                ),
                ("GET", f"/api/v1/statements/{statement_id}/tlog-proof", 200, "text/plain", "not a proof"),
                ("GET", "/log/vkey", 200, "text/plain", (CORPUS / "keys" / "log.vkey").read_text()),
                checkpoint_route,
            ),
            "tlog-proof",
        ),
        (
            "vkey-empty",
            "an empty verifier key",
            registry(
                "vkey-empty",
                (
                    "GET",
                    digest_prefix,
                    200,
                    json_type,
                    listed,
                ),
                (
                    "GET",
                    f"/api/v1/statements/{statement_id}/tlog-proof",
                    200,
                    "text/plain",
                    (CORPUS / "proofs" / "valid.proof").read_text(),
                ),
                ("GET", "/log/vkey", 200, "text/plain", ""),
            ),
            "empty",
        ),
    ]:
        cli(
            f"verify/registry/{name}",
            f"verify --registry: {attack}",
            ["verify", document, "--registry", url],
            error,
        )
    # A redirect whose Location is no URL at all: same origin or not, it must be one line, not an exception.
    put(
        "registries/by-document-redirect-bad-url.json",
        json.dumps(
            {
                "routes": [
                    {
                        "method": "GET",
                        "prefix": digest_prefix,
                        "status": 302,
                        "content_type": "text/plain",
                        "body": "",
                        "location": "http://[::1",
                    }
                ]
            },
            indent=1,
        )
        + "\n",
    )
    cli(
        "verify/registry/by-document-redirect-bad-url",
        "verify --registry: a redirect to a Location that is not a URL",
        ["verify", document, "--registry", "{hostile}/by-document-redirect-bad-url"],
        "cannot reach the server (Invalid URL in location header: Invalid port: ':1'.)",
    )
    # File names are untrusted too: a newline in one must not make a second line of error.
    for command, suffix in [("check", ".md"), ("coverage", ".yaml")]:
        cli(
            f"{command}/file-name-with-newline",
            f"{command} given a file name holding a newline and a forged error line",
            [command, "{tmp}/x\nerror: forged" + suffix],
            "x\\nerror: forged" + suffix,
        )
    cli(
        "verify/registry/unreachable",
        "a registry nobody listens at",
        ["verify", document, "--registry", "http://127.0.0.1:9"],
        "cannot connect to the server",
    )
    cli(
        "verify/registry/file-url",
        "a registry URL of the file: scheme",
        ["verify", document, "--registry", "file:///etc/passwd"],
        "cannot reach the server (Request URL is missing an 'http://' or 'https://' protocol.)",
    )
    cli(
        "verify/registry/unclosed-ipv6",
        "a registry URL with an unclosed IPv6 bracket",
        ["verify", document, "--registry", "http://[::1"],
        "'http://[::1' is not a valid URL",
    )
    card = "{examples}/acme-ai/certification-2026.md"
    publish = ["publish", card, "--token", "t", "--key", "{corpus}/keys/acme-ai.key", "--registry"]
    cli(
        "publish/registry/answer-without-fields",
        "a 201 answer that is an empty JSON object",
        [
            *publish,
            registry("publish-empty-object", checkpoint_route, ("POST", "/api/v1/statements", 201, json_type, "{}")),
        ],
        "the registry's answer is not a published statement's place in the log: id: Field required",
    )
    forged = {
        "id": statement_id,
        "log_index": 7,
        "leaf_hash": "b" * 64,
        "developer": "acme-ai",
        "kind": "certification",
        "version": "2026",
        "created": True,
        "url": "https://registry.example/statements/7\npublished: a forged second line",
    }
    cli(
        "publish/registry/answer-with-a-newline",
        "a 201 answer whose page URL holds a newline, to print a line of its own after the real ones",
        [
            *publish,
            registry(
                "publish-newline",
                checkpoint_route,
                ("POST", "/api/v1/statements", 201, json_type, json.dumps(forged)),
            ),
        ],
        "the registry's answer is not a published statement's place in the log: url: String should match pattern",
    )
    cli(
        "publish/registry/answer-negative-index",
        "a 201 answer with a log index of -1",
        [
            *publish,
            registry(
                "publish-negative-index",
                checkpoint_route,
                ("POST", "/api/v1/statements", 201, json_type, json.dumps({**forged, "log_index": -1, "url": "x"})),
            ),
        ],
        "log_index: Input should be greater than or equal to 0",
    )
    cli(
        "publish/registry/answer-index-as-text",
        "a 201 answer with its log index as text, which a strict reading must not coerce",
        [
            *publish,
            registry(
                "publish-index-as-text",
                checkpoint_route,
                ("POST", "/api/v1/statements", 201, json_type, json.dumps({**forged, "log_index": "7", "url": "x"})),
            ),
        ],
        "log_index: Input should be a valid integer",
    )
    cli(
        "publish/registry/answer-not-json",
        "a 201 answer that is not JSON",
        [*publish, registry("publish-not-json", checkpoint_route, ("POST", "/api/v1/statements", 201, html, "<html>"))],
        "answered text/html, not a JSON answer (application/json)",
    )
    cli(
        "publish/registry/refused-html",
        "a 413 answer from a proxy, in HTML",
        [
            *publish,
            registry(
                "publish-413-html",
                checkpoint_route,
                ("POST", "/api/v1/statements", 413, html, "<html><h1>413 Request Entity Too Large</h1></html>"),
            ),
        ],
        "answered HTTP 413 Request Entity Too Large, not a Candor registry's error",
    )
    withdraw = ["withdraw", statement_id, "--token", "t", "--key", "{corpus}/keys/acme-ai.key", "--registry"]
    cli(
        "withdraw/registry/statement-without-fields",
        "the statement to withdraw answered as an empty object",
        [
            *withdraw,
            registry(
                "withdraw-empty", checkpoint_route, ("GET", f"/api/v1/statements/{statement_id}", 200, json_type, "{}")
            ),
        ],
        "the registry's answer is not a statement: id: Field required",
    )
    cli(
        "withdraw/registry/statement-wrong-types",
        "the statement to withdraw with a developer that is a list",
        [
            *withdraw,
            registry(
                "withdraw-wrong-types",
                checkpoint_route,
                (
                    "GET",
                    f"/api/v1/statements/{statement_id}",
                    200,
                    json_type,
                    json.dumps({"id": statement_id, "developer": ["acme-ai"], "version": 1, "kind": "x"}),
                ),
            ),
        ],
        "the registry's answer is not a statement: developer: Input should be a valid string",
    )
    cli(
        "withdraw/not-a-statement-id",
        "a statement id that is not a digest",
        [
            "withdraw",
            "../../etc",
            "--token",
            "t",
            "--key",
            "{corpus}/keys/acme-ai.key",
            "--registry",
            "http://127.0.0.1:9",
        ],
        "is not a statement id",
    )


# --- Backups --------------------------------------------------------------------------------------------------------


def backups() -> None:
    """Backups that are not what ``candor backup`` writes, given to ``candor restore``; and backups, audits of a
    data directory that holds no registry. Every restore goes to a fresh ``{tmp}`` data directory."""
    manifest = "candor-backup.json"
    whole = '{"format": "candor-backup/1"}\n'
    plan: list[tuple[str, dict[str, str | bytes], str]] = [
        ("no-manifest", {"log.key": "garbage\n"}, "not a complete Candor backup (no candor-backup.json)"),
        ("manifest-not-json", {manifest: "not json\n"}, "candor-backup.json: cannot be read: Expecting value"),
        ("manifest-not-utf8", {manifest: b"\xff\xfe{}"}, "candor-backup.json: cannot be read: 'utf-8' codec"),
        ("manifest-array", {manifest: "[]\n"}, "candor-backup.json: format is not candor-backup/1"),
        ("manifest-other-format", {manifest: '{"format": "candor-backup/9"}\n'}, "format is not candor-backup/1"),
        ("no-log-key", {manifest: whole}, "log.key: cannot be read: No such file or directory"),
        ("log-key-garbage", {manifest: whole, "log.key": "garbage\n"}, "log.key: not a log signer key"),
        (
            "log-key-of-a-developer",
            {manifest: whole, "log.key": (CORPUS / "keys" / "acme-ai.key").read_bytes()},
            "log.key: not a log signer key",
        ),
    ]
    for name, files, error in plan:
        for file, content in files.items():
            put(f"backups/{name}/{file}", content)
        cli(
            f"restore/{name}",
            f"restore a backup: {name.replace('-', ' ')}",
            ["restore", "{corpus}/backups/" + name, "--data-dir", "{tmp}/data"],
            error,
        )
    cli(
        "restore/source-is-a-file",
        "restore given a file where a backup directory belongs",
        ["restore", "{corpus}/backups/no-log-key/candor-backup.json", "--data-dir", "{tmp}/data"],
        "candor-backup.json/candor-backup.json: cannot be read: [Errno 20] Not a directory",
    )
    cli(
        "backup/no-registry",
        "backing up a data directory that holds no registry",
        ["backup", "{tmp}/out", "--data-dir", "{tmp}/nodata"],
        "log.key: missing, so {tmp}/nodata holds no registry log",
    )
    cli(
        "audit/no-registry",
        "auditing a data directory that holds no registry",
        ["audit", "--data-dir", "{tmp}/nodata"],
        "no registry database at",
    )


# --- Sealed originals ----------------------------------------------------------------------------------------------


def sealed_originals() -> None:
    """Sealed originals cut short or altered, given to the regulator's commands."""
    regulator = regulator_key()
    original = (EXAMPLES / "acme-ai" / "sdf-v1.md").read_bytes()

    def make() -> bytes:
        return redact_document(parse_bytes("sdf-v1.md", original), regulator.public_key()).sealed

    sealed = kept("sealed/sdf-v1.sealed", make)
    header_end = sealed.index(b"\n", sealed.index(b"\n") + 1) + 1
    for name, attack, content, error in [
        (
            "truncated-body",
            "a sealed original cut in the middle of its ciphertext",
            sealed[: (header_end + len(sealed)) // 2],
            "cannot be opened",
        ),
        (
            "truncated-header",
            "a sealed original cut inside its header",
            sealed[: header_end - 10],
            "ends inside its header",
        ),
        ("header-only", "a sealed original with no ciphertext", sealed[:header_end], "cannot be opened"),
        (
            "flipped-byte",
            "a sealed original with one ciphertext byte flipped",
            sealed[:-1] + bytes([sealed[-1] ^ 1]),
            "cannot be opened",
        ),
        (
            "header-altered",
            "a header changed to name another developer",
            sealed.replace(b'"developer":"acme-ai"', b'"developer":"rival-ai"'),
            "cannot be opened",
        ),
        (
            "header-not-canonical",
            "a header with a space added",
            sealed.replace(b'{"developer"', b'{ "developer"', 1),
            "not in canonical form",
        ),
        (
            "header-not-json",
            "a header that is not JSON",
            sealed[: sealed.index(b"\n") + 1] + b"not json\n" + sealed[header_end:],
            "header is not valid",
        ),
        (
            "wrong-format-line",
            "a first line naming another format",
            b"candor-sealed-original/v9" + sealed[sealed.index(b"\n") :],
            "not a sealed original",
        ),
        ("empty", "an empty sealed original", b"", "not a sealed original"),
    ]:
        path = put(f"sealed/{name}.sealed", content)
        cli(
            f"regulator/open/{name}",
            f"regulator open: {attack}",
            ["regulator", "open", path, "--key", "{corpus}/keys/regulator.key"],
            error,
        )
    cli(
        "regulator/open/wrong-key",
        "a sealed original opened with another key",
        [
            "regulator",
            "open",
            "{corpus}/sealed/sdf-v1.sealed",
            "--key",
            put("keys/other-regulator.key", regulator_private_pem(X25519PrivateKey.from_private_bytes(bytes(32)))),
        ],
        "not to this key",
    )
    cli(
        "regulator/open/developer-key",
        "the regulator's command given a developer's Ed25519 private key",
        ["regulator", "open", "{corpus}/sealed/sdf-v1.sealed", "--key", "{corpus}/keys/acme-ai.key"],
        "acme-ai.key",
    )
    cli(
        "regulator/check-redactions/truncated",
        "check-redactions with a truncated sealed original",
        [
            "regulator",
            "check-redactions",
            "{corpus}/sealed/truncated-body.sealed",
            "{examples}/acme-ai/sdf-v1.md",
            "--key",
            "{corpus}/keys/regulator.key",
        ],
        "cannot be opened",
    )


# --- The registry's HTTP API --------------------------------------------------------------------------------------


def signed_body(
    statement: Statement, key: Ed25519PrivateKey, document: bytes | None, sealed: bytes | None = None
) -> dict[str, Any]:
    statement_bytes = statement.canonical_bytes()
    return dict(publication_body(statement_bytes, key.sign(statement_bytes), document, sealed))


def card(version: str) -> bytes:
    """The example system card as its version ``version`` of a model of its own, so that no two cases collide."""
    raw = (EXAMPLES / "acme-ai" / "system-card-acme-3.md").read_text("utf-8")
    raw = raw.replace('version: "1.0"', f'version: "{version}"', 1).replace(
        "name: Acme-3\n", f"name: Hostile-{version}\n", 1
    )
    return raw.encode()


def card_statement(document: bytes, **changes: Any) -> Statement:
    statement = statement_for_document(parse_bytes("card.md", document), document, ISSUED, origin=REGISTRY_ORIGIN)
    return statement.model_copy(update=changes) if changes else statement


def json_file(relative: str, value: Any) -> str:
    return put(relative, json.dumps(value, indent=1) + "\n")


def http_cases() -> None:
    """Requests to the registry that must get a 4xx in the one JSON error shape (or the site's error page)."""
    acme, rival = developer_key("acme-ai"), developer_key("rival-ai")
    document = card("101.0")
    good = signed_body(card_statement(document), acme, document)
    statements = "/api/v1/statements"

    def post(
        case_id: str,
        attack: str,
        status: int,
        code: str,
        *,
        token: str = "acme",
        pending: str | None = None,
        **body: Any,
    ) -> None:
        http(
            f"api/statements/{case_id}", attack, "POST", statements, status, code, token=token, pending=pending, **body
        )

    for name, content, code in [
        ("not-json", b"this is not json", "invalid_request"),
        ("truncated-json", b'{"statement": "', "invalid_request"),
        ("empty-body", b"", "invalid_request"),
        ("json-array", b"[]", "invalid_request"),
        ("json-string", b'"statement"', "invalid_request"),
        ("json-null", b"null", "invalid_request"),
        ("json-number", b"1e999", "invalid_request"),
        ("nan-literal", b'{"statement": NaN, "signature": "x"}', "invalid_request"),
        ("not-utf8", b'{"statement": "\xff\xfe", "signature": "x"}', "bad_request"),
        ("utf-16", '{"statement": "x", "signature": "y"}'.encode("utf-16"), "invalid_request"),
        ("deep-nesting", b'{"statement": ' + b"[" * 10000 + b"]" * 10000 + b', "signature": "x"}', "bad_request"),
        ("duplicate-keys", b'{"statement": "AAAA", "statement": "BBBB", "signature": "x"}', "invalid_request"),
        ("nul-in-string", b'{"statement": "AA\\u0000AA", "signature": "x"}', "invalid_request"),
    ]:
        status = 400 if code == "bad_request" else 422
        post(
            f"body/{name}",
            f"a request body that is {name.replace('-', ' ')}",
            status,
            code,
            body=put(f"http/{name}.bin", content),
        )
    for field in ["statement", "signature", "document", "sealed_original"]:
        for name, value in [
            ("number", 12),
            ("huge-number", int(NINES)),
            ("list", ["x"]),
            ("object", {"a": 1}),
            ("boolean", True),
        ]:
            post(
                f"types/{field}-{name}",
                f"{field} given a {name.replace('-', ' ')} instead of base64 text",
                422,
                "invalid_request",
                body=json_file(f"http/types/{field}-{name}.json", {**good, field: value}),
            )
    for name, change in [("missing-statement", "statement"), ("missing-signature", "signature")]:
        post(
            f"fields/{name}",
            f"a body without its {change}",
            422,
            "invalid_request",
            json_body={k: v for k, v in good.items() if k != change},
        )
    for field in ["statement", "signature", "document", "sealed_original"]:
        for name, value in [
            ("not-base64", "!!!not base64!!!"),
            ("unicode", "é" * 8),
            ("url-safe", "-_-_"),
            ("no-padding", "QUJD"[:3]),
        ]:
            post(
                f"base64/{field}-{name}",
                f"{field} in {name.replace('-', ' ')} form, not standard base64",
                422,
                "invalid_request",
                body=json_file(f"http/base64/{field}-{name}.json", {**good, field: value}),
            )
    post(
        "size/statement-over-32k",
        "a statement field over 32 KiB",
        422,
        "invalid_request",
        json_body={**good, "statement": "A" * 40_000},
    )
    post(
        "size/signature-over-limit",
        "a signature field over 200 characters",
        422,
        "invalid_request",
        json_body={**good, "signature": "A" * 400},
    )
    http(
        "api/statements/size/declared-over-limit",
        "a declared Content-Length over the registry's request limit",
        "POST",
        statements,
        413,
        "request_too_large",
        token="acme",
        headers={"Content-Length": "99999999999"},
        raw=True,
    )
    # These two never reach the app: the HTTP server's parser refuses them, with its own plain-text 400.
    http(
        "api/statements/size/lying-content-length",
        "a Content-Length that is not a number",
        "POST",
        statements,
        400,
        "server",
        token="acme",
        headers={"Content-Length": "12abc"},
        raw=True,
    )
    http(
        "api/statements/size/negative-content-length",
        "a negative Content-Length",
        "POST",
        statements,
        400,
        "server",
        token="acme",
        headers={"Content-Length": "-5"},
        raw=True,
    )
    # Tokens.
    for name, token, status, code in [
        ("no-token", "none", 401, "unauthorized"),
        ("unknown-token", "candor_0000000000000000000000000000", 401, "unauthorized"),
        ("empty-bearer", "header:Bearer ", 401, "unauthorized"),
        ("basic-auth", "header:Basic YWNtZTpwYXNz", 401, "unauthorized"),
        ("token-with-newline-escape", "candor_x%0d%0aX-Injected: 1", 401, "unauthorized"),
        ("huge-token", "t" * 6000, 401, "unauthorized"),
    ]:
        http(
            f"api/statements/token/{name}",
            f"publishing with {name.replace('-', ' ')}",
            "POST",
            statements,
            status,
            code,
            token=token,
            body=json_file("http/good.json", good),
            raw=name == "empty-bearer",
        )
    post(
        "token/other-developer",
        "acme-ai's statement sent with rival-ai's token: one developer publishing as another",
        403,
        "forbidden",
        token="rival",
        body="{corpus}/http/good.json",
    )
    # Signatures and statements.
    rival_signed = signed_body(card_statement(document), rival, document)
    post(
        "signature/wrong-key",
        "acme-ai's statement signed with rival-ai's key",
        403,
        "forbidden",
        body=json_file("http/wrong-key.json", rival_signed),
    )
    post(
        "signature/zero",
        "a signature of 64 zero bytes",
        403,
        "forbidden",
        json_body={**good, "signature": base64.b64encode(bytes(64)).decode()},
    )
    post(
        "signature/short",
        "a 63-byte signature",
        403,
        "forbidden",
        json_body={**good, "signature": base64.b64encode(bytes(63)).decode()},
    )
    post("signature/empty", "an empty signature", 403, "forbidden", json_body={**good, "signature": ""})
    for number, (name, attack, origin) in enumerate(
        [
            ("no-origin", "a statement that names no log origin, as statements signed before origins did", None),
            ("other-origin", "a statement signed for another registry's log, replayed into this one", LOG_ORIGIN),
            ("origin-prefix", "a statement for a log whose origin extends this one's", REGISTRY_ORIGIN + "/shadow"),
        ]
    ):
        origin_doc = card(f"105.{number}")
        post(
            f"statement/{name}",
            attack,
            422,
            "wrong_origin",
            body=json_file(
                f"http/origin-{name}.json",
                signed_body(card_statement(origin_doc, origin=origin), acme, origin_doc),
            ),
        )
    other_doc = card("102.0")
    post(
        "statement/document-mismatch",
        "a signed statement sent with a different document",
        422,
        "publish",
        body=json_file(
            "http/document-mismatch.json",
            {**signed_body(card_statement(document), acme, document), "document": base64.b64encode(other_doc).decode()},
        ),
    )
    post(
        "statement/no-document",
        "a signed statement sent without its document",
        422,
        "publish",
        json_body={**good, "document": None},
    )
    for name, raw_statement in [
        ("not-json", b"not json"),
        ("json-array", b"[]"),
        ("unknown-type", json.dumps({"type": "candor.statement/v9"}).encode()),
        ("not-canonical", json.dumps(json.loads(card_statement(document).canonical_bytes()), indent=1).encode()),
        (
            "huge-number",
            card_statement(document)
            .canonical_bytes()
            .replace(b'"issued_at"', b'"big":' + NINES.encode() + b',"issued_at"'),
        ),
        ("nan", card_statement(document).canonical_bytes().replace(b'"issued_at"', b'"big":NaN,"issued_at"')),
        ("naive-time", card_statement(document).canonical_bytes().replace(b'12:00:00Z"', b'12:00:00"')),
        ("year-zero", card_statement(document).canonical_bytes().replace(b'"2026-03-01T', b'"0000-03-01T')),
    ]:
        post(
            f"statement/{name}",
            f"statement bytes that are {name.replace('-', ' ')} (signed by the right key)",
            422,
            "statement",
            body=json_file(
                f"http/statement-{name}.json",
                {
                    **good,
                    "statement": base64.b64encode(raw_statement).decode(),
                    "signature": base64.b64encode(acme.sign(raw_statement)).decode(),
                },
            ),
        )
    unregistered = card_statement(document, developer="nobody-ai")
    post(
        "statement/unregistered-developer",
        "a statement for a developer nobody registered, with acme-ai's token",
        403,
        "forbidden",
        body=json_file("http/unregistered.json", signed_body(unregistered, acme, document)),
    )
    future_doc = card("103.0")
    post(
        "statement/issued-9999-12-31",
        "a statement issued on 9999-12-31, to sort after everything forever",
        422,
        "publish",
        body=json_file(
            "http/issued-9999.json",
            signed_body(card_statement(future_doc, issued_at=datetime(9999, 12, 31, tzinfo=UTC)), acme, future_doc),
        ),
    )
    bad_doc = b"---\nkind: system-card\ndeveloper: acme-ai\n  broken: [\n---\n"
    bad_statement = Statement(
        origin=REGISTRY_ORIGIN,
        developer="acme-ai",
        kind=StatementKind.SYSTEM_CARD,
        series="Hostile-104.0",
        version="104.0",
        document_sha256=hashlib.sha256(bad_doc).hexdigest(),
        issued_at=ISSUED,
    )
    post(
        "document/malformed-yaml",
        "a signed statement whose document does not parse",
        422,
        "document",
        body=json_file("http/document-malformed.json", signed_body(bad_statement, acme, bad_doc)),
    )
    for name, log_index in [
        ("log-index-2-63", str(1 << 63)),
        ("log-index-999-digits", NINES),
        ("log-index-unknown", "999999"),
    ]:
        cert = certification({"version": f'"cert-{name}"', "framework_entry.log_index": log_index}).encode()
        # Stated as if it parsed: a client that skips `candor check` can sign any bytes, and the registry must
        # refuse them itself.
        parsable = certification({"version": f'"cert-{name}"'}).encode()
        cert_statement = statement_for_document(
            parse_bytes("cert.md", parsable), parsable, ISSUED, origin=REGISTRY_ORIGIN
        ).model_copy(update={"document_sha256": hashlib.sha256(cert).hexdigest()})
        post(
            f"certification/{name}",
            f"a certification naming framework entry {log_index[:20]}{'...' * (len(log_index) > 20)}, beyond any log",
            422,
            "certified_framework_mismatch" if name == "log-index-unknown" else "document",
            body=json_file(f"http/certification-{name}.json", signed_body(cert_statement, acme, cert)),
        )
    withdrawal = Statement(
        origin=REGISTRY_ORIGIN,
        developer="acme-ai",
        kind=StatementKind.WITHDRAWAL,
        version="w1",
        target="0" * 64,
        issued_at=ISSUED,
    )
    post(
        "statement/withdraw-unknown-target",
        "a withdrawal of a statement that was never published",
        422,
        "publish",
        body=json_file("http/withdraw-unknown.json", signed_body(withdrawal, acme, None)),
    )
    post(
        "statement/withdrawal-with-document",
        "a withdrawal carrying a document",
        422,
        "publish",
        body=json_file("http/withdrawal-with-document.json", signed_body(withdrawal, acme, document)),
    )
    # Sealed originals sent with a redacted framework.
    regulator = regulator_key()
    framework = (EXAMPLES / "acme-ai" / "sdf-v1.md").read_bytes()
    public_path, sealed_path = CORPUS / "http" / "sealed-sdf-public.md", CORPUS / "http" / "sealed-sdf.sealed"
    USED.update({"http/sealed-sdf-public.md", "http/sealed-sdf.sealed"})
    if not public_path.exists() or not sealed_path.exists():
        redacted = redact_document(parse_bytes("sdf-v1.md", framework), regulator.public_key())
        put("http/sealed-sdf-public.md", redacted.public.source.text)
        put("http/sealed-sdf.sealed", redacted.sealed)
    public, sealed = public_path.read_bytes(), sealed_path.read_bytes()
    parsed_public = parse_bytes("sdf.md", public)
    header_end = sealed.index(b"\n", sealed.index(b"\n") + 1) + 1
    truncated = sealed[: (header_end + len(sealed)) // 2]
    truncated_statement = statement_for_document(
        parsed_public, public, ISSUED, origin=REGISTRY_ORIGIN, sealed=truncated
    )
    post(
        "sealed/truncated",
        "a redacted framework published with its sealed original cut in half (the statement names the cut bytes)",
        422,
        "publish",
        body=json_file("http/sealed-truncated.json", signed_body(truncated_statement, acme, public, truncated)),
    )
    whole_statement = statement_for_document(parsed_public, public, ISSUED, origin=REGISTRY_ORIGIN, sealed=sealed)
    post(
        "sealed/missing",
        "a redacted framework whose statement names a sealed original not sent",
        422,
        "publish",
        body=json_file("http/sealed-missing.json", signed_body(whole_statement, acme, public, None)),
    )
    post(
        "sealed/other-bytes",
        "a sealed original that is not the one the statement names",
        422,
        "publish",
        body=json_file(
            "http/sealed-other.json",
            {
                **signed_body(whole_statement, acme, public, sealed),
                "sealed_original": base64.b64encode(truncated).decode(),
            },
        ),
    )
    marked = framework
    marked_statement = statement_for_document(parse_bytes("sdf.md", marked), marked, ISSUED, origin=REGISTRY_ORIGIN)
    post(
        "sealed/marked-passages-in-clear",
        "a framework still holding passages marked for redaction",
        422,
        "publish",
        body=json_file("http/marked-in-clear.json", signed_body(marked_statement, acme, marked)),
    )
    # GETs with hostile paths and parameters.
    for name, path, status, code in [
        ("documents/upper-case-sha", "/api/v1/documents/" + "A" * 64, 422, "invalid_request"),
        ("documents/short-sha", "/api/v1/documents/" + "a" * 63, 422, "invalid_request"),
        ("documents/long-sha", "/api/v1/documents/" + "a" * 65, 422, "invalid_request"),
        ("documents/unknown-sha", "/api/v1/documents/" + "0" * 64, 404, "not_found"),
        ("documents/traversal-encoded", "/api/v1/documents/..%2F..%2Fcandor.sqlite3", 404, "not_found"),
        ("documents/nul", "/api/v1/documents/%00" + "a" * 63, 422, "invalid_request"),
        ("documents/unicode-digit", "/api/v1/documents/" + "%D9%A0" * 64, 422, "invalid_request"),
        ("documents/sha-with-newline", "/api/v1/documents/" + "a" * 64 + "%0A", 422, "invalid_request"),
        ("statements/bad-id", "/api/v1/statements/not-a-digest", 422, "invalid_request"),
        ("statements/unknown-id", "/api/v1/statements/" + "0" * 64, 404, "not_found"),
        ("statements/unknown-proof", "/api/v1/statements/" + "0" * 64 + "/tlog-proof", 404, "not_found"),
        ("statements/unknown-findings", "/api/v1/statements/" + "0" * 64 + "/findings", 404, "not_found"),
        ("statements/by-document-bad", "/api/v1/statements/by-document/xyz", 422, "invalid_request"),
        ("statements/page-zero", "/api/v1/statements?page=0", 422, "invalid_request"),
        ("statements/page-negative", "/api/v1/statements?page=-1", 422, "invalid_request"),
        ("statements/page-word", "/api/v1/statements?page=two", 422, "invalid_request"),
        ("statements/page-huge", "/api/v1/statements?page=" + NINES, 422, "invalid_request"),
        ("statements/page-float", "/api/v1/statements?page=1.5", 422, "invalid_request"),
        ("statements/per-page-zero", "/api/v1/statements?per_page=0", 422, "invalid_request"),
        ("statements/per-page-huge", "/api/v1/statements?per_page=100000", 422, "invalid_request"),
        ("statements/per-page-exponent", "/api/v1/statements?per_page=1e3", 422, "invalid_request"),
        ("statements/kind-unknown", "/api/v1/statements?kind=../../etc", 422, "invalid_request"),
        ("statements/developer-bad", "/api/v1/statements?developer=ACME%20AI", 422, "invalid_request"),
        ("statements/developer-too-long", "/api/v1/statements?developer=" + "a" * 65, 422, "invalid_request"),
        ("developers/page-zero", "/api/v1/developers?page=0", 422, "invalid_request"),
        ("developers/per-page-negative", "/api/v1/developers?per_page=-5", 422, "invalid_request"),
        ("developers/bad-slug", "/api/v1/developers/ACME", 422, "invalid_request"),
        ("developers/unknown-slug", "/api/v1/developers/nobody-ai", 404, "not_found"),
        ("developers/bidi-slug", "/api/v1/developers/acme-%E2%80%AEia", 422, "invalid_request"),
        ("developers/traversal", "/api/v1/developers/..%2F..%2Fetc%2Fpasswd", 404, "not_found"),
        ("log/proof-negative", "/api/v1/log/proof/-1", 422, "invalid_request"),
        ("log/proof-huge", "/api/v1/log/proof/" + str(1 << 63), 422, "invalid_request"),
        ("log/proof-999-digits", "/api/v1/log/proof/" + NINES, 422, "invalid_request"),
        ("log/proof-word", "/api/v1/log/proof/zero", 422, "invalid_request"),
        ("log/proof-beyond-size", "/api/v1/log/proof/1000000", 404, "not_found"),
        ("unknown-route", "/api/v1/nothing-here", 404, "not_found"),
        ("unknown-version", "/api/v2/statements", 404, "not_found"),
    ]:
        http(f"api/get/{name}", f"GET {path[:80]}", "GET", path, status, code)
    for name, path in [
        ("dot-dot-encoded", "/log/tile/..%2F..%2Flog.key"),
        ("level-64", "/log/tile/64/000"),
        ("level-leading-zero", "/log/tile/00/000"),
        ("index-two-digits", "/log/tile/0/00"),
        ("index-four-digits", "/log/tile/0/0000"),
        ("index-x-last", "/log/tile/0/x000"),
        ("index-eight-groups", "/log/tile/0/" + "x000/" * 7 + "000"),
        ("width-zero", "/log/tile/0/000.p/0"),
        ("width-256", "/log/tile/0/000.p/256"),
        ("width-leading-zero", "/log/tile/0/000.p/01"),
        ("entries-word", "/log/tile/entries/abc"),
        ("absolute", "/log/tile//etc/passwd"),
        ("backslash", "/log/tile/0%5C000"),
        ("nul", "/log/tile/0/000%00"),
        ("unicode-digits", "/log/tile/0/%D9%A0%D9%A0%D9%A0"),
        ("missing-tile", "/log/tile/0/999"),
        ("missing-entries", "/log/tile/entries/x999/999"),
    ]:
        http(
            f"log/tile/{name}",
            f"a tile path outside the tlog-tiles grammar or the log: {path}",
            "GET",
            path,
            404,
            "not_found",
        )
    for name, path in [
        ("raw-dot-dot", "/log/tile/../../log.key"),
        ("raw-dot-dot-api", "/api/v1/documents/../../candor.sqlite3"),
    ]:
        http(f"raw/{name}", f"a raw, unnormalised {path}", "GET", path, 404, "not_found", raw=True)
    for name, method, path, status, code in [
        ("put-statements", "PUT", statements, 405, "method_not_allowed"),
        ("delete-statements", "DELETE", statements, 405, "method_not_allowed"),
        ("patch-document", "PATCH", "/api/v1/documents/" + "0" * 64, 405, "method_not_allowed"),
        ("post-checkpoint", "POST", "/log/checkpoint", 405, "method_not_allowed"),
        ("delete-tile", "DELETE", "/log/tile/0/000", 405, "method_not_allowed"),
        ("trace", "TRACE", "/api/v1/statements", 405, "method_not_allowed"),
        ("options", "OPTIONS", "/api/v1/statements", 405, "method_not_allowed"),
        ("get-publish-only", "POST", "/api/v1/developers", 405, "method_not_allowed"),
    ]:
        http(f"methods/{name}", f"{method} where it is not served", method, path, status, code)
    # A method no HTTP specification registers: httptools, the parser `candor serve` runs on, refuses it before
    # the app (h11, where httptools does not build, lets the app answer 405).
    http("methods/custom-method", "FROB, a method no HTTP parser registers", "FROB", statements, 400, "server")
    for name, path, status in [
        ("head-unknown-document", "/api/v1/documents/" + "0" * 64, 404),
        ("head-bad-document", "/api/v1/documents/xyz", 422),
        ("head-bad-tile", "/log/tile/../x", 404),
        ("head-unknown-page", "/developers/nobody-ai", 404),
    ]:
        http(f"methods/{name}", f"HEAD {path}", "HEAD", path, status)
    for name, path, status in [
        ("unknown-developer", "/developers/nobody-ai", 404),
        ("traversal-developer", "/developers/..%2F..%2Fetc%2Fpasswd", 404),
        ("bidi-developer", "/developers/acme-%E2%80%AEia", 404),
        ("unknown-statement", "/statements/999999", 404),
        ("negative-statement", "/statements/-1", 404),
        ("huge-statement", "/statements/" + NINES, 404),
        ("unknown-page", "/no-such-page", 404),
        ("static-traversal", "/static/..%2F..%2Fapp.py", 404),
        # /developers is the developers' index now: a page number no int holds is a malformed parameter.
        ("search-huge-page", "/developers?page=" + NINES, 422),
        ("home-page-zero", "/?page=0", 422),
        ("home-page-word", "/?page=two", 422),
        ("statements-page-beyond-limit", "/statements?page=1000001", 422),
        ("compare-page-negative", "/compare?page=-1", 422),
        ("standard-unknown", "/standards/no-such-standard", 404),
        ("standard-traversal", "/standards/..%2F..%2Fetc%2Fpasswd", 404),
        ("developer-feed-unknown", "/developers/nobody-ai/feed.atom", 404),
        ("developer-page-huge", "/developers/acme-ai?page=" + NINES, 422),
    ]:
        http(f"site/{name}", f"a page of the website: {path[:60]}", "GET", path, status)


def build(*, check_only: bool = False) -> tuple[str, list[str]]:
    """Every case, as the manifest's text, and (when ``check_only``) the corpus files that are not as written here."""
    global STALE
    CASES.clear()
    USED.clear()
    STALE = [] if check_only else None
    try:
        _declare()
    finally:
        stale, STALE = STALE or [], None
    ids = [case["id"] for case in CASES]
    duplicates = sorted({case_id for case_id in ids if ids.count(case_id) > 1})
    if duplicates:
        raise SystemExit(f"duplicate case ids: {duplicates}")
    header = (
        "# The hostile-input corpus: one entry per case. Written by tests/hostile/make_corpus.py; edit that, then run\n"
        "# `.venv/bin/python -m tests.hostile.make_corpus`. See corpus/README.md.\n"
    )
    return header + yaml.safe_dump(CASES, sort_keys=False, allow_unicode=False, width=200), stale


def _declare() -> None:
    regulator_key()
    developer_key("acme-ai")
    developer_key("rival-ai")
    put("keys/acme-ai.pub", public_key_pem(developer_key("acme-ai").public_key()))
    put("keys/rival-ai.pub", public_key_pem(developer_key("rival-ai").public_key()))
    examples_invalid()
    yaml_attacks()
    encodings()
    files_that_are_not_files()
    certification_fields()
    slugs_and_names()
    rule_packs()
    front_matter_shape()
    redaction_markup()
    redaction_splits()
    facts_fields()
    keys()
    admin_slugs()
    proofs()
    sealed_originals()
    backups()
    hostile_registries()
    http_cases()


def leftovers() -> list[Path]:
    """Corpus files no case uses any more (after :func:`build`)."""
    return [
        path
        for path in sorted(CORPUS.rglob("*"))
        if path.is_file()
        and path.name not in ("README.md", ".gitattributes")
        and path.relative_to(CORPUS).as_posix() not in USED
    ]


def main() -> None:
    manifest, _ = build()
    MANIFEST.write_text(manifest, "utf-8")
    for path in leftovers():
        path.unlink()
    print(f"{len(CASES)} cases written to {MANIFEST.relative_to(REPO)}")


if __name__ == "__main__":
    main()
