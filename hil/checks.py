# SPDX-License-Identifier: MIT
"""Checks that fail the process: `lgn infer` and `lgn rtl --verify` compare every sample with
the software model, and a mismatch is exit status 1 (the JSON is still printed), unless the
user says mismatches are expected (fault studies). `--junit-xml FILE` writes the outcome as a
JUnit report, which CI servers display."""
from __future__ import annotations

import os
from xml.sax.saxutils import escape, quoteattr

from host.netlist import write_atomic


class CheckFailed(Exception):
    """A check did not hold; `result` is the command's dict, printed all the same."""

    def __init__(self, msg: str, result: dict):
        super().__init__(msg)
        self.result = result


def add_check_args(p) -> None:
    p.add_argument("--expect-mismatches", action="store_true",
                   help="samples that differ from the software model do not fail the command "
                        "(boards with faults)")
    p.add_argument("--junit-xml", metavar="FILE", help="write the check's outcome as a JUnit XML report")


def conclude(args, result: dict, name: str, samples: int, mismatches: int | None) -> dict:
    """Write the JUnit report if asked; raise CheckFailed when `mismatches` fails the check."""
    failed = bool(mismatches) and not args.expect_mismatches
    msg = f"{mismatches} of {samples} samples differ from the software model"
    if args.junit_xml:
        case = f'<testcase classname="lgn" name={quoteattr(name)} time="{result.get("seconds", 0)}">'
        if failed:
            case += f"<failure message={quoteattr(msg)}>{escape(msg)}</failure>"
        elif mismatches is None:
            case += '<skipped message="no comparison with the software model"/>'
        case += "</testcase>"
        xml = (f'<?xml version="1.0" encoding="utf-8"?>\n<testsuite name="lgn" tests="1" '
               f'failures="{int(failed)}" skipped="{int(mismatches is None)}">{case}</testsuite>\n')
        write_atomic(os.fspath(args.junit_xml), xml.encode())
    if failed:
        raise CheckFailed(msg, result)
    return result
