# SPDX-License-Identifier: MIT
"""Training options are stated once: host.train_config.TrainConfig's fields (the default dataset's
network) and DEFAULTS (what the other datasets change). `lgn train`'s flags, their help and
the README's table of default networks are checked against them, so a second copy of a
default that disagrees fails here."""
import argparse
import re
from dataclasses import fields
from pathlib import Path

import pytest

from hil.cli import build_parser
from hil.commands.train import config
from host import datasets
from host.train_config import DEFAULTS, TrainConfig, options
from tests.helpers import lgn

README = Path(__file__).resolve().parents[1] / "README.md"


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def train_parser() -> argparse.ArgumentParser:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["train"]


def parse(*argv) -> TrainConfig:
    return config(build_parser().parse_args(["train", *map(str, argv)]))


def test_no_flags_give_the_dataset_defaults():
    assert parse() == TrainConfig() == TrainConfig.for_dataset(datasets.DEFAULT)
    for name in datasets.NAMES:
        assert parse("--dataset", name) == TrainConfig.for_dataset(name), name


def test_the_command_restates_no_default():
    """One flag per option, none with a default of its own: a flag left out is the dataset's."""
    by_flag = {a.option_strings[0]: a for a in train_parser()._actions if a.option_strings}
    assert {flag(f.name) for f in options()} | {"-h", "--out", "--json"} == set(by_flag)
    for f in options():
        assert by_flag[flag(f.name)].default is argparse.SUPPRESS, f.name
    assert [f.name for f in fields(TrainConfig) if f not in options()] == ["extra"]


def test_the_dataset_table_restates_no_default():
    assert tuple(DEFAULTS) == datasets.NAMES
    names = {f.name: f.default for f in options()}
    for dataset, row in DEFAULTS.items():
        assert set(row) <= set(names) - {"dataset"}, (dataset, set(row) - set(names))
        same = {k: v for k, v in row.items() if v == names[k]}
        assert not same, f"DEFAULTS[{dataset!r}] restates TrainConfig's defaults {same}"


def _other(f):
    """A valid value for option f that is not its default."""
    if f.metadata.get("choices"):
        return next(c for c in f.metadata["choices"] if c != f.default)
    return {int: lambda v: v + 3, float: lambda v: v + 0.25, type(None): lambda v: "somewhere"}[type(f.default)](f.default)


@pytest.mark.parametrize("dataset", ["digits", "mnist5k"])
def test_every_flag_reaches_the_config(dataset):
    for f in options():
        if f.name == "dataset":
            continue
        value = _other(f)
        cfg = parse("--dataset", dataset, flag(f.name), value)
        assert getattr(cfg, f.name) == value, f.name
        assert cfg == TrainConfig.for_dataset(dataset, **{f.name: value})


def test_help_lists_every_option_with_its_defaults(monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")     # argparse wraps help lines at the terminal's width
    text = " ".join(lgn("train", "--help").out.split())
    for f in options():
        assert flag(f.name) in text, f.name
    assert "(default 2000; mnist5k: 5000; breast-cancer: 400; mnist, fashion-mnist: 16000)" in text
    assert "(default constant; mnist5k, breast-cancer, mnist, fashion-mnist: cosine)" in text


def _readme_rows():
    section = README.read_text().split("### Default networks", 1)[1].split("\n#", 1)[0]
    rows = [ln for ln in section.splitlines() if ln.startswith("| `")]
    return [(re.findall(r"`([\w-]+)`", ln.split("|")[1]), ln) for ln in rows]


def test_readme_states_the_default_networks():
    rows = _readme_rows()
    assert sorted(n for names, _ in rows for n in names) == sorted(datasets.NAMES)
    for names, row in rows:
        for name in names:
            c = TrainConfig.for_dataset(name)
            for text in (f"{c.layers} x {c.width:,}", f"{c.connections} wiring", f"tau {c.tau:g}",
                         f"x {c.levels} ", f"lr {c.lr:g} {c.schedule}", f"{c.epochs} epochs"):
                assert text in row, (name, text, row)
            assert ("quantile" in row) == (c.thresholds == "quantile"), (name, row)
            assert (f"batch {c.batch_size}" in row) == (c.batch_size != TrainConfig.batch_size), (name, row)
            assert (f"{c.shift}-pixel shifts" in row) == bool(c.shift), (name, row)
