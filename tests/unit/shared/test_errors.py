"""Every exception class Vigie defines derives from VigieError, so the command line shows each
as the one line that names what to fix, and callers can catch Vigie's errors as one family."""

import importlib
import inspect
import pkgutil

import vigie
from vigie.shared.errors import VigieError


def vigie_modules():
    for info in pkgutil.walk_packages(vigie.__path__, "vigie."):
        yield importlib.import_module(info.name)
    import vigie.shared as shared  # a package of its own: vigie.__path__ holds services/ only

    for info in pkgutil.walk_packages(shared.__path__, "vigie.shared."):
        yield importlib.import_module(info.name)


def test_every_exception_class_is_a_vigie_error():
    defined = {
        f"{module.__name__}.{name}": cls
        for module in vigie_modules()
        for name, cls in vars(module).items()
        if inspect.isclass(cls) and issubclass(cls, BaseException) and cls.__module__ == module.__name__
    }
    assert "vigie.ingest.files.FileRejected" in defined  # the walk reaches every package
    assert "vigie.shared.config.ConfigError" in defined
    outside = [name for name, cls in defined.items() if not issubclass(cls, VigieError)]
    assert outside == []
