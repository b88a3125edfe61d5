"""What the commands that sign and send statements to a registry share: their options and the developer's key.

Not a command group of its own: ``candor publish`` and ``candor withdraw`` use it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from candor.services.files import read_key_file

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

RegistryOption = Annotated[
    str, typer.Option("--registry", help="The registry's base URL, e.g. https://registry.example.", show_default=False)
]
TokenOption = Annotated[
    str, typer.Option("--token", envvar="CANDOR_TOKEN", help="The developer's publish token.", show_default=False)
]
SigningKeyOption = Annotated[Path, typer.Option("--key", help="The developer's private key (from candor keygen).")]


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """The developer's private key from the file ``candor keygen`` wrote."""
    # Imported here so that commands which sign nothing start without the key machinery.
    from candor.domain.developer_keys import load_private_key

    return load_private_key(str(path), read_key_file(path, what="private key file"))
