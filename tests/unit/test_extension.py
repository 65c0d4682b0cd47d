"""Extension life cycle and the %%jsexec magic in a real IPython shell."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from ipyanimagic import JsExec, registry


def cell_magics(ip):
    return ip.magics_manager.magics["cell"]


def test_load_ext_registers_jsexec(ip):
    ip.run_line_magic("load_ext", "ipyanimagic")
    assert "jsexec" in cell_magics(ip)


def test_unload_ext_removes_the_magic_and_nothing_else(ip):
    before = {k: set(v) for k, v in ip.magics_manager.magics.items()}
    ip.run_line_magic("load_ext", "ipyanimagic")
    ip.run_line_magic("unload_ext", "ipyanimagic")
    after = {k: set(v) for k, v in ip.magics_manager.magics.items()}
    assert after == before
    assert "AnimagicMagics" not in ip.magics_manager.registry


def test_reload_ext_leaves_exactly_one_working_magic(ip):
    ip.run_line_magic("load_ext", "ipyanimagic")
    ip.run_line_magic("reload_ext", "ipyanimagic")
    assert "jsexec" in cell_magics(ip)
    ip.run_line_magic("unload_ext", "ipyanimagic")
    assert "jsexec" not in cell_magics(ip)
    ip.run_line_magic("load_ext", "ipyanimagic")
    assert "jsexec" in cell_magics(ip)


def test_jsexec_help_lists_its_options(ip):
    ip.run_line_magic("load_ext", "ipyanimagic")
    doc = cell_magics(ip)["jsexec"].__doc__
    for text in ["--html", "--template", "kernel.execute", "python", "element"]:
        assert text in doc


def test_jsexec_help_is_shown_by_the_question_mark(ip, capsys):
    ip.run_line_magic("load_ext", "ipyanimagic")
    ip.run_cell("%%jsexec?")
    out = capsys.readouterr().out
    assert "--template" in out


def test_jsexec_displays_a_registered_widget(ip, monkeypatch):
    shown = []
    monkeypatch.setattr("ipyanimagic.magics.display", shown.append)
    ip.run_line_magic("load_ext", "ipyanimagic")
    ip.run_cell_magic("jsexec", "", "element.textContent = 'hi';")
    (w,) = shown
    assert isinstance(w, JsExec) and w.mode == "js" and "textContent" in w.code
    assert registry.get(w.key) is w
    w.close()


def test_jsexec_template_renders_names_and_escapes(ip, monkeypatch):
    shown = []
    monkeypatch.setattr("ipyanimagic.magics.display", shown.append)
    ip.run_line_magic("load_ext", "ipyanimagic")
    ip.user_ns["title"] = "<script>x</script>"
    ip.user_ns["data"] = {"a": [1, 2]}
    ip.run_cell_magic(
        "jsexec",
        "--html --template",
        "<h1>{{ title }}</h1><script>var d = {{ data|tojson }};</script>",
    )
    (w,) = shown
    assert w.mode == "html"
    assert "&lt;script&gt;x&lt;/script&gt;" in w.code
    assert 'var d = {"a": [1, 2]};' in w.code
    w.close()


def test_bad_arguments_are_one_line_usage_errors(ip):
    ip.run_line_magic("load_ext", "ipyanimagic")
    with pytest.raises(UsageError) as info:
        ip.run_cell_magic("jsexec", "--nope", "1")
    assert "\n" not in str(info.value).strip()


def test_an_undefined_template_name_is_a_usage_error(ip):
    ip.run_line_magic("load_ext", "ipyanimagic")
    with pytest.raises(UsageError, match="undefined"):
        ip.run_cell_magic("jsexec", "--template", "var x = {{ surely_undefined_name }};")


def test_the_error_reaches_the_cell_as_one_line(ip, capsys):
    ip.run_line_magic("load_ext", "ipyanimagic")
    ip.run_cell("%%jsexec --bogus\n1\n")
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "UsageError" in text and "Traceback" not in text
