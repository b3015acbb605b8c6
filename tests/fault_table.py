"""
A pytest plugin that prints what each injected RemyPass fault led to.

``bin/test tests/test_fault_matrix.py --fault-table`` runs the fault matrix and
ends with one line per fault and operation: the state the ticket was left in,
the requests RemyPass received and the message staff were shown.
"""

import textwrap

_outcomes = []


def pytest_addoption(parser):
    parser.addoption(
        "--fault-table", action="store_true", default=False,
        help="print the fault matrix's outcomes (fault, operation, state, "
             "requests received, staff message) after the run")


def record(*, fault, operation, state, requests, message, passed=True):
    """Note one observed outcome of the matrix, for the table."""
    _outcomes.append({"fault": fault, "operation": operation, "state": state,
                      "requests": requests, "message": message,
                      "passed": passed})


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not config.getoption("fault_table") or not _outcomes:
        return
    write = terminalreporter.write_line
    terminalreporter.section("RemyPass fault matrix")
    widths = (24, 9, 10, 22)
    header = ("fault", "operation", "state", "RemyPass received")
    write("  ".join(h.ljust(w) for h, w in zip(header, widths)) + "  staff message")
    write("-" * 120)
    indent = " " * (sum(widths) + 2 * len(widths))
    for row in sorted(_outcomes, key=lambda r: (r["fault"], r["operation"])):
        cells = (row["fault"], row["operation"],
                 row["state"] + ("" if row["passed"] else " !"), row["requests"])
        text = " ".join(row["message"].split())
        lines = textwrap.wrap(text, 120 - len(indent)) or [""]
        write("  ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + "  "
              + lines[0])
        for line in lines[1:]:
            write(indent + line)
    failed = sum(1 for row in _outcomes if not row["passed"])
    write(f"{len(_outcomes)} outcomes, {failed} not as expected (marked !).")
