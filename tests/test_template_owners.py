"""Each template has one owner: the app in whose folder it lives is the only one to render it.

Its views or consumer name it (render, render_to_string, a widget's template_name). A page of
another app that shows the same piece {% include %}s it rather than rendering it itself, so
a change to a template is a change to one app. These tests read every string in the app
package that names a template, and which app it is in.
"""

import ast
import re
from collections import defaultdict
from pathlib import Path

from django.conf import settings

import playground

PACKAGE = Path(playground.__file__).parent
TEMPLATE_DIR = Path(settings.TEMPLATES[0]["DIRS"][0])
# "runs/run_card.html", or one of its partials: "sessions/session.html#save-state".
TEMPLATE_NAME = re.compile(r"^(?P<file>[\w/-]+\.html)(#(?P<partial>[\w-]+))?$")
# Django's auth views look for their templates under registration/; accounts owns them.
FOLDER_OWNERS = {"registration": "accounts"}


def template_names() -> list[tuple[str, str, str | None]]:
    """(app, template file, partial) for each string in the package that names a template."""
    names = []
    for module in PACKAGE.rglob("*.py"):
        app = module.relative_to(PACKAGE).parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(module.read_text(), str(module))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                match = TEMPLATE_NAME.match(node.value)
                if match:
                    names.append((app, match["file"], match["partial"]))
    return names


def apps_naming_each_template() -> dict[str, set[str]]:
    apps = defaultdict(set)
    for app, file, _ in template_names():
        apps[file].add(app)
    return apps


def test_each_template_is_rendered_by_one_app_only():
    shared = {file: apps for file, apps in apps_naming_each_template().items() if len(apps) > 1}

    assert shared == {}, "render each in one app, and {% include %} it in the others' pages"


def test_each_template_is_rendered_by_the_app_whose_folder_it_is_in():
    misplaced = {}
    for file, apps in apps_naming_each_template().items():
        folder = file.split("/")[0]
        if apps != {FOLDER_OWNERS.get(folder, folder)}:
            misplaced[file] = apps

    assert misplaced == {}


def test_every_template_named_exists_with_its_partial():
    names = template_names()

    # A name these tests could not see would make the two above prove nothing about it.
    assert ("runs", "runs/run_card.html", None) in names
    for _, file, partial in names:
        source = (TEMPLATE_DIR / file).read_text()
        if partial:
            assert f"{{% partialdef {partial} " in source, f"{file}#{partial}"
