"""deploy/Dockerfile installs what `make install` installs, the same way, and nothing more."""

from __future__ import annotations

import re
import shlex

from .catalog import ROOT

DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def run_lines(text: str) -> list[str]:
    joined = re.sub(r"\\\n", " ", text)
    return [line.strip()[4:] for line in joined.splitlines() if line.strip().startswith("RUN ")]


def pip_installs(lines: list[str]) -> list[tuple[tuple[str, ...], str]]:
    """(options, target) of every `pip install`, with `-e` and extras left out: the image
    installs the package itself, the Makefile installs it editable with the dev tools."""
    found = []
    for line in lines:
        for command in re.split(r"&&|;", line):
            words = shlex.split(command)
            if len(words) > 2 and words[0].endswith("pip") and words[1] == "install":
                options = tuple(w for w in words[2:] if w.startswith("-") and w != "-e")
                targets = [w for w in words[2:] if not w.startswith("-")]
                found.append((options, re.sub(r"\[.*\]$", "", targets[-1])))
    return found


def stages(text: str) -> list[str]:
    return re.split(r"^FROM ", text, flags=re.M)[1:]


def test_pip_steps_are_the_makefiles():
    makefile = (ROOT / "Makefile").read_text()
    make_lines = [line.strip().removeprefix("$(BIN)/")
                  for line in makefile.splitlines() if "pip install" in line]
    docker = pip_installs(run_lines(DOCKERFILE.read_text()))
    make = pip_installs(make_lines)
    assert make, "no pip install in the Makefile"
    assert docker == make


def test_final_image_is_python_only_and_not_root():
    final = stages(DOCKERFILE.read_text())[-1]
    assert re.search(r"^USER (?!root|0\b)\S+", final, re.M)
    assert "pip install" not in final  # installed in the build stage, copied as a venv
    for tool in ("openjdk", "maven", "gcc", "build-essential", "make"):
        assert not re.search(rf"apt-get install[^\n]*\b{tool}\b", final), tool


def test_apt_steps_follow_the_system_deps_script():
    """Any apt-get install in the image uses the options of deploy/install-system-deps.sh."""
    script = (ROOT / "deploy" / "install-system-deps.sh").read_text()
    options = re.search(r"apt-get install ((?:-\S+ )+)", script).group(1).split()
    for line in run_lines(DOCKERFILE.read_text()):
        if "apt-get install" in line:
            used = re.search(r"apt-get install ((?:-\S+ )+)", line).group(1).split()
            assert used == options, line


def test_base_image_python_satisfies_the_package():
    import tomllib

    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    minimum = tuple(int(p) for p in re.search(r">=\s*([\d.]+)", requires).group(1).split("."))
    image = re.search(r"^ARG PYTHON_IMAGE=python:(\d+)\.(\d+)", DOCKERFILE.read_text(), re.M)
    assert (int(image.group(1)), int(image.group(2))) >= minimum


def test_build_context_holds_what_pip_install_needs():
    ignore = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().splitlines()
    copied = re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE.read_text(), re.M)
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    for sources in copied:
        for source in sources.split():
            assert source.rstrip("/").removeprefix("./") in allowed, source
            assert (ROOT / source).exists(), source
