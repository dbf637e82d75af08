"""Is the installed moto one the tests support? (checked once, when pytest starts)

The supported range is the one the ``test`` extra declares in setup.cfg, read back from the
installed package's metadata, so there is one place to change it.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, requires, version

from packaging.requirements import Requirement


def declared_moto() -> str:
    """The moto requirement of the ``test`` extra, e.g. ``moto[server]<6,>=5.1`` ("" if none)."""
    try:
        declared = requires("secretgraph") or []
    except PackageNotFoundError:
        return ""
    for text in declared:
        req = Requirement(text)
        if req.name.lower() == "moto" and req.marker is not None \
                and req.marker.evaluate({"extra": "test"}):
            return str(Requirement(text.split(";")[0]))
    return ""


def installed_moto() -> str | None:
    try:
        return version("moto")
    except PackageNotFoundError:
        return None


def moto_problem(installed: str | None, wanted: str) -> str | None:
    """Why this moto cannot run the suite (one line), or None when it can."""
    if installed is None:
        return (f"moto is not installed; the tests need {wanted or 'moto'} "
                "(pip install -e '.[test]')")
    if wanted and not Requirement(wanted).specifier.contains(installed, prereleases=True):
        return (f"moto {installed} is installed but the tests support {wanted} (setup.cfg, "
                "extra 'test'); install a supported moto: pip install -e '.[test]'")
    return None
