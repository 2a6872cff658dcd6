"""What an installed copy holds: pyproject.toml lists every package of the source tree and the Neutron files read
at run time as package data."""
import pathlib
import tomllib

import neutron
from neutron.runtime import methods
from neutron.stdlib import MODULES, native_module

ROOT = pathlib.Path(neutron.__file__).parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_package_is_installed():
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "neutron").rglob("__init__.py")}
    assert set(SETUPTOOLS["packages"]) == found


def test_neutron_sources_are_package_data():
    """The preludes are read from .nt files next to their modules."""
    data = SETUPTOOLS["package-data"]
    files = [pathlib.Path(methods.PRELUDE_FILE)] + [ROOT / "neutron" / "stdlib" / native_module(m).prelude
                                                    for m in MODULES if native_module(m).prelude]
    assert len(files) == 4
    for f in files:
        assert f.is_file(), f
        package = ".".join(f.relative_to(ROOT).parent.parts)
        assert any(f.match(pattern) for pattern in data.get(package, ())), (package, f.name)
